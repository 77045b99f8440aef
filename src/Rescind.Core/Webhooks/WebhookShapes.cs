using Rescind.Core.Coordination;

namespace Rescind.Core.Webhooks;

/// <summary>The endpoint an event goes to, as a shape needs it to sign.</summary>
public sealed record WebhookEndpoint(string Id, string AccountId, string Api, string Url, string Secret, int TimeoutMs);

/// <summary>One HTTP request to a receiver: the exact body and the headers that carry its signature.</summary>
public sealed record WebhookRequest(string Body, IReadOnlyDictionary<string, string> Headers, string ContentType = "application/json");

/// <summary>
/// How one API's events look and are signed on the wire. Each API declares its shape once; the dispatcher does
/// everything else (fan-out, retries, leases, the delivery log).
/// </summary>
public interface IWebhookShape
{
    string Api { get; }

    WebhookRequest Build(OutboxEvent e, WebhookEndpoint endpoint, DateTimeOffset now);
}

public sealed class WebhookShapes(IEnumerable<IWebhookShape> shapes)
{
    private readonly Dictionary<string, IWebhookShape> byApi = shapes.ToDictionary(s => s.Api, StringComparer.Ordinal);

    public IWebhookShape? For(string api) => byApi.GetValueOrDefault(api);

    public IEnumerable<string> Apis => byApi.Keys;
}

/// <summary>Retry timing: exponential from 5 s, doubling, capped at 6 h, with ±20 % jitter; pure.</summary>
public static class Backoff
{
    public static TimeSpan After(int attempts, double jitter01)
    {
        var baseSeconds = Math.Min(5 * Math.Pow(2, Math.Max(0, attempts - 1)), 6 * 3600);
        return TimeSpan.FromSeconds(baseSeconds * (0.8 + (0.4 * jitter01)));
    }
}
