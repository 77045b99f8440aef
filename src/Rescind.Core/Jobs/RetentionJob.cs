using Dapper;
using Microsoft.Extensions.Options;
using Rescind.Core.Storage;

namespace Rescind.Core.Jobs;

/// <summary>How long rows that grow with traffic are kept (<c>Rescind:Retention</c>). A zero or negative span keeps
/// them for ever. The tables not named here are decided in <c>docs/reliability.md</c> ("Retention").</summary>
public sealed class RetentionOptions
{
    /// <summary>Events (the outbox) and their webhook deliveries and attempts: an event older than this, fanned out
    /// and with no delivery still pending, is deleted with its deliveries' log.</summary>
    public TimeSpan Events { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The mail sink (reminders and notices written for an SMTP relay or the operator to read).</summary>
    public TimeSpan Mail { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Audit rows of credential use that are not a resource's history (those an API declares as
    /// <see cref="CredentialAuditRows"/>, e.g. a CrissCross bearer token issued).</summary>
    public TimeSpan CredentialAudit { get; set; } = TimeSpan.FromDays(90);
}

/// <summary>Audit rows an API writes for the use of a credential (not a resource's history), which
/// <see cref="RetentionOptions.CredentialAudit"/> bounds; each API registers its own.</summary>
public sealed record CredentialAuditRows(string Api, string ResourceType, string Action);

/// <summary>
/// Deletes what is past its retention, in bounded batches, each batch in one transaction. Several nodes may run it at
/// once: a row is deleted by exactly one of them, and the events a resource lost are counted (in
/// <c>outbox_purged</c>) only by the node whose delete removed them, so <c>rescind verify</c> still checks one event per
/// audited change after a purge.
/// </summary>
public sealed class RetentionJob(Database db, TimeProvider clock, IOptions<RetentionOptions> options, IEnumerable<CredentialAuditRows> credentialAudit) : IJob
{
    public const int Batch = 500;

    public string Name => "retention";

    /// <summary>The number of events a resource has had: those still in the outbox and those purged. Invariants that
    /// compare events with audit rows use it, with <paramref name="resourceId"/> an SQL expression.</summary>
    public static string EventCountSql(string resourceId) =>
        $"((SELECT COUNT(*) FROM outbox o_ WHERE o_.resource_id = {resourceId}) + COALESCE((SELECT SUM(p_.events) FROM outbox_purged p_ WHERE p_.resource_id = {resourceId}), 0))";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.ToUnixMs(clock.GetUtcNow());
        var o = options.Value;
        var total = 0;
        if (o.Events > TimeSpan.Zero)
        {
            total += await RepeatAsync(() => PurgeEventsAsync(now - (long)o.Events.TotalMilliseconds, now, ct));
        }
        if (o.Mail > TimeSpan.Zero)
        {
            total += await RepeatAsync(() => DeleteAsync(
                $"DELETE FROM mail_sink WHERE id IN (SELECT id FROM mail_sink WHERE created_at < @before ORDER BY id LIMIT {Batch})",
                new { before = now - (long)o.Mail.TotalMilliseconds }, ct));
        }
        foreach (var rows in o.CredentialAudit > TimeSpan.Zero ? credentialAudit : [])
        {
            total += await RepeatAsync(() => DeleteAsync(
                $"""
                DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log
                WHERE api = @Api AND resource_type = @ResourceType AND action = @Action AND at < @before ORDER BY id LIMIT {Batch})
                """,
                new { rows.Api, rows.ResourceType, rows.Action, before = now - (long)o.CredentialAudit.TotalMilliseconds }, ct));
        }
        return total;
    }

    private static async Task<int> RepeatAsync(Func<Task<int>> batch)
    {
        var total = 0;
        while (true)
        {
            var n = await batch();
            total += n;
            if (n < Batch)
            {
                return total;
            }
        }
    }

    private async Task<int> DeleteAsync(string sql, object args, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: ct));
    }

    /// <summary>One batch of old events: the log of their finished deliveries, the deliveries, then the events that no
    /// longer have any delivery (a delivery an operator re-queued meanwhile keeps its event), counted per resource.
    /// Returns how many candidates the batch looked at, so that the caller goes on while there are more.</summary>
    private async Task<int> PurgeEventsAsync(long before, long now, CancellationToken ct)
    {
        var (connection, tx) = await db.BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var ids = (await connection.QueryAsync<long>(new CommandDefinition(
                $"""
                SELECT id FROM outbox
                WHERE created_at < @before AND dispatched_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = outbox.id AND d.status = 'pending')
                ORDER BY id LIMIT {Batch}
                """, new { before }, tx, cancellationToken: ct))).ToList();
            if (ids.Count == 0)
            {
                return 0;
            }
            var anyId = db.Kind.AnyOf("outbox_id", "ids");
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE {anyId} AND status <> 'pending')",
                new { ids }, tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM webhook_deliveries WHERE {anyId} AND status <> 'pending'", new { ids }, tx, cancellationToken: ct));
            var gone = (await connection.QueryAsync<(string Api, string ResourceId)>(new CommandDefinition(
                $"""
                DELETE FROM outbox WHERE {db.Kind.AnyOf("id", "ids")}
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = outbox.id)
                RETURNING api, resource_id
                """, new { ids }, tx, cancellationToken: ct))).ToList();
            foreach (var g in gone.GroupBy(g => g))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO outbox_purged (api, resource_id, events, purged_at) VALUES (@Api, @ResourceId, @n, @now)
                    ON CONFLICT (api, resource_id) DO UPDATE SET events = outbox_purged.events + excluded.events, purged_at = excluded.purged_at
                    """, new { g.Key.Api, g.Key.ResourceId, n = g.Count(), now }, tx, cancellationToken: ct));
            }
            await tx.CommitAsync(ct);
            return ids.Count;
        }
    }
}
