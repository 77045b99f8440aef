using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rescind.Server.Hosting;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Webhooks;

/// <summary>
/// A tenant's webhook receiver that breaks HTTP after its status line (a body cut short, a reset, broken chunked
/// encoding, half a status line) costs that tenant failed attempts and nothing else: a real <c>rescind serve</c>
/// keeps running and keeps delivering to another tenant's receiver.
/// </summary>
public abstract class HostileReceiverTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    [Fact]
    public async Task A_receiver_that_breaks_HTTP_after_its_headers_fails_its_own_deliveries_and_stops_nothing_else()
    {
        await using var hostile = new HostileReceiver();
        await using var good = await Receiver.StartAsync();
        var operatorToken = "op_hostile_" + Guid.NewGuid().ToString("N");
        var (attacker, attackerKey) = await AccountAsync("Attacker");
        foreach (var h in Enum.GetValues<Hostility>())
        {
            var added = await CliAsync("webhooks", "add", "--account", attacker, "--api", "numeral", "--url", hostile.BaseUrl + HostileReceiver.PathOf(h), "--json");
            Assert.True(added.Code == 0, added.Err);
        }
        var (victim, victimKey) = await AccountAsync("Victim");
        Assert.Equal(0, (await CliAsync("webhooks", "add", "--account", victim, "--api", "numeral", "--url", good.BaseUrl + "/victim", "--json")).Code);

        var port = RescindProcess.FreePort();
        var output = new StringBuilder();
        using var server = RescindProcess.Start(
        [
            "serve", "--urls", $"http://127.0.0.1:{port}", .. storage,
            "--Rescind:OperatorToken=" + operatorToken, "--Rescind:Webhooks:Lease=00:00:02", "--Rescind:RateLimit:PermitsPerSecond=0",
        ], line => { lock (output) { output.AppendLine(line); } });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await RescindProcess.WaitHealthyAsync(http);
            await CreateCustomerAsync(http, attackerKey, "bait");
            var deadline = Stopwatch.StartNew();
            while (hostile.Served.Count < Enum.GetValues<Hostility>().Length && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
            Assert.Equal(Enum.GetValues<Hostility>().Length, hostile.Served.Count);

            // The attempts have been made; the server is still there, and the other tenant's events still arrive.
            await CreateCustomerAsync(http, victimKey, "after");
            while (good.Requests.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(60) && !server.HasExited)
            {
                await Task.Delay(50);
            }
            Assert.False(server.HasExited, "the server stopped:\n" + output);
            Assert.Single(good.Requests);
            using var health = await http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            // Every attempt at the hostile endpoints was settled and logged, none left leased.
            using var op = new HttpClient { BaseAddress = http.BaseAddress };
            op.DefaultRequestHeaders.Add("Authorization", "Bearer " + operatorToken);
            List<JsonElement> deliveries;
            do
            {
                await Task.Delay(100);
                var body = await op.GetStringAsync($"/operator/webhook-deliveries?account_id={attacker}&limit=100");
                deliveries = JsonDocument.Parse(body).RootElement.GetProperty("deliveries").EnumerateArray().ToList();
            }
            while (deliveries.Any(d => d.GetProperty("status").GetString() == "pending" && d.GetProperty("last_error").ValueKind == JsonValueKind.Null
                                       && d.GetProperty("last_status_code").ValueKind == JsonValueKind.Null)
                   && deadline.Elapsed < TimeSpan.FromSeconds(60));
            Assert.Equal(Enum.GetValues<Hostility>().Length, deliveries.Count);
            Assert.All(deliveries, d => Assert.True(
                d.GetProperty("last_error").ValueKind == JsonValueKind.String || d.GetProperty("status").GetString() == "delivered",
                d.ToString()));
            // A 200 whose body is cut short was answered: it counts as delivered; a reset after the headers of a 500 is a failure.
            Assert.Contains(deliveries, d => d.GetProperty("status").GetString() == "delivered");
            Assert.Contains(deliveries, d => d.GetProperty("last_status_code").ValueKind == JsonValueKind.Number && d.GetProperty("last_status_code").GetInt32() == 500);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
            await server.WaitForExitAsync();
        }
    }

    private async Task<(string Account, string LiveKey)> AccountAsync(string name)
    {
        var account = JsonDocument.Parse((await CliAsync("accounts", "create", "--name", name, "--json")).Out).RootElement;
        return (account.GetProperty("account").GetProperty("id").GetString()!,
            account.GetProperty("credentials").EnumerateArray().First(c => c.GetProperty("mode").GetString() == "live").GetProperty("secret").GetString()!);
    }

    private static async Task CreateCustomerAsync(HttpClient http, string key, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/tax/customers")
        {
            Content = new StringContent($$"""{"name":"{{name}}","email":"{{name}}@example.com"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Authorization", "Bearer " + key);
        request.Headers.Add("X-API-Version", "2026-03-01");
        using var r = await http.SendAsync(request);
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
    }

    private Task<(int Code, string Out, string Err)> CliAsync(params string[] args) => RescindProcess.RunAsync([.. args, .. storage]);
}

[Trait("Category", "Sqlite")]
public sealed class HostileReceiverTests_Sqlite() : HostileReceiverTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class HostileReceiverTests_Postgres() : HostileReceiverTests(new PostgresProcessStorage());

/// <summary>A host whose background service fails is reported as failed, so <c>serve</c> exits non-zero.</summary>
public sealed class FailedHostTests
{
    private sealed class Failing : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("boom");
        }
    }

    private sealed class Healthy : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }

    [Fact]
    public async Task A_host_stopped_by_a_failing_background_service_names_it_and_one_stopped_on_request_names_none()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHostedService<Failing>();
        builder.Services.AddHostedService<Healthy>();
        using var host = builder.Build();
        await host.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.WaitForShutdownAsync(timeout.Token);
        Assert.Equal(["Failing failed: boom"], ServerApp.FailedBackgroundServices(host.Services));

        var calm = Host.CreateApplicationBuilder();
        calm.Logging.ClearProviders();
        calm.Services.AddHostedService<Healthy>();
        using var stopped = calm.Build();
        await stopped.StartAsync();
        await stopped.StopAsync();
        Assert.Empty(ServerApp.FailedBackgroundServices(stopped.Services));
    }
}
