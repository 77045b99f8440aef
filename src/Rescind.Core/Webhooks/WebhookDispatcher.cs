using System.Diagnostics;
using System.Text;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;
using Rescind.Core.Telemetry;

namespace Rescind.Core.Webhooks;

public sealed class WebhookOptions
{
    /// <summary>How long an event keeps being retried before its delivery is dead-lettered.</summary>
    public TimeSpan Horizon { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Attempts in flight at once on one node; a slow receiver holds one slot, not the queue.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Deliveries claimed at once: memory stays bounded whatever the backlog.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Attempts one endpoint may have in flight at once: a slow or flooded receiver holds at most this many
    /// of the slots, the other endpoints the rest.</summary>
    public int PerEndpoint { get; set; } = 4;

    /// <summary>How long one round of the dispatcher goes on claiming before it lets the attempts in flight end and
    /// returns (the pump starts the next at once; the job runner's other jobs run in between).</summary>
    public TimeSpan RoundBudget { get; set; } = TimeSpan.FromSeconds(10);

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
    Database db, WebhookShapes shapes, IHttpClientFactory httpFactory, TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> log,
    RescindMetrics metrics)
    : IJob
{
    public const string HttpClientName = "rescind-webhooks";

    public string Name => "webhooks";

    private WebhookOptions Options => options.Value;

    private long Now => Time.ToUnixMs(clock.GetUtcNow());

    /// <summary>
    /// Fans out every new event, then delivers what is due: attempts run in parallel in
    /// <see cref="WebhookOptions.Concurrency"/> slots, and each slot is refilled as soon as its attempt ends, so a slow
    /// receiver holds only its own slots. An endpoint has at most <see cref="WebhookOptions.PerEndpoint"/> attempts in
    /// flight (across nodes, up to a race between two nodes' claims), so one tenant's backlog cannot take every slot.
    /// Attempts that ended together are settled in one commit. A round stops claiming after
    /// <see cref="WebhookOptions.RoundBudget"/> and returns once its attempts in flight ended, so that the jobs run
    /// after it are not held by a slow receiver either.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await FanOutAsync(ct);
        var attempted = 0;
        var started = Stopwatch.GetTimestamp();
        var lastFanOut = started;
        var running = new List<Task<Outcome>>();
        try
        {
            while (true)
            {
                var free = Math.Min(Options.Concurrency - running.Count, Options.BatchSize);
                if (free > 0 && Stopwatch.GetElapsedTime(started) < Options.RoundBudget)
                {
                    if (Stopwatch.GetElapsedTime(lastFanOut) >= Options.IdleDelay)
                    {
                        await FanOutAsync(ct);
                        lastFanOut = Stopwatch.GetTimestamp();
                    }
                    var claimed = await ClaimAsync(free, ct);
                    var (events, endpoints) = await LoadAsync(claimed, ct);
                    foreach (var d in claimed)
                    {
                        running.Add(AttemptAsync(d, events.GetValueOrDefault(d.OutboxId), endpoints.GetValueOrDefault(d.EndpointId), ct));
                    }
                    attempted += claimed.Count;
                }
                if (running.Count == 0)
                {
                    return attempted;
                }
                await Task.WhenAny(running);
                await FinishAsync(await TakeEndedAsync(running), ct);
            }
        }
        catch when (running.Count > 0)
        {
            // A fault of the round (the database, a bug) still waits for its attempts, so none runs on detached;
            // whatever it cannot settle now is retried when its lease ends.
            try
            {
                await Task.WhenAll(running);
                await FinishAsync(await TakeEndedAsync(running), CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning("Webhook attempts of a failed round left to their lease: {Message}", e.Message);
            }
            catch (OperationCanceledException)
            {
                // stopping
            }
            throw;
        }
    }

    /// <summary>Removes the attempts that ended from <paramref name="running"/> and returns their outcomes.</summary>
    private static async Task<IReadOnlyList<Outcome>> TakeEndedAsync(List<Task<Outcome>> running)
    {
        var ended = running.Where(t => t.IsCompleted).ToList();
        running.RemoveAll(t => t.IsCompleted);
        var outcomes = new List<Outcome>(ended.Count);
        foreach (var t in ended)
        {
            outcomes.Add(await t);
        }
        return outcomes;
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
                    "SELECT id, event_id, account_id, api FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT 500"
                    + db.ForUpdateSkipLocked, transaction: tx)).ToList();
                if (events.Count == 0)
                {
                    await tx.CommitAsync(ct);
                    return total;
                }
                var now = Now;
                var ids = events.Select(e => e.Id).ToArray();
                // One set-based statement: every event of the batch times every enabled endpoint of its account and API that takes its type.
                await connection.ExecuteAsync(
                    $"""
                    INSERT INTO webhook_deliveries (outbox_id, event_id, endpoint_id, account_id, status, attempts, next_attempt_at, created_at)
                    SELECT o.id, o.event_id, w.id, o.account_id, 'pending', 0, @now, @now
                    FROM outbox o JOIN webhook_endpoints w ON w.account_id = o.account_id AND w.api = o.api AND w.disabled_at IS NULL
                    WHERE {db.AnyOf("o.id", "ids")} AND (w.event_types IS NULL OR w.event_types LIKE '%,' || o.event_type || ',%')
                    ON CONFLICT (outbox_id, endpoint_id) DO NOTHING
                    """,
                    new { now, ids }, tx);
                await connection.ExecuteAsync(
                    "UPDATE outbox SET dispatched_at = @now WHERE " + db.AnyOf("id", "ids"),
                    new { now, ids }, tx);
                await tx.CommitAsync(ct);
                total += events.Count;
            }
        }
    }

    /// <summary>
    /// Claims up to <paramref name="slots"/> due deliveries under a lease: first the endpoints with due work and fewer
    /// than <see cref="WebhookOptions.PerEndpoint"/> attempts in flight, oldest due first (one query over the endpoints, each an index seek), then up to
    /// deliveries of each up to that bound (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL, the
    /// single writer on SQLite), so that however long one endpoint's backlog, the others' work is reached.
    /// </summary>
    private async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int slots, CancellationToken ct)
    {
        var now = Now;
        await using var connection = await db.OpenAsync(ct);
        // (unqualified columns in the EXISTS below are the delivery's: the endpoint has none of these names)
        const string Due = "status = 'pending' AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until <= @now)";
        var ready = (await connection.QueryAsync<(string Id, long InFlight)>(new CommandDefinition(
            $"""
            SELECT id, in_flight FROM (
                SELECT w.id,
                       (SELECT COUNT(*) FROM webhook_deliveries f WHERE f.endpoint_id = w.id AND f.status = 'pending' AND f.locked_until > @now) AS in_flight,
                       (SELECT MIN(m.next_attempt_at) FROM webhook_deliveries m WHERE m.endpoint_id = w.id AND m.status = 'pending') AS oldest
                FROM webhook_endpoints w
                WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.{Due})) e
            WHERE in_flight < @per
            ORDER BY oldest, id
            LIMIT @slots
            """, new { now, slots, per = Options.PerEndpoint }, cancellationToken: ct))).ToList();
        var claimed = new List<ClaimedDelivery>();
        foreach (var (endpoint, inFlight) in ready)
        {
            var n = Math.Min(Options.PerEndpoint - (int)inFlight, slots - claimed.Count);
            if (n <= 0)
            {
                continue;
            }
            claimed.AddRange(await connection.QueryAsync<ClaimedDelivery>(new CommandDefinition(
                $"""
                UPDATE webhook_deliveries SET locked_until = @lease, attempts = attempts + 1
                WHERE id IN (SELECT id FROM webhook_deliveries
                             WHERE endpoint_id = @endpoint AND {Due}
                             ORDER BY next_attempt_at, id LIMIT @n{db.ForUpdateSkipLocked})
                RETURNING id, outbox_id, endpoint_id, attempts, created_at
                """, new { now, lease = now + (long)Options.Lease.TotalMilliseconds, endpoint, n }, cancellationToken: ct)));
        }
        return claimed;
    }

    private sealed record Outcome(ClaimedDelivery Delivery, int? StatusCode, string? Error, string? Excerpt, int ElapsedMs, bool Dead, long FinishedAt);

    /// <summary>The events and (enabled) endpoints of a claimed batch, in two queries.</summary>
    private async Task<(Dictionary<long, OutboxEvent> Events, Dictionary<string, WebhookEndpoint> Endpoints)> LoadAsync(
        IReadOnlyList<ClaimedDelivery> claimed, CancellationToken ct)
    {
        if (claimed.Count == 0)
        {
            return ([], []);
        }
        await using var connection = await db.OpenAsync(ct);
        var events = (await AuditLog.EventsByIdsAsync(connection, db.Kind, claimed.Select(d => d.OutboxId).Distinct().ToArray(), ct))
            .ToDictionary(e => e.Id);
        var endpoints = (await WebhookStore.ActiveEndpointsAsync(connection, db.Kind, claimed.Select(d => d.EndpointId).Distinct().ToArray(), ct))
            .ToDictionary(e => e.Id, StringComparer.Ordinal);
        return (events, endpoints);
    }

    private async Task<Outcome> AttemptAsync(ClaimedDelivery d, OutboxEvent? e, WebhookEndpoint? endpoint, CancellationToken ct)
    {
        using var span = RescindTraces.Source.StartActivity("webhook.deliver", ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag(RescindTraces.Api, endpoint?.Api ?? e?.Api);
            span.SetTag(RescindTraces.Account, endpoint?.AccountId ?? e?.AccountId);
            span.SetTag(RescindTraces.ResourceId, e?.ResourceId);
            span.SetTag("rescind.webhook.delivery_id", d.Id);
            span.SetTag("rescind.webhook.endpoint_id", d.EndpointId);
            span.SetTag("rescind.webhook.event_type", e?.EventType);
            span.SetTag("rescind.webhook.attempt", d.Attempts);
        }
        var outcome = await SendAsync(d, e, endpoint, ct);
        var delivered = outcome.StatusCode is >= 200 and < 300;
        var result = delivered ? "delivered" : outcome.Dead ? "dead" : "failed";
        var api = new KeyValuePair<string, object?>("api", endpoint?.Api ?? e?.Api ?? "unknown");
        metrics.WebhookAttempts.Add(1, api, new KeyValuePair<string, object?>("result", result));
        if (outcome.Dead)
        {
            metrics.DeadLetters.Add(1, api);
        }
        if (span is not null)
        {
            span.SetTag(RescindTraces.Outcome, result);
            span.SetTag("http.response.status_code", outcome.StatusCode);
            if (!delivered)
            {
                span.SetStatus(ActivityStatusCode.Error, outcome.Error);
            }
        }
        return outcome;
    }

    private async Task<Outcome> SendAsync(ClaimedDelivery d, OutboxEvent? e, WebhookEndpoint? endpoint, CancellationToken ct)
    {
        var shape = endpoint is null ? null : shapes.For(endpoint.Api);
        if (endpoint is null || e is null || shape is null)
        {
            return new Outcome(d, null, endpoint is null ? "endpoint disabled" : "no webhook shape for this API", null, 0, Dead: true, Now);
        }
        var started = Stopwatch.GetTimestamp();
        int? status = null;
        string? error = null;
        string? excerpt = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(endpoint.TimeoutMs);
        try
        {
            var request = shape.Build(e, endpoint, clock.GetUtcNow());
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
            try
            {
                excerpt = await ReadExcerptAsync(response, timeout.Token);
            }
            catch (Exception x) when (x is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // The status line is the receiver's answer; a body cut short, reset or badly chunked after it is
                // noted in the excerpt and changes nothing else.
                excerpt = "(response body unreadable: " + Describe(x, endpoint) + ")";
            }
        }
        catch (Exception x) when (x is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Whatever a receiver does (refuse, reset, cut the headers short, send garbage) is that receiver's failed
            // attempt, never a fault of the dispatcher: one tenant's endpoint cannot stop delivery for the others.
            error = Describe(x, endpoint);
        }
        var elapsed = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var ok = status is >= 200 and < 300;
        var dead = !ok && Now - d.CreatedAt >= (long)Options.Horizon.TotalMilliseconds;
        if (!ok)
        {
            log.LogInformation("Webhook delivery {Delivery} attempt {Attempt} failed: {Error}{Dead}", d.Id, d.Attempts, error ?? $"HTTP {status}", dead ? " (dead-lettered)" : "");
        }
        return new Outcome(d, status, error ?? (ok ? null : $"HTTP {status}"), excerpt, elapsed, dead, Now);
    }

    private static string Describe(Exception x, WebhookEndpoint endpoint) => x switch
    {
        OperationCanceledException => $"timed out after {endpoint.TimeoutMs} ms",
        HttpRequestException h => h.HttpRequestError + ": " + h.Message,
        _ => x.GetType().Name + ": " + x.Message,
    };

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new char[500];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var n = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
        return n == 0 ? null : new string(buffer, 0, n);
    }

    /// <summary>Logs the attempts and settles the deliveries, each only if our claim still holds (a node whose
    /// lease ran out does not overwrite the node that took over).</summary>
    private async Task FinishAsync(IReadOnlyList<Outcome> outcomes, CancellationToken ct)
    {
        if (outcomes.Count == 0)
        {
            return;
        }
        var (connection, tx) = await db.BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var rows = outcomes.Select(o =>
            {
                var delivered = o.StatusCode is >= 200 and < 300;
                return new FinishRow(
                    o.Delivery.Id,
                    o.Delivery.Attempts,
                    o.FinishedAt - o.ElapsedMs,
                    o.ElapsedMs,
                    o.StatusCode,
                    Trim(o.Error),
                    Trim(o.Excerpt),
                    delivered ? "delivered" : o.Dead ? "dead" : "pending",
                    o.FinishedAt + (long)Backoff.After(o.Delivery.Attempts, Random.Shared.NextDouble()).TotalMilliseconds,
                    delivered ? o.FinishedAt : null);
            }).ToList();
            if (db.Kind == DatabaseKind.Postgres)
            {
                // Two statements for the whole batch instead of two round trips per delivery.
                var args = new
                {
                    Ids = rows.Select(r => r.Id).ToArray(),
                    Attempts = rows.Select(r => r.Attempt).ToArray(),
                    Started = rows.Select(r => r.Started).ToArray(),
                    Elapsed = rows.Select(r => r.ElapsedMs).ToArray(),
                    Codes = rows.Select(r => r.StatusCode).ToArray(),
                    Errors = rows.Select(r => r.Error).ToArray(),
                    Excerpts = rows.Select(r => r.Excerpt).ToArray(),
                    Statuses = rows.Select(r => r.Status).ToArray(),
                    Next = rows.Select(r => r.Next).ToArray(),
                    DeliveredAt = rows.Select(r => r.DeliveredAt).ToArray(),
                };
                await connection.ExecuteAsync(
                    """
                    INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_excerpt)
                    SELECT * FROM unnest(@Ids, @Attempts, @Started, @Elapsed, @Codes, @Errors, @Excerpts)
                    """, args, tx);
                await connection.ExecuteAsync(
                    """
                    UPDATE webhook_deliveries d
                    SET status = u.status, locked_until = NULL, last_status_code = u.code, last_error = u.error,
                        next_attempt_at = u.next, delivered_at = u.delivered_at
                    FROM unnest(@Ids, @Attempts, @Statuses, @Codes, @Errors, @Next, @DeliveredAt)
                         AS u(id, attempts, status, code, error, next, delivered_at)
                    WHERE d.id = u.id AND d.attempts = u.attempts
                    """, args, tx);
            }
            else
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_excerpt)
                    VALUES (@Id, @Attempt, @Started, @ElapsedMs, @StatusCode, @Error, @Excerpt)
                    """, rows, tx);
                await connection.ExecuteAsync(
                    """
                    UPDATE webhook_deliveries
                    SET status = @Status, locked_until = NULL, last_status_code = @StatusCode, last_error = @Error,
                        next_attempt_at = @Next, delivered_at = @DeliveredAt
                    WHERE id = @Id AND attempts = @Attempt
                    """, rows, tx);
            }
            await tx.CommitAsync(ct);
        }
    }

    private sealed record FinishRow(
        long Id, int Attempt, long Started, int ElapsedMs, int? StatusCode, string? Error, string? Excerpt, string Status, long Next, long? DeliveredAt);

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
public sealed class WebhookPump(WebhookDispatcher dispatcher, IOptions<JobOptions> jobs, IOptions<WebhookOptions> options, SchemaGate gate, ILogger<WebhookPump> log)
    : BackgroundService
{
    private static async Task PauseAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!jobs.Value.Enabled)
        {
            return;
        }
        try
        {
            await gate.WaitAsync(stoppingToken); // no delivery before the schema is up to date
        }
        catch (OperationCanceledException)
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
                await PauseAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A fault of one round (a bug, a row it cannot read) is logged and the pump goes on: delivery for
                // every tenant must not end with it. Claimed deliveries are retried when their lease ends.
                log.LogError(e, "Webhook dispatch round failed; retrying");
                await PauseAsync(stoppingToken);
            }
        }
    }
}
