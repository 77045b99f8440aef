using System.Globalization;
using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Webhooks;

namespace Rescind.Server.Numeral;

/// <summary>
/// Numeral events on Rescind's own endpoint format [ours; Numeral's webhook format is not public]:
/// <c>{"id": "evt_…", "object": "event", "type": "tax.certificate_request.canceled", "created_at": "…Z",
/// "livemode": true, "data": {"object": {…the certificate request…}}}</c>, signed
/// <c>Rescind-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>.
/// </summary>
public sealed class NumeralWebhookShape : IWebhookShape
{
    public string Api => NumeralStore.Api;

    public WebhookRequest Build(OutboxEvent e, WebhookEndpoint endpoint, DateTimeOffset now)
    {
        using var payload = JsonDocument.Parse(e.Payload);
        var body = JsonSerializer.Serialize(new
        {
            id = e.EventId,
            @object = "event",
            type = e.EventType,
            created_at = Time.Iso(e.CreatedAt),
            livemode = true,
            data = new { @object = payload.RootElement },
        }, NumeralJson.Options);
        var t = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new WebhookRequest(body, new Dictionary<string, string>
        {
            ["Rescind-Signature"] = $"t={t},v1={Signatures.HmacSha256Hex(endpoint.Secret, t + "." + body)}",
            ["Rescind-Event-Id"] = e.EventId,
        });
    }
}
