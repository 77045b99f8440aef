using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Extensions.Logging;
using Rescind.Core.Storage;
using Rescind.Core.Telemetry;

namespace Rescind.Core.Webhooks;

/// <summary>
/// The outbox backlog and the webhook lag as observable gauges: read from the database only when a metrics reader
/// collects (a scrape, an OTLP export), in one statement whose answer serves every gauge of that collection. Never
/// on the request path. While the schema gate is closed or the database does not answer, the gauges report nothing.
/// </summary>
public sealed class WebhookBacklog
{
    /// <summary>Collections closer together than this share one reading (a collection reads every gauge in turn).</summary>
    private static readonly TimeSpan Reuse = TimeSpan.FromMilliseconds(250);

    private readonly Database db;
    private readonly SchemaGate gate;
    private readonly TimeProvider clock;
    private readonly ILogger<WebhookBacklog> log;
    private readonly Lock sync = new();
    private Reading? last;
    private long readAt;

    public WebhookBacklog(Database db, SchemaGate gate, TimeProvider clock, RescindMetrics metrics, ILogger<WebhookBacklog> log)
    {
        this.db = db;
        this.gate = gate;
        this.clock = clock;
        this.log = log;
        metrics.Meter.CreateObservableGauge("rescind.outbox.backlog", () => Measure(r => r.Undispatched), "{event}",
            "Outbox events not yet fanned out to webhook deliveries.");
        metrics.Meter.CreateObservableGauge("rescind.webhook.pending", () => Measure(r => r.Pending), "{delivery}",
            "Webhook deliveries waiting for a first or a next attempt.");
        metrics.Meter.CreateObservableGauge("rescind.webhook.lag", () => Measure(r => r.LagSeconds), "s",
            "Age of the oldest undelivered event (outbox or pending delivery); 0 when nothing waits.");
    }

    private sealed record Reading(long Undispatched, long Pending, double LagSeconds);

    private IEnumerable<Measurement<T>> Measure<T>(Func<Reading, T> pick)
        where T : struct
    {
        var reading = Read();
        return reading is null ? [] : [new Measurement<T>(pick(reading))];
    }

    private Reading? Read()
    {
        lock (sync)
        {
            if (last is not null && Stopwatch.GetElapsedTime(readAt) < Reuse)
            {
                return last;
            }
            if (!gate.IsOpen)
            {
                return null;
            }
            try
            {
                using var connection = db.Open();
                var row = connection.QuerySingle<(long Undispatched, long Pending, long? OldestOutbox, long? OldestDelivery)>(
                    """
                    SELECT (SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL),
                           (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'),
                           (SELECT MIN(created_at) FROM outbox WHERE dispatched_at IS NULL),
                           (SELECT MIN(created_at) FROM webhook_deliveries WHERE status = 'pending')
                    """);
                var oldest = Math.Min(row.OldestOutbox ?? long.MaxValue, row.OldestDelivery ?? long.MaxValue);
                var lag = oldest == long.MaxValue ? 0 : Math.Max(0, Time.ToUnixMs(clock.GetUtcNow()) - oldest) / 1000.0;
                last = new Reading(row.Undispatched, row.Pending, lag);
                readAt = Stopwatch.GetTimestamp();
                return last;
            }
            catch (Exception e) when (Database.IsUnavailable(e) || Database.IsTransient(e))
            {
                log.LogDebug("Webhook backlog not measured: {Message}", e.Message);
                return null;
            }
        }
    }
}
