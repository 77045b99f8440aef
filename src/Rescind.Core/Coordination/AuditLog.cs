using Dapper;
using Rescind.Core.Storage;

namespace Rescind.Core.Coordination;

public sealed record AuditEntry(
    long Id, string? AccountId, string Api, string ResourceType, string ResourceId, string Action, string? FromState,
    string? ToState, string ActorKind, string? ActorId, string? RequestId, string? IdempotencyKey, string? Reason, long At);

public sealed record OutboxEvent(
    long Id, string EventId, string? AccountId, string Api, string EventType, string ResourceType, string ResourceId,
    string Payload, long CreatedAt, long? DispatchedAt);

/// <param name="ActorKind">credential, operator or system; <paramref name="ActorId"/> narrows to one actor.</param>
/// <param name="FromMs">Rows at or after this instant (unix ms); <paramref name="ToMs"/> rows before that one.</param>
/// <param name="BeforeId">With <paramref name="NewestFirst"/>: rows older than this row id (the next page).</param>
public sealed record AuditQuery(
    string? AccountId = null, string? ResourceId = null, string? Api = null, string? Action = null, long? AfterId = null, int Limit = 100,
    string? ActorKind = null, string? ActorId = null, long? FromMs = null, long? ToMs = null, long? BeforeId = null, bool NewestFirst = false);

/// <summary>Read side of the audit log and the outbox, filtered per account and per resource.</summary>
public static class AuditLog
{
    public static async Task<IReadOnlyList<AuditEntry>> QueryAsync(Database db, AuditQuery q, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            $"""
            SELECT id, account_id, api, resource_type, resource_id,
                   action, from_state, to_state, actor_kind,
                   actor_id, request_id, idempotency_key, reason, at
            FROM audit_log
            WHERE (@AccountId IS NULL OR account_id = @AccountId)
              AND (@ResourceId IS NULL OR resource_id = @ResourceId)
              AND (@Api IS NULL OR api = @Api)
              AND (@Action IS NULL OR action = @Action)
              AND (@AfterId IS NULL OR id > @AfterId)
              AND (@ActorKind IS NULL OR actor_kind = @ActorKind)
              AND (@ActorId IS NULL OR actor_id = @ActorId)
              AND (@FromMs IS NULL OR at >= @FromMs)
              AND (@ToMs IS NULL OR at < @ToMs)
              AND (@BeforeId IS NULL OR id < @BeforeId)
            ORDER BY id {(q.NewestFirst ? "DESC" : "")} LIMIT @Limit
            """, q, cancellationToken: ct));
        return rows.Select(r => new AuditEntry(r.Id, r.AccountId, r.Api, r.ResourceType, r.ResourceId, r.Action, r.FromState,
            r.ToState, r.ActorKind, r.ActorId, r.RequestId, r.IdempotencyKey, r.Reason, r.At)).ToList();
    }

    public static async Task<IReadOnlyList<OutboxEvent>> EventsAsync(Database db, string? accountId, string? resourceId, long? afterId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            $"""
            SELECT {EventColumns}
            FROM outbox
            WHERE (@accountId IS NULL OR account_id = @accountId)
              AND (@resourceId IS NULL OR resource_id = @resourceId)
              AND (@afterId IS NULL OR id > @afterId)
            ORDER BY id LIMIT @limit
            """, new { accountId, resourceId, afterId, limit }, cancellationToken: ct));
        return rows.Select(r => new OutboxEvent(r.Id, r.EventId, r.AccountId, r.Api, r.EventType, r.ResourceType, r.ResourceId,
            r.Payload, r.CreatedAt, r.DispatchedAt)).ToList();
    }

    /// <summary>Outbox events by row id, on an open connection.</summary>
    public static async Task<IEnumerable<OutboxEvent>> EventsByIdsAsync(System.Data.Common.DbConnection connection, DatabaseKind kind, long[] ids, CancellationToken ct) =>
        (await connection.QueryAsync<EventRow>(new CommandDefinition(
            $"SELECT {EventColumns} FROM outbox WHERE " + kind.AnyOf("id", "ids"), new { ids }, cancellationToken: ct)))
        .Select(r => new OutboxEvent(r.Id, r.EventId, r.AccountId, r.Api, r.EventType, r.ResourceType, r.ResourceId, r.Payload, r.CreatedAt, r.DispatchedAt));

    private const string EventColumns =
        """
        id, event_id, account_id, api, event_type,
        resource_type, resource_id, payload,
        created_at, dispatched_at
        """;

    private sealed class AuditRow
    {
        public long Id { get; set; }

        public string? AccountId { get; set; }

        public string Api { get; set; } = "";

        public string ResourceType { get; set; } = "";

        public string ResourceId { get; set; } = "";

        public string Action { get; set; } = "";

        public string? FromState { get; set; }

        public string? ToState { get; set; }

        public string ActorKind { get; set; } = "";

        public string? ActorId { get; set; }

        public string? RequestId { get; set; }

        public string? IdempotencyKey { get; set; }

        public string? Reason { get; set; }

        public long At { get; set; }
    }

    private sealed class EventRow
    {
        public long Id { get; set; }

        public string EventId { get; set; } = "";

        public string? AccountId { get; set; }

        public string Api { get; set; } = "";

        public string EventType { get; set; } = "";

        public string ResourceType { get; set; } = "";

        public string ResourceId { get; set; } = "";

        public string Payload { get; set; } = "";

        public long CreatedAt { get; set; }

        public long? DispatchedAt { get; set; }
    }
}
