using Rescind.Server.Tests.CrissCross;
using Rescind.Server.Tests.GoCardless;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Observability;

/// <summary>
/// <c>/metrics</c> after a known sequence of cancels: the counts per API, operation and typed outcome, replays,
/// group commits, webhook attempts and the outbox gauges, on each database; and who may scrape it. Each test
/// compares two scrapes, so the other tests of the class on the same host do not count.
/// </summary>
public abstract class MetricsTests(RescindServer server) : IAsyncLifetime
{
    private const string Requests = "rescind_requests_total";
    private const string NumeralCancel = "DELETE /tax/certificate-requests/{request_id}";
    private const string CrissCrossCancel = "POST /v1/checkout/session/cancel";
    private const string GoCardlessCancel = "POST /billing_requests/{id}/actions/cancel";

    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    private static double Delta(Scrape before, Scrape after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    private static double Cancels(Scrape before, Scrape after, string api, string operation, string outcome) =>
        Delta(before, after, Requests, ("api", api), ("operation", operation), ("outcome", outcome));

    [Fact]
    public async Task A_known_sequence_of_cancels_is_counted_per_api_operation_and_typed_outcome()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = await t.PendingRequestAsync();
        var fulfilled = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.SimulateAsync(fulfilled, "submit")).Code);
        Assert.Equal(200, (await t.SimulateAsync(fulfilled, "accept")).Code);
        var m = await CrissCrossMerchant.CreateAsync(server);
        var open = await m.SessionAsync();
        var paying = await m.SessionAsync();
        await m.TransactionAsync(paying, "mobile_money");
        var billingRequest = await t.CreateBillingRequestAsync();
        var before = await Scrape.TakeAsync(server);

        Assert.Equal(200, (await t.CancelAsync(pending)).Code);                          // numeral: transitioned
        Assert.Equal(200, (await t.CancelAsync(pending)).Code);                          // numeral: already
        (await t.CancelAsync(fulfilled)).IsNumeralError(409, "REQUEST_ALREADY_FULFILLED"); // numeral: refused
        var key = Guid.NewGuid().ToString();
        var first = await m.CancelAsync(open, key: key);                                 // crisscross: transitioned
        var replay = await m.CancelAsync(open, key: key);                                // the same key: a replay
        Assert.Equal((200, first.Body), (replay.Code, replay.Body));
        Assert.Equal("PENDING_CANCELLATION", (await m.CancelAsync(paying)).Str("status")); // crisscross: deferred
        Assert.True((await t.BrCancelAsync(billingRequest)).Code == 200);                 // gocardless: transitioned

        var after = await Scrape.TakeAsync(server);
        Assert.Equal(1, Cancels(before, after, "numeral", NumeralCancel, "transitioned"));
        Assert.Equal(1, Cancels(before, after, "numeral", NumeralCancel, "already"));
        Assert.Equal(1, Cancels(before, after, "numeral", NumeralCancel, "refused"));
        Assert.Equal(3, Delta(before, after, Requests, ("api", "numeral"), ("operation", NumeralCancel)));
        Assert.Equal(1, Cancels(before, after, "crisscross", CrissCrossCancel, "transitioned"));
        Assert.Equal(1, Cancels(before, after, "crisscross", CrissCrossCancel, "2xx")); // the replay: no command ran
        Assert.Equal(1, Cancels(before, after, "crisscross", CrissCrossCancel, "deferred"));
        Assert.Equal(1, Delta(before, after, "rescind_idempotency_replays_total", ("api", "crisscross")));
        Assert.Equal(1, Cancels(before, after, "gocardless", GoCardlessCancel, "transitioned"));
        Assert.Equal(7, Delta(before, after, "rescind_request_duration_seconds_count", ("api", "numeral"), ("operation", NumeralCancel))
            + Delta(before, after, "rescind_request_duration_seconds_count", ("api", "crisscross"), ("operation", CrissCrossCancel))
            + Delta(before, after, "rescind_request_duration_seconds_count", ("api", "gocardless"), ("operation", GoCardlessCancel)));
        // A read is counted by its status class: no command ran.
        Assert.Equal(0, Cancels(before, after, "numeral", "GET /tax/certificate-requests/{request_id}", "2xx"));
        Assert.Equal(200, (await t.GetAsync(pending)).Code);
        Assert.Equal(1, Cancels(after, await Scrape.TakeAsync(server), "numeral", "GET /tax/certificate-requests/{request_id}", "2xx"));

        // The cancels that wrote went through SQLite's group commit; PostgreSQL commits each transaction itself.
        var batches = Delta(before, after, "rescind_group_commit_batch_size_count");
        if (server.Name == "sqlite")
        {
            Assert.True(batches >= 1, after.Text);
        }
        else
        {
            Assert.Equal(0, batches);
        }
    }

    [Fact]
    public async Task Webhook_attempts_and_the_outbox_backlog_are_counted()
    {
        var t = await Tenant.CreateAsync(server);
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new Dictionary<string, object?> { ["account_id"] = t.AccountId, ["api"] = "numeral", ["url"] = receiver.BaseUrl + "/hooks/metrics" });
        Assert.True(a.Code == 201, a.Body);
        var before = await Scrape.TakeAsync(server);
        var id = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.CancelAsync(id)).Code);

        var waiting = await Scrape.TakeAsync(server);
        Assert.True(waiting.Sum("rescind_outbox_backlog") >= 3, waiting.Text); // customer created, request created, canceled
        Assert.True(waiting.Sum("rescind_webhook_lag_seconds") >= 0, waiting.Text);

        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run")).Code);

        var after = await Scrape.TakeAsync(server);
        Assert.Equal(3, Delta(before, after, "rescind_webhook_attempts_total", ("api", "numeral"), ("result", "delivered")));
        Assert.Equal(0, Delta(before, after, "rescind_webhook_dead_letters_total"));
        Assert.Equal(0, after.Sum("rescind_outbox_backlog"));
        Assert.Equal(0, after.Sum("rescind_webhook_pending"));
        Assert.True(Delta(before, after, "rescind_job_runs_total", ("job", "webhooks"), ("result", "ok")) >= 1, after.Text);
    }

    [Fact]
    public async Task A_bulk_cancel_of_Rescinds_own_API_counts_each_resource_by_its_api_and_outcome()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = await t.PendingRequestAsync();
        var canceled = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.CancelAsync(canceled)).Code);
        var before = await Scrape.TakeAsync(server);

        var a = await t.SendAsync(HttpMethod.Post, "/v1/cancellations",
            System.Text.Json.JsonSerializer.Serialize(new { resources = new[] { pending, canceled }, reason = "metrics", idempotency_key = Guid.NewGuid().ToString() }),
            new() { ["Authorization"] = "Bearer " + t.Credential("rescind", "live").Secret });

        Assert.True(a.Code == 201, a.Body);
        var after = await Scrape.TakeAsync(server);
        Assert.Equal(1, Delta(before, after, "rescind_cancellation_items_total", ("api", "numeral"), ("outcome", "canceled")));
        Assert.Equal(1, Delta(before, after, "rescind_cancellation_items_total", ("api", "numeral"), ("outcome", "already_canceled")));
        Assert.Equal(1, Cancels(before, after, "rescind", "POST /v1/cancellations", "2xx"));
    }

    [Fact]
    public async Task Metrics_refuse_a_caller_without_the_operator_credential_with_401_problem_details()
    {
        var t = await Tenant.CreateAsync(server);
        foreach (var authorization in new string?[] { null, "Bearer " + t.LiveKey, "Bearer op_wrong_" + Guid.NewGuid().ToString("N"), "Basic " + server.OperatorToken })
        {
            var a = await Tenant.SendAsync(server, HttpMethod.Get, "/metrics", null, new() { ["Authorization"] = authorization });
            Assert.True(a.Code == 401, $"{authorization ?? "no credential"}: {a.Code} {a.Body}");
            Assert.Equal("application/problem+json", a.Message.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("rescind_", a.Body, StringComparison.Ordinal);
        }
        var ok = await Tenant.SendAsync(server, HttpMethod.Get, "/metrics", null, new() { ["Authorization"] = "Bearer " + server.OperatorToken });
        Assert.Equal(200, ok.Code);
        Assert.Equal("text/plain", ok.Message.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE rescind_requests_total counter", ok.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(t.AccountId, ok.Body, StringComparison.Ordinal); // no account ids in the metrics
    }
}

[Trait("Category", "Sqlite")]
public sealed class MetricsTests_Sqlite(SqliteServer server) : MetricsTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class MetricsTests_Postgres(PostgresServer server) : MetricsTests(server), IClassFixture<PostgresServer>;

/// <summary>A host whose <c>/metrics</c> is on a loopback port of its own (<c>Rescind:Metrics:Port</c>).</summary>
public static class MetricsPort
{
    public static IEnumerable<KeyValuePair<string, string>> Settings(int port) =>
        [new("Rescind:Metrics:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("Rescind:Metrics:Host", "127.0.0.1")];
}

public sealed class MetricsPortSqliteServer : SqliteServer
{
    public int MetricsPort { get; } = RescindProcess.FreePort();

    protected override IEnumerable<KeyValuePair<string, string>> Settings => Observability.MetricsPort.Settings(MetricsPort);
}

public sealed class MetricsPortPostgresServer : PostgresServer
{
    public int MetricsPort { get; } = RescindProcess.FreePort();

    protected override IEnumerable<KeyValuePair<string, string>> Settings => Observability.MetricsPort.Settings(MetricsPort);
}

/// <summary>With <c>Rescind:Metrics:Port</c>, the scrape is served there without a credential, and the main port
/// has no <c>/metrics</c>.</summary>
public abstract class MetricsPortTests(RescindServer server, int port)
{
    [Fact]
    public async Task Metrics_on_a_port_of_their_own_need_no_credential_and_leave_the_main_port()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.CancelAsync(id)).Code);
        using var scraper = new HttpClient();

        var text = await scraper.GetStringAsync($"http://127.0.0.1:{port}/metrics");

        var scrape = Scrape.Parse(text);
        Assert.Equal(1, scrape.Sum("rescind_requests_total", ("api", "numeral"), ("operation", "DELETE /tax/certificate-requests/{request_id}"), ("outcome", "transitioned")));
        var main = await Tenant.SendAsync(server, HttpMethod.Get, "/metrics", null, new() { ["Authorization"] = "Bearer " + server.OperatorToken });
        Assert.Equal(404, main.Code);
    }
}

[Trait("Category", "Sqlite")]
public sealed class MetricsPortTests_Sqlite(MetricsPortSqliteServer server) : MetricsPortTests(server, server.MetricsPort), IClassFixture<MetricsPortSqliteServer>;

[Trait("Category", "Postgres")]
public sealed class MetricsPortTests_Postgres(MetricsPortPostgresServer server) : MetricsPortTests(server, server.MetricsPort), IClassFixture<MetricsPortPostgresServer>;
