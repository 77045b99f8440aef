using System.Diagnostics;
using System.Diagnostics.Metrics;
using Rescind.Core.Coordination;

namespace Rescind.Core.Telemetry;

/// <summary>
/// Rescind's own traces: the <c>Rescind</c> activity source (the cancellation core's spans, SQLite's statements
/// and transactions, webhook deliveries, job runs). <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null while nothing listens, so an untraced node pays one check per span.
/// </summary>
public static class RescindTraces
{
    public const string Name = "Rescind";

    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The attributes every span of the core carries (OpenTelemetry names where the conventions have one).</summary>
    public const string Api = "rescind.api";

    public const string Operation = "rescind.operation";

    public const string ResourceId = "rescind.resource.id";

    public const string Outcome = "rescind.outcome";

    public const string Account = "rescind.account.id";

    /// <summary>A span around one SQLite statement (Npgsql traces PostgreSQL's itself).</summary>
    public static Activity? Statement(string sql)
    {
        var activity = Source.StartActivity("sqlite", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("db.system.name", "sqlite");
            activity.SetTag("db.query.text", sql);
        }
        return activity;
    }
}

/// <summary>The names of the typed outcomes as the metrics and spans label them.</summary>
public static class OutcomeNames
{
    public const string Transitioned = "transitioned";
    public const string Already = "already";
    public const string Deferred = "deferred";
    public const string Refused = "refused";
    public const string NotFound = "not_found";

    /// <summary>The outcome's name, or null when <paramref name="result"/> is not a typed outcome.</summary>
    public static string? Of(object? result) => result is IOutcome o ? o.Name : null;

    /// <summary>The status class ("2xx", "4xx", ...) of an answer that no typed outcome names.</summary>
    public static string StatusClass(int status) => status switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        < 500 => "4xx",
        _ => "5xx",
    };
}

/// <summary>
/// What the cancellation core learnt about the request being served, for the HTTP edge's metric and its one log
/// line: the typed outcome's name (set by <see cref="Coordinator.ExecuteAsync{T}"/>) and whether the answer was an
/// idempotent replay. The edge sets <see cref="Current"/> for the request; nothing else reads it.
/// </summary>
public sealed class RequestTelemetry
{
    private static readonly AsyncLocal<RequestTelemetry?> Slot = new();

    public static RequestTelemetry? Current
    {
        get => Slot.Value;
        set => Slot.Value = value;
    }

    /// <summary>The operation (method and route template) the edge is serving.</summary>
    public string? Operation { get; set; }

    public string? Outcome { get; set; }

    public bool Replayed { get; set; }

    /// <summary>The route's values (the resource id for the core's span when the work recorded no change).</summary>
    public IReadOnlyDictionary<string, object?>? RouteValues { get; set; }

    /// <summary>The first route value named like an id (<c>id</c>, <c>request_id</c>, <c>sessionId</c>).</summary>
    public string? RouteResourceId()
    {
        if (RouteValues is null)
        {
            return null;
        }
        foreach (var (key, value) in RouteValues)
        {
            if (key.EndsWith("id", StringComparison.OrdinalIgnoreCase) && value is string s)
            {
                return s;
            }
        }
        return null;
    }
}

/// <summary>
/// Rescind's metrics: the <c>Rescind</c> meter, made by the host's <see cref="IMeterFactory"/> (so two hosts in one
/// process, as the tests run them, keep their numbers apart). Counters and histograms only on the request path.
/// The observable gauges (outbox backlog, webhook lag) are read by <see cref="Rescind.Core.Webhooks.WebhookBacklog"/>
/// when a reader collects.
/// </summary>
public sealed class RescindMetrics
{
    public const string MeterName = "Rescind";

    public RescindMetrics(IMeterFactory factory)
    {
        Meter = factory.Create(MeterName);
        Requests = Meter.CreateCounter<long>("rescind.requests", "{request}",
            "Requests answered by an API operation, by api, operation and outcome (the typed outcome, else the status class).");
        Duration = Meter.CreateHistogram<double>("rescind.request.duration", "s",
            "Time to answer an API operation, by api and operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        Replays = Meter.CreateCounter<long>("rescind.idempotency.replays", "{request}",
            "Requests answered from a stored idempotency record, by api.");
        BatchSize = Meter.CreateHistogram<int>("rescind.group_commit.batch_size", "{transaction}",
            "Transactions committed by one SQLite group commit.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        WebhookAttempts = Meter.CreateCounter<long>("rescind.webhook.attempts", "{attempt}",
            "Webhook delivery attempts, by api and result (delivered, failed, dead).");
        DeadLetters = Meter.CreateCounter<long>("rescind.webhook.dead_letters", "{delivery}",
            "Webhook deliveries given up (dead-lettered), by api.");
        JobRuns = Meter.CreateCounter<long>("rescind.job.runs", "{run}",
            "Background job runs, by job and result (ok, failed).");
        JobItems = Meter.CreateCounter<long>("rescind.job.items", "{item}",
            "Items the background jobs handled, by job.");
        CancellationItems = Meter.CreateCounter<long>("rescind.cancellation.items", "{resource}",
            "Resources a cancellation of Rescind's own API settled, by the resource's api and outcome (canceled, already_canceled, pending_cancellation, refused, not_found).");
    }

    public Counter<long> CancellationItems { get; }

    public Meter Meter { get; }

    public Counter<long> Requests { get; }

    public Histogram<double> Duration { get; }

    public Counter<long> Replays { get; }

    public Histogram<int> BatchSize { get; }

    public Counter<long> WebhookAttempts { get; }

    public Counter<long> DeadLetters { get; }

    public Counter<long> JobRuns { get; }

    public Counter<long> JobItems { get; }
}
