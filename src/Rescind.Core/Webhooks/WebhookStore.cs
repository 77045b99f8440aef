using System.Data.Common;
using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Core.Webhooks;

public sealed record EndpointInfo(string Id, string AccountId, string Api, string Url, int TimeoutMs, long CreatedAt, long? DisabledAt);

public sealed record DeliveryInfo(
    long Id, string EventId, string EndpointId, string AccountId, string Status, int Attempts, long NextAttemptAt,
    int? LastStatusCode, string? LastError, long CreatedAt, long? DeliveredAt);

public sealed record AttemptInfo(long Id, long DeliveryId, int Attempt, long StartedAt, int DurationMs, int? StatusCode, string? Error, string? ResponseExcerpt);

/// <summary>Registering endpoints, reading the delivery log, and redelivering, each change audited.</summary>
public sealed class WebhookStore(Database db, Coordinator coordinator, WebhookShapes shapes, OutboundPolicy outbound, TimeProvider clock)
{
    /// <summary>The one answer for a URL the outbound policy refuses, whatever the reason (never which address it
    /// resolved to, nor whether anything listens there).</summary>
    public const string NotAllowedMessage =
        "url must reach a public address: loopback, private, link-local and metadata addresses (and hosts that do not resolve) are refused unless the operator sets Rescind:Outbound:AllowPrivateNetworks.";

    public enum Refusal
    {
        None,
        UnknownApi,
        BadUrl,
        BadTimeout,

        /// <summary>The URL's host is not a public address (or does not resolve) and private networks are not allowed.</summary>
        NotAllowed,
    }

    public async Task<(WebhookEndpoint? Endpoint, Refusal Refusal)> CreateEndpointAsync(string accountId, string api, string url, int? timeoutMs, Actor actor, CancellationToken ct)
    {
        if (shapes.For(api) is null)
        {
            return (null, Refusal.UnknownApi);
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || url.Length > 2000)
        {
            return (null, Refusal.BadUrl);
        }
        if (timeoutMs is < 100 or > 60_000)
        {
            return (null, Refusal.BadTimeout);
        }
        if (!await outbound.AllowsUrlAsync(url, ct))
        {
            return (null, Refusal.NotAllowed);
        }
        var endpoint = new WebhookEndpoint(Ids.New("we_", clock), accountId, api, url, "whsec_" + Ids.Secret(40), timeoutMs ?? 10_000);
        await coordinator.RunAsync(new OperationContext(accountId, api, actor, null), async (uow, _) =>
        {
            await uow.ExecuteAsync(
                """
                INSERT INTO webhook_endpoints (id, account_id, api, url, secret, timeout_ms, created_at)
                VALUES (@Id, @AccountId, @Api, @Url, @Secret, @TimeoutMs, @Now)
                """,
                new { endpoint.Id, endpoint.AccountId, endpoint.Api, endpoint.Url, endpoint.Secret, endpoint.TimeoutMs, Now = uow.NowMs });
            await uow.RecordAsync(new Change(api, "webhook_endpoint", endpoint.Id, "webhook_endpoint.created", null, "enabled", Reason: url));
            return true;
        }, ct);
        return (endpoint, Refusal.None);
    }

    /// <summary>Whether a URL may be registered (the checks of <see cref="CreateEndpointAsync"/>), for an API that
    /// registers its endpoint inside its own transaction.</summary>
    public async Task<Refusal> CheckUrlAsync(string url, CancellationToken ct) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || url.Length > 2000 ? Refusal.BadUrl
        : !await outbound.AllowsUrlAsync(url, ct) ? Refusal.NotAllowed
        : Refusal.None;

    /// <summary>Whether the operator lets URLs reach private networks (a local setup).</summary>
    public bool AllowsPrivateNetworks => outbound.AllowPrivateNetworks;

