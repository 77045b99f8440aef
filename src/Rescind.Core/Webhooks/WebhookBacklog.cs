using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Extensions.Logging;
using Rescind.Core.Storage;
using Rescind.Core.Telemetry;

namespace Rescind.Core.Webhooks;

/// <summary>
/// The outbox backlog and the webhook lag as observable gauges: each read from the database by one indexed
/// statement only when a metrics reader collects (a scrape, an OTLP export), never on the request path. While the
/// schema gate is closed or the database does not answer, a gauge reports nothing.
/// </summary>
public sealed class WebhookBacklog
{
    private readonly Database db;
    private readonly SchemaGate gate;
    private readonly TimeProvider clock;
    private readonly ILogger<WebhookBacklog> log;

    public WebhookBacklog(Database db, SchemaGate gate, TimeProvider clock, RescindMetrics metrics, ILogger<WebhookBacklog> log)
    {
        this.db = db;
        this.gate = gate;
        this.clock = clock;
        this.log = log;
        metrics.Meter.CreateObservableGauge("rescind.outbox.backlog", () => Count("SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL"),
            "{event}", "Outbox events not yet fanned out to webhook deliveries.");
        metrics.Meter.CreateObservableGauge("rescind.webhook.pending", () => Count("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'"),
            "{delivery}", "Webhook deliveries waiting for a first or a next attempt.");
        metrics.Meter.CreateObservableGauge("rescind.webhook.lag", LagSeconds,
            "s", "Age of the oldest undelivered event (outbox or pending delivery); 0 when nothing waits.");
    }

    private IEnumerable<Measurement<long>> Count(string sql) =>
        TryRead<long>(sql, out var n) ? [new Measurement<long>(n)] : [];

    private IEnumerable<Measurement<double>> LagSeconds()
    {
        if (!TryRead<long?>(
            """
            SELECT MIN(t) FROM (SELECT MIN(created_at) AS t FROM outbox WHERE dispatched_at IS NULL
                                UNION ALL SELECT MIN(created_at) FROM webhook_deliveries WHERE status = 'pending') AS waiting
            """, out var oldest))
        {
            return [];
        }
        return [new Measurement<double>(oldest is { } at ? Math.Max(0, Time.ToUnixMs(clock.GetUtcNow()) - at) / 1000.0 : 0)];
    }

    private bool TryRead<T>(string sql, out T? value)
    {
        value = default;
        if (!gate.IsOpen)
        {
            return false;
        }
        try
        {
            using var connection = db.Open();
            value = connection.ExecuteScalar<T>(sql);
            return true;
        }
        catch (Exception e) when (Database.IsUnavailable(e) || Database.IsTransient(e))
        {
            log.LogDebug("Webhook backlog not measured: {Message}", e.Message);
            return false;
        }
    }
}
