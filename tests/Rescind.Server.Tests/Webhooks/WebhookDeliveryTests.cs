using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Webhooks;

/// <summary>At-least-once delivery of outbox events to a real receiver: signatures, retries, timeouts, dead letters, two nodes.</summary>
public abstract class WebhookDeliveryTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    private async Task<(string Id, string Secret)> RegisterAsync(Tenant t, string url, int? timeoutMs = null)
    {
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new Dictionary<string, object?> { ["account_id"] = t.AccountId, ["api"] = "numeral", ["url"] = url, ["timeout_ms"] = timeoutMs });
        Assert.True(a.Code == 201, a.Body);
        return (a.Str("id"), a.Str("secret"));
    }

    private Task<Answer> RunJobsAsync(HttpClient? via = null) =>
        Tenant.SendAsync(server, HttpMethod.Post, "/operator/jobs/run", null, new() { ["Authorization"] = "Bearer " + server.OperatorToken }, via);

    private async Task<List<JsonElement>> DeliveriesAsync(string endpointId) =>
        (await Tenant.Operator(server, HttpMethod.Get, $"/operator/webhook-deliveries?endpoint_id={endpointId}&limit=1000")).Json
            .GetProperty("deliveries").EnumerateArray().ToList();

    /// <summary>An independent check of Rescind-Signature: t=…,v1=hex(HMAC-SHA256(secret, t + "." + body)).</summary>
    private static bool SignatureIsValid(Received r, string secret)
    {
        var parts = r.Headers["Rescind-Signature"].Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var expected = Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes(parts["t"] + "." + r.Body))).ToLowerInvariant();
        return parts["v1"] == expected;
    }

    [Fact]
    public async Task A_cancel_is_delivered_to_the_accounts_endpoint_signed_and_logged()
    {
        var t = await Tenant.CreateAsync(server);
        var (endpoint, secret) = await RegisterAsync(t, receiver.BaseUrl + "/hooks/a");
        var id = await t.PendingRequestAsync();
        await t.CancelAsync(id);

        await RunJobsAsync();

        // Delivery runs in parallel, so arrival order is not promised [ours]; each event arrives once.
        var got = receiver.Requests.Where(r => r.Path == "/hooks/a").ToList();
        var types = got.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString()).Order().ToList();
        Assert.Equal(["customer.created", "tax.certificate_request.canceled", "tax.certificate_request.created"], types);
        Assert.All(got, r => Assert.True(SignatureIsValid(r, secret), "signature"));
        var canceledRequest = got.Single(r => r.Body.Contains("\"tax.certificate_request.canceled\"", StringComparison.Ordinal));
        var canceled = JsonDocument.Parse(canceledRequest.Body).RootElement;
        Assert.Equal("canceled", canceled.GetProperty("data").GetProperty("object").GetProperty("status").GetString());
        Assert.Equal(id, canceled.GetProperty("data").GetProperty("object").GetProperty("id").GetString());
        Assert.Equal(canceled.GetProperty("id").GetString(), canceledRequest.Headers["Rescind-Event-Id"]);
        var deliveries = await DeliveriesAsync(endpoint);
        Assert.All(deliveries, d => Assert.Equal("delivered", d.GetProperty("status").GetString()));
        var attempts = (await Tenant.Operator(server, HttpMethod.Get, $"/operator/webhook-deliveries/{deliveries[0].GetProperty("id").GetInt64()}/attempts"))
            .Json.GetProperty("attempts");
        Assert.Equal(1, attempts.GetArrayLength());
        Assert.Equal(200, attempts[0].GetProperty("status_code").GetInt32());
        Assert.Equal("ok", attempts[0].GetProperty("response_excerpt").GetString());

        await RunJobsAsync(); // nothing is sent twice
        Assert.Equal(3, receiver.Requests.Count(r => r.Path == "/hooks/a"));
    }

    [Fact]
    public async Task Failures_are_retried_with_backoff_until_the_receiver_recovers()
    {
        var t = await Tenant.CreateAsync(server);
        receiver.Behave = (path, n) => (path == "/hooks/flaky" && n <= 2 ? 500 : 200, TimeSpan.Zero);
        var (endpoint, secret) = await RegisterAsync(t, receiver.BaseUrl + "/hooks/flaky");
        var customer = await t.CreateCustomerAsync();
        var id = await t.CreateRequestAsync(customer);

        await RunJobsAsync();
        var afterFirst = await DeliveriesAsync(endpoint);
        Assert.Contains(afterFirst, d => d.GetProperty("status").GetString() == "pending" && d.GetProperty("last_status_code").GetInt32() == 500);

        var callsBefore = receiver.Count("/hooks/flaky");
        await RunJobsAsync(); // nothing is due yet (the clock has not moved): no new attempt
        Assert.Equal(callsBefore, receiver.Count("/hooks/flaky"));
        Assert.Equal(afterFirst.Sum(d => d.GetProperty("attempts").GetInt32()),
            (await DeliveriesAsync(endpoint)).Sum(d => d.GetProperty("attempts").GetInt32()));

        for (var i = 0; i < 6; i++)
        {
            server.Clock.Advance(TimeSpan.FromMinutes(1));
            await RunJobsAsync();
        }

        var final = await DeliveriesAsync(endpoint);
        Assert.All(final, d => Assert.Equal("delivered", d.GetProperty("status").GetString()));
        Assert.Contains(receiver.Requests, r => r.Path == "/hooks/flaky" && r.Body.Contains(id, StringComparison.Ordinal) && SignatureIsValid(r, secret));
        Assert.True(final.Sum(d => d.GetProperty("attempts").GetInt32()) > final.Count); // some took more than one attempt
    }

    [Fact]
    public async Task A_slow_receiver_times_out_without_holding_up_a_fast_one()
    {
        var t = await Tenant.CreateAsync(server);
        receiver.Behave = (path, _) => (200, path == "/hooks/slow" ? TimeSpan.FromSeconds(5) : TimeSpan.Zero);
        var (slow, _) = await RegisterAsync(t, receiver.BaseUrl + "/hooks/slow", timeoutMs: 300);
        var (fast, _) = await RegisterAsync(t, receiver.BaseUrl + "/hooks/fast");
        await t.PendingRequestAsync();

        await RunJobsAsync();

        Assert.All(await DeliveriesAsync(fast), d => Assert.Equal("delivered", d.GetProperty("status").GetString()));
        var slowOnes = await DeliveriesAsync(slow);
        Assert.All(slowOnes, d =>
        {
            Assert.Equal("pending", d.GetProperty("status").GetString());
            Assert.Contains("timed out", d.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_refused_connection_is_retried_and_dead_lettered_after_the_horizon_then_redelivered_by_hand()
    {
        var t = await Tenant.CreateAsync(server);
        var closedPort = FreePort();
        var (endpoint, _) = await RegisterAsync(t, $"http://127.0.0.1:{closedPort}/nobody-home");
        await t.CreateCustomerAsync();

        await RunJobsAsync();
        var first = Assert.Single(await DeliveriesAsync(endpoint));
        Assert.Equal("pending", first.GetProperty("status").GetString());
        Assert.Contains("Connection", first.GetProperty("last_error").GetString(), StringComparison.OrdinalIgnoreCase);

        for (var i = 0; i < 20 && (await DeliveriesAsync(endpoint))[0].GetProperty("status").GetString() == "pending"; i++)
        {
            server.Clock.Advance(TimeSpan.FromHours(6.5));
            await RunJobsAsync();
        }
        var dead = Assert.Single(await DeliveriesAsync(endpoint));
        Assert.Equal("dead", dead.GetProperty("status").GetString());

        // The operator points the endpoint somewhere alive and redelivers the dead letter.
        await using var alive = await Receiver.StartAsync();
        await server.CountAsync("UPDATE webhook_endpoints SET url = @url WHERE id = @endpoint", new { url = alive.BaseUrl + "/back", endpoint });
        var redeliver = await Tenant.Operator(server, HttpMethod.Post, $"/operator/webhook-deliveries/{dead.GetProperty("id").GetInt64()}/redeliver");
        Assert.Equal(200, redeliver.Code);
        await RunJobsAsync();
        Assert.Equal("delivered", Assert.Single(await DeliveriesAsync(endpoint)).GetProperty("status").GetString());
        Assert.Single(alive.Requests);
        Assert.Equal(404, (await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-deliveries/999999999/redeliver")).Code);
    }

    [Fact]
    public async Task Two_nodes_deliver_every_event_once_between_them()
    {
        var t = await Tenant.CreateAsync(server);
        var (endpoint, secret) = await RegisterAsync(t, receiver.BaseUrl + "/hooks/cluster");
        var customer = await t.CreateCustomerAsync();
        for (var i = 0; i < 60; i++)
        {
            await t.CreateRequestAsync(customer);
        }
        var node2 = server.StartAnotherNode();

        await Task.WhenAll(Task.Run(() => RunJobsAsync()), Task.Run(() => RunJobsAsync(node2)), Task.Run(() => RunJobsAsync(node2)));
        await RunJobsAsync();

        var deliveries = await DeliveriesAsync(endpoint);
        Assert.Equal(61, deliveries.Count); // the customer and 60 requests
        Assert.All(deliveries, d =>
        {
            Assert.Equal("delivered", d.GetProperty("status").GetString());
            Assert.Equal(1, d.GetProperty("attempts").GetInt32());
        });
        var ids = receiver.Requests.Where(r => r.Path == "/hooks/cluster").Select(r => r.Headers["Rescind-Event-Id"]).ToList();
        Assert.Equal(61, ids.Count);
        Assert.Equal(61, ids.Distinct().Count());
        Assert.All(receiver.Requests.Where(r => r.Path == "/hooks/cluster"), r => Assert.True(SignatureIsValid(r, secret)));
    }

    [Fact]
    public async Task Endpoints_validate_their_input_and_stop_receiving_once_disabled()
    {
        var t = await Tenant.CreateAsync(server);
        Assert.Equal(400, (await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints", new { account_id = t.AccountId, api = "numeral", url = "ftp://x" })).Code);
        Assert.Equal(400, (await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints", new { account_id = t.AccountId, api = "nope", url = "http://x" })).Code);
        Assert.Equal(404, (await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints", new { account_id = "acct_missing", api = "numeral", url = "http://x" })).Code);
        foreach (var bad in new[] { "/operator/webhook-deliveries?limit=0", "/operator/webhook-deliveries?after=x", "/operator/audit?limit=5000",
                     "/operator/events?after=-1", "/operator/mail?limit=ten", "/operator/webhook-deliveries?status=lost" })
        {
            Assert.Equal(400, (await Tenant.Operator(server, HttpMethod.Get, bad)).Code);
        }
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Get, "/operator/webhook-deliveries?limit=1000&after=0")).Code);
        var (endpoint, _) = await RegisterAsync(t, receiver.BaseUrl + "/hooks/off");
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Delete, "/operator/webhook-endpoints/" + endpoint)).Code);

        await t.CreateCustomerAsync();
        await RunJobsAsync();

        Assert.Empty(await DeliveriesAsync(endpoint));
        Assert.Equal(0, receiver.Count("/hooks/off"));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

[Trait("Category", "Sqlite")]
public sealed class WebhookDeliveryTests_Sqlite(SqliteServer server) : WebhookDeliveryTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class WebhookDeliveryTests_Postgres(PostgresServer server) : WebhookDeliveryTests(server), IClassFixture<PostgresServer>;
