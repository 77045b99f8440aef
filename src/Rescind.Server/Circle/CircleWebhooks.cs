using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Core.Webhooks;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's notification [doc]: <c>{subscriptionId, notificationId, notificationType: "transactions.outbound",
/// notification: &lt;transaction&gt;, timestamp, version: 2}</c>, signed with ECDSA (P-256, SHA-256) over the body:
/// <c>X-Circle-Signature</c> (base64 DER) and <c>X-Circle-Key-Id</c>. The key pair belongs to the subscription
/// (Rescind's webhook endpoint) and is derived from its secret [ours]; its public key is served at
/// <c>GET /v2/notifications/publicKey/{id}</c> with the endpoint's id as the key id.
/// </summary>
public sealed class CircleWebhookShape : IWebhookShape
{
    public string Api => CircleStore.Api;

    public WebhookRequest Build(OutboxEvent e, WebhookEndpoint endpoint, DateTimeOffset now)
    {
        using var payload = JsonDocument.Parse(e.Payload);
        var p = payload.RootElement;
        var body = CircleJson.Serialize(new
        {
            subscriptionId = SubscriptionId(endpoint.Id),
            notificationId = NotificationId(e.EventId),
            notificationType = p.GetProperty("notificationType").GetString(),
            notification = p.GetProperty("notification"),
            timestamp = p.GetProperty("timestamp").GetString(),
            version = 2,
        });
        using var key = KeyFor(endpoint.Secret);
        var signature = key.SignData(Encoding.UTF8.GetBytes(body), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new WebhookRequest(body, new Dictionary<string, string>
        {
            ["X-Circle-Signature"] = Convert.ToBase64String(signature),
            ["X-Circle-Key-Id"] = SubscriptionId(endpoint.Id),
        });
    }

    private const string EndpointPrefix = "we_";

    /// <summary>A subscription's id as Circle has it, a UUID [doc]: the webhook endpoint's id (<c>we_</c> + a UUID,
    /// as the operator API shows it) without its prefix.</summary>
    public static string SubscriptionId(string endpointId) =>
        endpointId.StartsWith(EndpointPrefix, StringComparison.Ordinal) ? endpointId[EndpointPrefix.Length..] : endpointId;

    /// <summary>The webhook endpoint a subscription id names, or null when the id is not a UUID.</summary>
    public static string? EndpointId(string subscriptionId) =>
        Guid.TryParseExact(subscriptionId, "D", out _) ? EndpointPrefix + subscriptionId : null;

    /// <summary>A notification's id, a UUID [doc]: the outbox event's (<c>evt_</c> + a UUID) without its prefix, so
    /// every retry of one notification carries the same id.</summary>
    public static string? NotificationId(string? eventId) =>
        eventId is not null && eventId.StartsWith("evt_", StringComparison.Ordinal) ? eventId["evt_".Length..] : eventId;

    /// <summary>The subscription's P-256 key, derived from its signing secret (so nothing more is stored).</summary>
    public static ECDsa KeyFor(string secret)
    {
        var d = SHA256.HashData(Encoding.UTF8.GetBytes("rescind.circle.notifications:" + secret));
        var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
        return key;
    }

    /// <summary>The public half as Circle serves it: base64 of the DER SubjectPublicKeyInfo.</summary>
    public static string PublicKeyBase64(string secret)
    {
        using var key = KeyFor(secret);
        return Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
    }
}
