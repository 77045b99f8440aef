using System.Globalization;
using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Webhooks;

namespace Rescind.Server.CrissCross;

/// <summary>
/// Collect's webhooks: the body is the vendor's envelope <c>{"eventType": "transaction.completed", "timestamp":
/// "…Z", "payload": {…}}</c> [doc: the Collect webhooks page names the <c>payload</c> field, the payment status
/// object for <c>transaction.*</c>; the envelope's other fields as the Exchange webhooks page shows them, which says
/// delivery is the same for every product; ours: the session object for <c>session.*</c>, the refund record for
/// <c>refund.*</c>]. The headers name the event and carry the signature with the merchant's webhook secret over the
/// whole body [ours: header names and scheme, as Rescind signs for the other APIs]:
/// <c>X-CrissCross-Event: transaction.completed</c>, <c>X-CrissCross-Event-Id: evt_…</c>,
/// <c>X-CrissCross-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>.
/// </summary>
public sealed class CrissCrossWebhookShape : IWebhookShape
{
    public string Api => CrissCrossStore.Api;

    public WebhookRequest Build(OutboxEvent e, WebhookEndpoint endpoint, DateTimeOffset now)
    {
        var t = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var body = Envelope(e);
        return new WebhookRequest(body, new Dictionary<string, string>
        {
            ["X-CrissCross-Event"] = e.EventType,
            ["X-CrissCross-Event-Id"] = e.EventId,
            ["X-CrissCross-Signature"] = $"t={t},v1={Signatures.HmacSha256Hex(endpoint.Secret, t + "." + body)}",
        });
    }

    /// <summary>The event wrapped as the vendor delivers it; <c>timestamp</c> is when the event was written (the same on
    /// every retry, so a retried body is byte-identical).</summary>
    public static string Envelope(OutboxEvent e) =>
        "{\"eventType\":" + JsonSerializer.Serialize(e.EventType) + ",\"timestamp\":" + JsonSerializer.Serialize(Time.Iso(e.CreatedAt))
        + ",\"payload\":" + e.Payload + "}";
}
