using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Core.Webhooks;

namespace Rescind.Server.DigiCert;

/// <summary>
/// DigiCert's webhook event <c>{"event": "certificate_issued", "data": {"order_id": 1, "certificate_id": 2, …}}</c>
/// [doc], authenticated by the endpoint's secret in <c>X-WEBHOOK-KEY</c> [doc: DigiCert sends the configured secret
/// itself, not a signature]. <c>data</c> carries our event payload (order_id, certificate_id when there is one,
/// status, product, and the change's note or flags) [ours beyond order_id and certificate_id];
/// <c>Rescind-Event-Id</c> is the stable id to deduplicate on [ours].
/// </summary>
public sealed class DigiCertWebhookShape : IWebhookShape
{
    public string Api => DigiCertStore.Api;

    public WebhookRequest Build(OutboxEvent e, WebhookEndpoint endpoint, DateTimeOffset now)
    {
        using var payload = JsonDocument.Parse(e.Payload);
        var body = JsonSerializer.Serialize(new { @event = e.EventType, data = payload.RootElement }, DigiCertJson.Options);
        var headers = new Dictionary<string, string> { ["Rescind-Event-Id"] = e.EventId };
        if (endpoint.Secret.Length > 0)
        {
            // A webhook set up through the Services API without a secret gets no X-WEBHOOK-KEY [doc].
            headers["X-WEBHOOK-KEY"] = endpoint.Secret;
        }
        return new WebhookRequest(body, headers);
    }
}