    /// <summary>Registers an endpoint inside the caller's transaction (its URL checked with <see cref="CheckUrlAsync"/>
    /// first), taking only <paramref name="eventTypes"/> (null: every event of its API).</summary>
    public static async Task<WebhookEndpoint> InsertEndpointAsync(UnitOfWork uow, string accountId, string api, string url, string secret,
        IReadOnlyCollection<string>? eventTypes, TimeProvider clock)
    {
        var endpoint = new WebhookEndpoint(Ids.New("we_", clock), accountId, api, url, secret, 10_000);
        await uow.ExecuteAsync(
            """
            INSERT INTO webhook_endpoints (id, account_id, api, url, secret, timeout_ms, created_at, event_types)
            VALUES (@Id, @AccountId, @Api, @Url, @Secret, @TimeoutMs, @Now, @Types)
            """,
            new { endpoint.Id, endpoint.AccountId, endpoint.Api, endpoint.Url, endpoint.Secret, endpoint.TimeoutMs, Now = uow.NowMs, Types = Types(eventTypes) });
        await uow.RecordAsync(new Change(api, "webhook_endpoint", endpoint.Id, "webhook_endpoint.created", null, "enabled", Reason: url));
        return endpoint;
    }

    /// <summary>Changes an endpoint's URL and the event types it takes, inside the caller's transaction.</summary>
    public static async Task UpdateEndpointAsync(UnitOfWork uow, string api, string id, string url, IReadOnlyCollection<string>? eventTypes)
    {
        await uow.ExecuteExpectingAsync(1, "UPDATE webhook_endpoints SET url = @url, event_types = @Types WHERE id = @id",
            new { id, url, Types = Types(eventTypes) });
        await uow.RecordAsync(new Change(api, "webhook_endpoint", id, "webhook_endpoint.updated", "enabled", "enabled",
            Reason: url + " " + (Types(eventTypes) ?? "all events")));
    }

    private static string? Types(IReadOnlyCollection<string>? eventTypes) => eventTypes is null ? null : "," + string.Join(",", eventTypes) + ",";

    public Task<bool> DisableEndpointAsync(string id, Actor actor, CancellationToken ct) =>
        coordinator.RunAsync(new OperationContext(null, "rescind", actor, null), async (uow, _) =>
        {
            var api = await uow.QuerySingleOrDefaultAsync<string>(
                "SELECT api FROM webhook_endpoints WHERE id = @id AND disabled_at IS NULL" + uow.Db.ForUpdate, new { id });
            if (api is null)
            {
                return false;
            }
            await uow.ExecuteExpectingAsync(1, "UPDATE webhook_endpoints SET disabled_at = @Now WHERE id = @id AND disabled_at IS NULL", new { id, Now = uow.NowMs });
            await uow.RecordAsync(new Change(api, "webhook_endpoint", id, "webhook_endpoint.disabled", "enabled", "disabled"));
            return true;
        }, ct);

    /// <summary>Puts a delivery (delivered, dead or pending) back in the queue, due now.</summary>
    public Task<bool> RedeliverAsync(long deliveryId, Actor actor, CancellationToken ct) =>
        coordinator.RunAsync(new OperationContext(null, "rescind", actor, null), async (uow, _) =>
        {
            var status = await uow.QuerySingleOrDefaultAsync<string>(
                "SELECT status FROM webhook_deliveries WHERE id = @deliveryId" + uow.Db.ForUpdate, new { deliveryId });
            if (status is null)
            {
                return false;
            }
            // A fresh horizon: the operator asked for it, so it is retried as long as a new event would be.
            await uow.ExecuteExpectingAsync(1,
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @Now, locked_until = NULL, created_at = @Now WHERE id = @deliveryId",
                new { deliveryId, Now = uow.NowMs });
            await uow.RecordAsync(new Change("rescind", "webhook_delivery", deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "webhook_delivery.redeliver", status, "pending"));
            return true;
        }, ct);

