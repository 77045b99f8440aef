using System.Globalization;
using Rescind.Core.Coordination;
using Rescind.Core.Webhooks;

namespace Rescind.Server.CrissCross;

/// <summary>
/// Collect's webhooks: the body is the payload itself [doc: the payment status object for <c>transaction.*</c>;
/// ours: the session object for <c>session.*</c>], and the headers name the event and carry the signature with
/// the merchant's webhook secret [ours: header names and scheme]:
/// <c>X-CrissCross-Event: transaction.completed</c>, <c>X-CrissCross-Event-Id: evt_…</c>,
/// <c>X-CrissCross-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>.
/// </summary>
public sealed class CrissCrossWebhookShape : IWebhookShape
{
    public string Api => CrissCrossStore.Api;

    public WebhookRequest Build(OutboxEvent e, WebhookEndpoint endpoint, DateTimeOffset now)
    {
        var t = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new WebhookRequest(e.Payload, new Dictionary<string, string>
        {
            ["X-CrissCross-Event"] = e.EventType,
            ["X-CrissCross-Event-Id"] = e.EventId,
            ["X-CrissCross-Signature"] = $"t={t},v1={Signatures.HmacSha256Hex(endpoint.Secret, t + "." + e.Payload)}",
        });
    }
}
