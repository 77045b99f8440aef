using Dapper;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Core.Webhooks;
using Rescind.Server.Cancellations;

namespace Rescind.Server.OperatorConsole;

/// <summary>An endpoint whose deliveries fail: <paramref name="Dead"/> gave up, <paramref name="Retrying"/> failed
/// at least once and wait for another attempt.</summary>
public sealed record FailingEndpoint(string Id, string AccountId, string Api, string Url, long Dead, long Retrying, int? LastStatusCode, long LastAttemptAt);

/// <summary>An outbox event of a resource with the delivery of it to each webhook endpoint.</summary>
public sealed record EventWithDeliveries(OutboxEvent Event, IReadOnlyList<DeliveryInfo> Deliveries);

/// <summary>The console's reads that no API needs: overview aggregates and a resource's history.</summary>
public static class ConsoleStore
{
    /// <summary>
    /// Cancellations per hour in the <paramref name="hours"/> hours before <paramref name="nowMs"/>, oldest hour
    /// first: audit rows that move a cancel target's resource into a state named cancel… (canceled, cancelled,
    /// CANCELLED), whoever the actor was.
    /// </summary>
    public static async Task<long[]> CancellationsPerHourAsync(Database db, long nowMs, int hours, CancellationToken ct)
    {
        const long hour = 3_600_000;
        var from = nowMs - (hours * hour);
        var counts = new long[hours];
        if (CancelService.Targets.Count == 0)
        {
            return counts;
        }
        var kinds = string.Join(" OR ", CancelService.Targets.Select((_, i) => $"(api = @api{i} AND resource_type = @type{i})"));
        var args = new DynamicParameters(new { from, nowMs, hour });
        for (var i = 0; i < CancelService.Targets.Count; i++)
        {
            args.Add("api" + i, CancelService.Targets[i].Api);
            args.Add("type" + i, CancelService.Targets[i].Type);
        }
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(long Bucket, long Count)>(
            $"""
            SELECT (at - @from) / @hour AS Bucket, COUNT(*) AS Count FROM audit_log
            WHERE at >= @from AND at < @nowMs AND LOWER(to_state) LIKE 'cancel%' AND ({kinds})
            GROUP BY (at - @from) / @hour
            """,
            args);
        foreach (var (bucket, count) in rows)
        {
            if (bucket >= 0 && bucket < hours)
            {
                counts[bucket] += count;
            }
        }
        return counts;
    }

    /// <summary>Enabled endpoints with deliveries that are dead or failed at least once and still retrying.</summary>
    public static async Task<IReadOnlyList<FailingEndpoint>> FailingEndpointsAsync(Database db, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<FailingRow>(new CommandDefinition(
            """
            SELECT e.id, e.account_id, e.api, e.url,
                   SUM(CASE WHEN d.status = 'dead' THEN 1 ELSE 0 END) AS Dead,
                   SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END) AS Retrying,
                   MAX(d.last_status_code) AS LastStatusCode,
                   MAX(a.started_at) AS LastAttemptAt
            FROM webhook_endpoints e
            JOIN webhook_deliveries d ON d.endpoint_id = e.id
            LEFT JOIN webhook_attempts a ON a.delivery_id = d.id
            WHERE e.disabled_at IS NULL AND (d.status = 'dead' OR (d.status = 'pending' AND d.attempts > 0))
            GROUP BY e.id, e.account_id, e.api, e.url
            ORDER BY e.id
            """, null, cancellationToken: ct));
        return [.. rows.Select(r => new FailingEndpoint(r.Id, r.AccountId, r.Api, r.Url, r.Dead, r.Retrying, r.LastStatusCode, r.LastAttemptAt ?? 0))];
    }

    /// <summary>Every audit row of the resources, oldest first.</summary>
    public static async Task<IReadOnlyList<AuditEntry>> AuditOfAsync(Database db, IEnumerable<string> resourceIds, CancellationToken ct)
    {
        var all = new List<AuditEntry>();
        foreach (var id in resourceIds.Distinct())
        {
            all.AddRange(await AuditLog.QueryAsync(db, new AuditQuery(ResourceId: id, Limit: 1000), ct));
        }
        return [.. all.OrderBy(a => a.Id)];
    }

    /// <summary>Every outbox event of the resources with its deliveries, oldest first.</summary>
    public static async Task<IReadOnlyList<EventWithDeliveries>> EventsOfAsync(
        Database db, WebhookStore webhooks, IEnumerable<string> resourceIds, CancellationToken ct)
    {
        var all = new List<EventWithDeliveries>();
        foreach (var id in resourceIds.Distinct())
        {
            foreach (var e in await AuditLog.EventsAsync(db, null, id, null, 1000, ct))
            {
                all.Add(new EventWithDeliveries(e, await webhooks.DeliveriesAsync(null, e.EventId, null, null, null, 100, ct)));
            }
        }
        return [.. all.OrderBy(e => e.Event.Id)];
    }

    private sealed class FailingRow
    {
        public string Id { get; set; } = "";

        public string AccountId { get; set; } = "";

        public string Api { get; set; } = "";

        public string Url { get; set; } = "";

        public long Dead { get; set; }

        public long Retrying { get; set; }

        public int? LastStatusCode { get; set; }

        public long? LastAttemptAt { get; set; }
    }
}
