using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.Cancellations;

public sealed class CancellationRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string IdempotencyKey { get; set; } = "";

    public string Fingerprint { get; set; } = "";

    public string? Reason { get; set; }

    public string Resources { get; set; } = "[]";

    public string Status { get; set; } = "";

    public long? CancelAt { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

public sealed class ItemRow
{
    public int Position { get; set; }

    public string Outcome { get; set; } = "";

    public string Body { get; set; } = "{}";
}

/// <summary>The SQL of Rescind's own cancellations: the cancellation rows and one outcome row per resource.</summary>
public static class CancellationStore
{
    public const string Api = "rescind";
    public const string Type = "cancellation";

    public const string Scheduled = "scheduled";
    public const string Processing = "processing";
    public const string PendingStatus = "pending";
    public const string Completed = "completed";
    public const string CanceledStatus = "canceled";

    private const string Columns =
        """
        id, account_id, mode, idempotency_key, fingerprint,
        reason, resources, status, cancel_at, created_at, updated_at
        """;

    /// <summary>Claims the idempotency key: true when this call inserted the row, false when the key was taken (the
    /// insert waits for a concurrent claimer to commit, then does nothing).</summary>
    public static async Task<bool> ClaimAsync(UnitOfWork uow, CancellationRow row) =>
        await uow.ExecuteAsync(
            """
            INSERT INTO rescind_cancellations (id, account_id, mode, idempotency_key, fingerprint, reason, resources, status, cancel_at, created_at, updated_at)
            VALUES (@Id, @AccountId, @Mode, @IdempotencyKey, @Fingerprint, @Reason, @Resources, @Status, @CancelAt, @CreatedAt, @UpdatedAt)
            ON CONFLICT (account_id, mode, idempotency_key) DO NOTHING
            """,
            row) == 1;

    public static Task<CancellationRow?> ByKeyAsync(UnitOfWork uow, string accountId, string mode, string key) =>
        uow.QuerySingleOrDefaultAsync<CancellationRow>(
            $"SELECT {Columns} FROM rescind_cancellations WHERE account_id = @accountId AND mode = @mode AND idempotency_key = @key",
            new { accountId, mode, key });

    public static async Task<CancellationRow?> GetAsync(Database db, string? accountId, string? mode, string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<CancellationRow>(
            $"SELECT {Columns} FROM rescind_cancellations WHERE id = @id"
            + (accountId is null ? "" : " AND account_id = @accountId AND mode = @mode"),
            new { id, accountId, mode });
    }

    public static Task<CancellationRow?> LockAsync(UnitOfWork uow, string id) =>
        uow.QuerySingleOrDefaultAsync<CancellationRow>($"SELECT {Columns} FROM rescind_cancellations WHERE id = @id" + uow.Db.ForUpdate, new { id });

    /// <summary>Newest first (ids are time-ordered); one more than <paramref name="limit"/> tells there are more.</summary>
    public static async Task<IReadOnlyList<CancellationRow>> ListAsync(Database db, string accountId, string mode, string? after, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<CancellationRow>(
            $"SELECT {Columns} FROM rescind_cancellations WHERE account_id = @accountId AND mode = @mode"
            + (after is null ? "" : " AND id < @after") + " ORDER BY id DESC LIMIT @take",
            new { accountId, mode, after, take = limit + 1 })).ToList();
    }

    public static async Task<IReadOnlyList<ItemRow>> ItemsAsync(Database db, string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ItemRow>(
            "SELECT position, outcome, body FROM rescind_cancellation_items WHERE cancellation_id = @id ORDER BY position",
            new { id })).ToList();
    }

    /// <summary>One resource's outcome, written once (a second writer of the same position changes nothing), and
    /// the cancellation's <c>updated_at</c> renewed: the lease that keeps other nodes from resuming a live run.</summary>
    public static async Task InsertItemAsync(UnitOfWork uow, CancellationRow c, int position, OutcomeObject o)
    {
        await uow.ExecuteAsync(
            """
            INSERT INTO rescind_cancellation_items (cancellation_id, position, account_id, api, outcome, body, created_at, updated_at)
            VALUES (@Id, @position, @AccountId, @api, @outcome, @body, @now, @now)
            ON CONFLICT (cancellation_id, position) DO NOTHING
            """,
            new { c.Id, position, c.AccountId, api = o.Api, outcome = o.Outcome, body = CancellationJson.Serialize(o), now = uow.NowMs });
        await uow.ExecuteAsync(
            "UPDATE rescind_cancellations SET updated_at = @now WHERE id = @Id AND status = 'processing'",
            new { c.Id, now = uow.NowMs });
    }

    /// <summary>A deferred outcome settles: written only if it is still the pending one (a concurrent reader may have settled it).</summary>
    public static Task<int> SettleItemAsync(UnitOfWork uow, string id, int position, OutcomeObject o) => uow.ExecuteAsync(
        """
        UPDATE rescind_cancellation_items SET outcome = @outcome, body = @body, updated_at = @now
        WHERE cancellation_id = @id AND position = @position AND outcome = 'pending_cancellation'
        """,
        new { id, position, outcome = o.Outcome, body = CancellationJson.Serialize(o), now = uow.NowMs });

    public static Task<int> SetStatusAsync(UnitOfWork uow, string id, string from, string to) => uow.ExecuteAsync(
        "UPDATE rescind_cancellations SET status = @to, updated_at = @now WHERE id = @id AND status = @from",
        new { id, from, to, now = uow.NowMs });

    public static async Task<IReadOnlyList<string>> DueAsync(Database db, long now, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<string>(
            "SELECT id FROM rescind_cancellations WHERE status = 'scheduled' AND cancel_at <= @now ORDER BY cancel_at, id LIMIT @limit",
            new { now, limit })).ToList();
    }

    /// <summary>Cancellations left processing with no outcome written since <paramref name="staleBefore"/>: their
    /// runner died (a crash, a restart) and another node resumes them.</summary>
    public static async Task<IReadOnlyList<string>> StaleAsync(Database db, long staleBefore, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<string>(
            "SELECT id FROM rescind_cancellations WHERE status = 'processing' AND updated_at <= @staleBefore ORDER BY updated_at, id LIMIT @limit",
            new { staleBefore, limit })).ToList();
    }

    /// <summary>Takes over a stale processing cancellation: 1 for the one node whose conditional update renewed the
    /// lease, 0 for every other (it was renewed or finished since).</summary>
    public static Task<int> TakeOverAsync(UnitOfWork uow, string id, long staleBefore) => uow.ExecuteAsync(
        "UPDATE rescind_cancellations SET updated_at = @now WHERE id = @id AND status = 'processing' AND updated_at <= @staleBefore",
        new { id, staleBefore, now = uow.NowMs });

    /// <summary>Outcomes counted by API, reason, outcome and day (UTC) of the account's stored cancellations.</summary>
    public static async Task<IReadOnlyList<ReportRow>> ReportAsync(Database db, string accountId, string mode, long from, long to, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string? Api, string? Reason, string Outcome, long CreatedAt)>(
            """
            SELECT i.api, c.reason, i.outcome, i.created_at FROM rescind_cancellation_items i
            JOIN rescind_cancellations c ON c.id = i.cancellation_id
            WHERE i.account_id = @accountId AND c.mode = @mode AND i.created_at >= @from AND i.created_at < @to
            """,
            new { accountId, mode, from, to });
        return [.. rows
            .GroupBy(r => (r.Api, r.Reason, r.Outcome, Day: Rescind.Core.Time.FromUnixMs(r.CreatedAt).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(g => g.Key.Day, StringComparer.Ordinal).ThenBy(g => g.Key.Api, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Reason, StringComparer.Ordinal).ThenBy(g => g.Key.Outcome, StringComparer.Ordinal)
            .Select(g => new ReportRow(g.Key.Day, g.Key.Api, g.Key.Reason, g.Key.Outcome, g.Count()))];
    }
}

public sealed record ReportRow(string Day, string? Api, string? Reason, string Outcome, long Count);
