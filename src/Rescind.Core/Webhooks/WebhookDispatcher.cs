using System.Diagnostics;
using System.Text;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;

namespace Rescind.Core.Webhooks;

public sealed class WebhookOptions
{
    /// <summary>How long an event keeps being retried before its delivery is dead-lettered.</summary>
    public TimeSpan Horizon { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Attempts in flight at once on one node; a slow receiver holds one slot, not the queue.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Deliveries claimed per round: memory stays bounded whatever the backlog.</summary>
    public int BatchSize { get; set; } = 64;

    public int DefaultTimeoutMs { get; set; } = 10_000;

    /// <summary>How long a claim is held; a node that dies mid-attempt loses it after this, and another retries.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan IdleDelay { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// At-least-once delivery from the outbox. Fan-out turns each new outbox event into one delivery per enabled
/// endpoint of its account and API; the delivery loop claims due deliveries under a lease (<c>FOR UPDATE SKIP
/// LOCKED</c> on PostgreSQL, the single writer on SQLite), so two nodes never run one attempt at the same time,
/// sends them in parallel with per-endpoint timeouts, logs every attempt, and retries with jittered backoff until
/// the horizon, then dead-letters.
/// </summary>
public sealed class WebhookDispatcher(
    Database db, WebhookShapes shapes, IHttpClientFactory httpFactory, TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> log)
    : IJob
{
    public const string HttpClientName = "rescind-webhooks";

    public string Name => "webhooks";

    private WebhookOptions Options => options.Value;

    private long Now => Time.ToUnixMs(clock.GetUtcNow());

    /// <summary>Fans out every new event, then delivers everything due now, a bounded batch at a time.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await FanOutAsync(ct);
        var attempted = 0;
        while (true)
        {
            var claimed = await ClaimAsync(ct);
            await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = Options.Concurrency, CancellationToken = ct },
                async (d, c) => await AttemptAsync(d, c));
            attempted += claimed.Count;
            if (claimed.Count < Options.BatchSize)
            {
                return attempted;
            }
        }
    }

    public async Task<int> FanOutAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var (connection, tx) = await db.BeginWriteAsync(ct);
            await using (connection)
            await using (tx)
            {
                var events = (await connection.QueryAsync<PendingEvent>(
                    "SELECT id AS Id, event_id AS EventId, account_id AS AccountId, api AS Api FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT 500"
                    + db.ForUpdateSkipLocked, transaction: tx)).ToList();
                if (events.Count == 0)
                {
                    await tx.CommitAsync(ct);
                    return total;
                }
                var now = Now;
                foreach (var group in events.Where(e => e.AccountId is not null).GroupBy(e => (e.AccountId, e.Api)))
                {
                    var endpoints = (await connection.QueryAsync<string>(
                        "SELECT id FROM webhook_endpoints WHERE account_id = @AccountId AND api = @Api AND disabled_at IS NULL",
                        new { group.Key.AccountId, group.Key.Api }, tx)).ToList();
                    foreach (var e in group)
                    {
                        foreach (var endpoint in endpoints)
                        {
                            await connection.ExecuteAsync(
                                """
                                INSERT INTO webhook_deliveries (outbox_id, event_id, endpoint_id, account_id, status, attempts, next_attempt_at, created_at)
                                VALUES (@Id, @EventId, @endpoint, @AccountId, 'pending', 0, @now, @now)
                                ON CONFLICT (outbox_id, endpoint_id) DO NOTHING
                                """,
                                new { e.Id, e.EventId, endpoint, e.AccountId, now }, tx);
                        }
                    }
                }
                var ids = events.Select(e => e.Id).ToArray();
                await connection.ExecuteAsync(
                    db.Kind == DatabaseKind.Postgres
                        ? "UPDATE outbox SET dispatched_at = @now WHERE id = ANY(@ids)"
                        : "UPDATE outbox SET dispatched_at = @now WHERE id IN @ids",
                    new { now, ids }, tx);
                await tx.CommitAsync(ct);
                total += events.Count;
            }
        }
    }

    private async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(CancellationToken ct)
    {
        var now = Now;
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<ClaimedDelivery>(
            $"""
            UPDATE webhook_deliveries SET locked_until = @lease, attempts = attempts + 1
            WHERE id IN (SELECT id FROM webhook_deliveries
                         WHERE status = 'pending' AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until <= @now)
                         ORDER BY next_attempt_at, id LIMIT @n{db.ForUpdateSkipLocked})
            RETURNING id AS Id, outbox_id AS OutboxId, endpoint_id AS EndpointId, attempts AS Attempts, created_at AS CreatedAt
            """,
            new { now, lease = now + (long)Options.Lease.TotalMilliseconds, n = Options.BatchSize })).ToList();
    }

    private async Task AttemptAsync(ClaimedDelivery d, CancellationToken ct)
    {
        WebhookEndpoint? endpoint;
        OutboxEvent? e;
        await using (var connection = await db.OpenAsync(ct))
        {
            endpoint = await WebhookStore.ActiveEndpointAsync(connection, d.EndpointId);
            e = (await AuditLog.EventsByIdAsync(connection, d.OutboxId)).SingleOrDefault();
        }
        var shape = endpoint is null ? null : shapes.For(endpoint.Api);
        if (endpoint is null || e is null || shape is null)
        {
            await FinishAsync(d, statusCode: null, error: endpoint is null ? "endpoint disabled" : "no webhook shape for this API", excerpt: null, 0, dead: true, ct);
            return;
        }
        var request = shape.Build(e, endpoint, clock.GetUtcNow());
        var started = Stopwatch.GetTimestamp();
        int? status = null;
        string? error = null;
        string? excerpt = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(endpoint.TimeoutMs);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
            {
                Content = new StringContent(request.Body, Encoding.UTF8, request.ContentType),
            };
            foreach (var (name, value) in request.Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await httpFactory.CreateClient(HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            excerpt = await ReadExcerptAsync(response, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"timed out after {endpoint.TimeoutMs} ms";
        }
        catch (HttpRequestException x)
        {
            error = x.HttpRequestError + ": " + x.Message;
        }
        var elapsed = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var ok = status is >= 200 and < 300;
        var dead = !ok && Now - d.CreatedAt >= (long)Options.Horizon.TotalMilliseconds;
        await FinishAsync(d, status, error ?? (ok ? null : $"HTTP {status}"), excerpt, elapsed, dead, ct);
    }

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new char[500];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var n = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
        return n == 0 ? null : new string(buffer, 0, n);
    }

    /// <summary>Logs the attempt and settles the delivery, only if our claim still holds (a node whose lease ran out
    /// does not overwrite the node that took over).</summary>
    private async Task FinishAsync(ClaimedDelivery d, int? statusCode, string? error, string? excerpt, int elapsedMs, bool dead, CancellationToken ct)
    {
        var now = Now;
        var delivered = statusCode is >= 200 and < 300;
        var next = now + (long)Backoff.After(d.Attempts, Random.Shared.NextDouble()).TotalMilliseconds;
        var (connection, tx) = await db.BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_excerpt)
                VALUES (@Id, @Attempts, @started, @elapsedMs, @statusCode, @error, @excerpt)
                """,
                new { d.Id, d.Attempts, started = now - elapsedMs, elapsedMs, statusCode, error = Trim(error), excerpt = Trim(excerpt) }, tx);
            await connection.ExecuteAsync(
                """
                UPDATE webhook_deliveries
                SET status = @status, locked_until = NULL, last_status_code = @statusCode, last_error = @error,
                    next_attempt_at = @next, delivered_at = @deliveredAt
                WHERE id = @Id AND attempts = @Attempts
                """,
                new
                {
                    status = delivered ? "delivered" : dead ? "dead" : "pending",
                    statusCode,
                    error = Trim(error),
                    next,
                    deliveredAt = delivered ? now : (long?)null,
                    d.Id,
                    d.Attempts,
                }, tx);
            await tx.CommitAsync(ct);
        }
        if (!delivered)
        {
            log.LogInformation("Webhook delivery {Delivery} attempt {Attempt} failed: {Error}{Dead}", d.Id, d.Attempts, error, dead ? " (dead-lettered)" : "");
        }
    }

    private static string? Trim(string? s) => s is { Length: > 500 } ? s[..500] : s;

    private sealed class PendingEvent
    {
        public long Id { get; set; }

        public string EventId { get; set; } = "";

        public string? AccountId { get; set; }

        public string Api { get; set; } = "";
    }

    private sealed class ClaimedDelivery
    {
        public long Id { get; set; }

        public long OutboxId { get; set; }

        public string EndpointId { get; set; } = "";

        public int Attempts { get; set; }

        public long CreatedAt { get; set; }
    }
}

/// <summary>Runs the dispatcher continuously on a live node (the job runner's tick is too slow for webhooks).</summary>
public sealed class WebhookPump(WebhookDispatcher dispatcher, IOptions<JobOptions> jobs, IOptions<WebhookOptions> options, ILogger<WebhookPump> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!jobs.Value.Enabled)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await dispatcher.RunOnceAsync(stoppingToken) == 0)
                {
                    await Task.Delay(options.Value.IdleDelay, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (Database.IsUnavailable(e) || Database.IsTransient(e))
            {
                log.LogWarning("Webhook dispatch paused: {Message}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