    public async Task<IReadOnlyList<EndpointInfo>> EndpointsAsync(string? accountId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<EndpointRow>(new CommandDefinition(
            $"SELECT {EndpointColumns}, created_at, disabled_at FROM webhook_endpoints WHERE (@accountId IS NULL OR account_id = @accountId) ORDER BY created_at, id", new { accountId }, cancellationToken: ct));
        return rows.Select(r => new EndpointInfo(r.Id, r.AccountId, r.Api, r.Url, r.TimeoutMs, r.CreatedAt, r.DisabledAt)).ToList();
    }

    public async Task<IReadOnlyList<DeliveryInfo>> DeliveriesAsync(string? endpointId, string? eventId, string? status, string? accountId, long? afterId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<DeliveryRow>(new CommandDefinition(
            """
            SELECT id, event_id, endpoint_id, account_id, status,
                   attempts, next_attempt_at, last_status_code,
                   last_error, created_at, delivered_at
            FROM webhook_deliveries
            WHERE (@endpointId IS NULL OR endpoint_id = @endpointId) AND (@eventId IS NULL OR event_id = @eventId)
              AND (@status IS NULL OR status = @status) AND (@accountId IS NULL OR account_id = @accountId)
              AND (@afterId IS NULL OR id > @afterId)
            ORDER BY id LIMIT @limit
            """, new { endpointId, eventId, status, accountId, afterId, limit }, cancellationToken: ct));
        return rows.Select(r => new DeliveryInfo(r.Id, r.EventId, r.EndpointId, r.AccountId, r.Status, r.Attempts, r.NextAttemptAt,
            r.LastStatusCode, r.LastError, r.CreatedAt, r.DeliveredAt)).ToList();
    }

    public async Task<IReadOnlyList<AttemptInfo>> AttemptsAsync(long deliveryId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<AttemptRow>(new CommandDefinition(
            """
            SELECT id, delivery_id, attempt, started_at, duration_ms,
                   status_code, error, response_excerpt
            FROM webhook_attempts WHERE delivery_id = @deliveryId ORDER BY id
            """, new { deliveryId }, cancellationToken: ct));
        return rows.Select(r => new AttemptInfo(r.Id, r.DeliveryId, r.Attempt, r.StartedAt, r.DurationMs, r.StatusCode, r.Error, r.ResponseExcerpt)).ToList();
    }

    internal static async Task<IEnumerable<WebhookEndpoint>> ActiveEndpointsAsync(DbConnection connection, DatabaseKind kind, string[] ids, CancellationToken ct) =>
        (await connection.QueryAsync<EndpointRow>(new CommandDefinition(
            $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE disabled_at IS NULL AND "
            + kind.AnyOf("id", "ids"), new { ids }, cancellationToken: ct)))
        .Select(r => new WebhookEndpoint(r.Id, r.AccountId, r.Api, r.Url, r.Secret, r.TimeoutMs));

    private const string EndpointColumns = "id, account_id, api, url, secret, timeout_ms";

    private sealed class EndpointRow
    {
        public string Id { get; set; } = "";

        public string AccountId { get; set; } = "";

        public string Api { get; set; } = "";

        public string Url { get; set; } = "";

        public string Secret { get; set; } = "";

        public int TimeoutMs { get; set; }

        public long CreatedAt { get; set; }

        public long? DisabledAt { get; set; }
    }

    private sealed class DeliveryRow
    {
        public long Id { get; set; }

        public string EventId { get; set; } = "";

        public string EndpointId { get; set; } = "";

        public string AccountId { get; set; } = "";

        public string Status { get; set; } = "";

        public int Attempts { get; set; }

        public long NextAttemptAt { get; set; }

        public int? LastStatusCode { get; set; }

        public string? LastError { get; set; }

        public long CreatedAt { get; set; }

        public long? DeliveredAt { get; set; }
    }

    private sealed class AttemptRow
    {
        public long Id { get; set; }

        public long DeliveryId { get; set; }

        public int Attempt { get; set; }

        public long StartedAt { get; set; }

        public int DurationMs { get; set; }

        public int? StatusCode { get; set; }

        public string? Error { get; set; }

        public string? ResponseExcerpt { get; set; }
    }
}
