using System.Text.Json.Nodes;
using Rescind.Core.Coordination;
using Rescind.Core.Webhooks;

namespace Rescind.Server.GoCardless;

/// <summary>
/// GoCardless webhooks [doc]: <c>POST {"events": [ … ]}</c>, each event exactly as <c>GET /events/{id}</c> shows it,
/// signed <c>Webhook-Signature</c> = hex HMAC-SHA256 of the body with the endpoint's secret. Rescind sends one
/// event per request [ours: the array allows up to 250]. Live and sandbox endpoints are registered separately
/// (api <c>gocardless</c> and <c>gocardless.sandbox</c>), like the rest of GoCardless's data.
/// </summary>
public sealed class GoCardlessWebhookShape(string api) : IWebhookShape
{
    public string Api => api;

    public WebhookRequest Build(OutboxEvent e, WebhookEndpoint endpoint, DateTimeOffset now)
    {
        var evt = GoCardlessJson.Event(new EventRow { Id = e.Id, Payload = e.Payload, CreatedAt = e.CreatedAt });
        var body = new JsonObject { ["events"] = new JsonArray(evt) }.ToJsonString();
        return new WebhookRequest(body, new Dictionary<string, string>
        {
            ["Webhook-Signature"] = Signatures.HmacSha256Hex(endpoint.Secret, body),
        });
    }
}
