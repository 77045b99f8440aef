using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Observability;

/// <summary>Every span the host's tracer provider exported, kept in memory (spans of other hosts in this process
/// arrive too: a test picks its own by trace id).</summary>
public sealed class SpanLog : ICollection<Activity>
{
    private readonly List<Activity> spans = [];

    public IReadOnlyList<Activity> Of(ActivityTraceId trace)
    {
        lock (spans)
        {
            return [.. spans.Where(s => s.TraceId == trace)];
        }
    }

    /// <summary>The spans of <paramref name="trace"/> once <paramref name="complete"/> holds of them (spans are
    /// exported as they end, the request's own after its answer was sent); fails after a generous wait.</summary>
    public async Task<IReadOnlyList<Activity>> WaitAsync(ActivityTraceId trace, Func<IReadOnlyList<Activity>, bool> complete)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var got = Of(trace);
            if (complete(got))
            {
                return got;
            }
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the trace never completed: " + string.Join(", ", got.Select(s => s.Source.Name + "/" + s.DisplayName)));
            await Task.Delay(20);
        }
    }

    public void Add(Activity item)
    {
        lock (spans)
        {
            spans.Add(item);
        }
    }

    public int Count
    {
        get
        {
            lock (spans)
            {
                return spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public void Clear()
    {
        lock (spans)
        {
            spans.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (spans)
        {
            return spans.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (spans)
        {
            spans.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (spans)
        {
            return spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)Of(default)).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>What a traced host adds: traces recorded (no OTLP endpoint, nothing leaves the process) and this
    /// in-memory exporter.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Settings => [new("Rescind:Telemetry:Traces", "true")];

    public void AddTo(IServiceCollection services) => services.ConfigureOpenTelemetryTracerProvider(b => b.AddInMemoryExporter(this));
}

public sealed class TracedSqliteServer : SqliteServer
{
    public SpanLog Spans { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings => SpanLog.Settings;

    protected override void AddServices(IServiceCollection services) => Spans.AddTo(services);
}

public sealed class TracedPostgresServer : PostgresServer
{
    public SpanLog Spans { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings => SpanLog.Settings;

    protected override void AddServices(IServiceCollection services) => Spans.AddTo(services);
}

/// <summary>The trace of one cancel holds the request's span, the cancellation core's span and the database's
/// spans beneath it, with the API, operation, resource, outcome and account; a webhook delivery has its span.</summary>
public abstract class TracesTests(RescindServer server, SpanLog spans) : IAsyncLifetime
{
    private const string NumeralCancel = "DELETE /tax/certificate-requests/{request_id}";

    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    private static bool IsRequest(Activity s) => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server;

    private bool IsDatabase(Activity s) => server.Name == "sqlite"
        ? s.Source.Name == "Rescind" && s.DisplayName == "sqlite" && (string?)s.GetTagItem("db.system.name") == "sqlite"
        : s.Source.Name == "Npgsql";

    /// <summary>Whether <paramref name="ancestor"/> is above <paramref name="span"/> in the trace.</summary>
    private static bool Under(Activity span, Activity ancestor, IReadOnlyList<Activity> trace)
    {
        var bySpan = trace.ToDictionary(s => s.SpanId);
        for (var at = span; bySpan.TryGetValue(at.ParentSpanId, out var parent); at = parent)
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }
        return false;
    }

    [Fact]
    public async Task The_trace_of_one_cancel_holds_the_request_span_the_core_span_and_the_database_spans()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var trace = ActivityTraceId.CreateRandom();

        var a = await t.Numeral(HttpMethod.Delete, "/tax/certificate-requests/" + id,
            headers: new() { ["traceparent"] = $"00-{trace}-{ActivitySpanId.CreateRandom()}-01" });

        Assert.Equal(200, a.Code);
        var got = await spans.WaitAsync(trace, s => s.Any(IsRequest) && s.Any(x => x.DisplayName == "rescind.execute"));
        var request = Assert.Single(got, IsRequest);
        Assert.Equal("numeral", request.GetTagItem("rescind.api"));
        Assert.Equal(NumeralCancel, request.GetTagItem("rescind.operation"));
        Assert.Equal("transitioned", request.GetTagItem("rescind.outcome"));
        Assert.Equal(200, request.GetTagItem("http.response.status_code"));

        var core = Assert.Single(got, s => s.Source.Name == "Rescind" && s.DisplayName == "rescind.execute");
        Assert.Equal(request.SpanId, core.ParentSpanId);
        Assert.Equal("numeral", core.GetTagItem("rescind.api"));
        Assert.Equal(NumeralCancel, core.GetTagItem("rescind.operation"));
        Assert.Equal("transitioned", core.GetTagItem("rescind.outcome"));
        Assert.Equal(id, core.GetTagItem("rescind.resource.id"));
        Assert.Equal(t.AccountId, core.GetTagItem("rescind.account.id"));
        var transaction = Assert.Single(got, s => s.DisplayName == "rescind.transaction");
        Assert.Equal(core.SpanId, transaction.ParentSpanId);

        // The credential's lookup comes before the core (a PostgreSQL span under the request only); the cancel's
        // own statements are under its transaction.
        var database = got.Where(IsDatabase).Where(d => Under(d, transaction, got)).ToList();
        Assert.NotEmpty(database);
        Assert.All(got.Where(IsDatabase), d => Assert.True(Under(d, request, got), $"{d.DisplayName} is not under the request"));
        if (server.Name == "sqlite")
        {
            // The request's work ran in a savepoint of a group commit, whose batch is linked.
            var savepoint = Assert.Single(got, s => s.DisplayName == "sqlite.savepoint");
            Assert.Equal(transaction.SpanId, savepoint.ParentSpanId);
            Assert.Single(savepoint.Links);
            Assert.Contains(database, d => ((string?)d.GetTagItem("db.query.text"))?.Contains("UPDATE numeral", StringComparison.OrdinalIgnoreCase) == true);
        }
    }

    [Fact]
    public async Task A_refused_cancel_names_its_outcome_and_the_resource_from_the_route()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.SimulateAsync(id, "submit")).Code);
        Assert.Equal(200, (await t.SimulateAsync(id, "accept")).Code);
        var trace = ActivityTraceId.CreateRandom();

        var a = await t.Numeral(HttpMethod.Delete, "/tax/certificate-requests/" + id,
            headers: new() { ["traceparent"] = $"00-{trace}-{ActivitySpanId.CreateRandom()}-01" });

        Assert.Equal(409, a.Code);
        var got = await spans.WaitAsync(trace, s => s.Any(IsRequest) && s.Any(x => x.DisplayName == "rescind.execute"));
        var core = Assert.Single(got, s => s.DisplayName == "rescind.execute");
        Assert.Equal("refused", core.GetTagItem("rescind.outcome"));
        Assert.Equal(id, core.GetTagItem("rescind.resource.id"));
    }

    [Fact]
    public async Task A_webhook_delivery_has_a_span_with_its_api_resource_and_result()
    {
        var t = await Tenant.CreateAsync(server);
        var hook = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new Dictionary<string, object?> { ["account_id"] = t.AccountId, ["api"] = "numeral", ["url"] = receiver.BaseUrl + "/hooks/traces" });
        Assert.True(hook.Code == 201, hook.Body);
        var id = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.CancelAsync(id)).Code);
        var trace = ActivityTraceId.CreateRandom();

        var run = await Tenant.SendAsync(server, HttpMethod.Post, "/operator/jobs/run", null, new()
        {
            ["Authorization"] = "Bearer " + server.OperatorToken,
            ["traceparent"] = $"00-{trace}-{ActivitySpanId.CreateRandom()}-01",
        });

        Assert.Equal(200, run.Code);
        var got = await spans.WaitAsync(trace, s => s.Any(IsRequest));
        var deliveries = got.Where(s => s.DisplayName == "webhook.deliver" && (string?)s.GetTagItem("rescind.resource.id") == id).ToList();
        Assert.Equal(2, deliveries.Count); // created and canceled
        Assert.All(deliveries, d =>
        {
            Assert.Equal("numeral", d.GetTagItem("rescind.api"));
            Assert.Equal(t.AccountId, d.GetTagItem("rescind.account.id"));
            Assert.Equal("delivered", d.GetTagItem("rescind.outcome"));
            Assert.Equal(ActivityKind.Client, d.Kind);
        });
        Assert.Contains(got, s => s.DisplayName == "rescind.job" && (string?)s.GetTagItem("rescind.job") == "webhooks");
    }
}

[Trait("Category", "Sqlite")]
public sealed class TracesTests_Sqlite(TracedSqliteServer server) : TracesTests(server, server.Spans), IClassFixture<TracedSqliteServer>;

[Trait("Category", "Postgres")]
public sealed class TracesTests_Postgres(TracedPostgresServer server) : TracesTests(server, server.Spans), IClassFixture<TracedPostgresServer>;
