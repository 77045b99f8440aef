using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Webhooks;

/// <summary>
/// A real <c>rescind serve</c> process is killed with SIGKILL while deliveries are in flight, then restarted on the
/// same database: every event still arrives (at least once), and every delivery ends delivered.
/// </summary>
public abstract class WebhookCrashTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    [Fact]
    public async Task Killing_the_server_mid_delivery_loses_nothing()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Behave = (_, _) => (200, TimeSpan.FromMilliseconds(250));
        var operatorToken = "op_crash_" + Guid.NewGuid().ToString("N");
        var account = JsonDocument.Parse((await CliAsync("accounts", "create", "--name", "Crash", "--json")).Out).RootElement;
        var accountId = account.GetProperty("account").GetProperty("id").GetString()!;
        var liveKey = account.GetProperty("credentials").EnumerateArray().First(c => c.GetProperty("mode").GetString() == "live").GetProperty("secret").GetString()!;
        var added = await CliAsync("webhooks", "add", "--account", accountId, "--api", "numeral", "--url", receiver.BaseUrl + "/crash", "--json");
        Assert.True(added.Code == 0, added.Err);

        var port = RescindProcess.FreePort();
        var server = StartServer(port, operatorToken);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await RescindProcess.WaitHealthyAsync(http);
            http.DefaultRequestHeaders.Add("Authorization", "Bearer " + liveKey);
            http.DefaultRequestHeaders.Add("X-API-Version", "2026-03-01");
            for (var i = 0; i < 40; i++)
            {
                var r = await http.PostAsync("/tax/customers", new StringContent($$"""{"name":"c{{i}}","email":"c{{i}}@example.com"}""", Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
            var deadline = Stopwatch.StartNew();
            while (receiver.Requests.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20);
            }
            Assert.False(receiver.Requests.IsEmpty, "deliveries never started");
        }
        finally
        {
            server.Kill(entireProcessTree: true); // SIGKILL: no graceful shutdown, claims left leased
            await server.WaitForExitAsync();
        }
        var beforeRestart = receiver.Requests.Count;

        var restarted = StartServer(port, operatorToken);
        try
        {
            using var op = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await RescindProcess.WaitHealthyAsync(op);
            op.DefaultRequestHeaders.Add("Authorization", "Bearer " + operatorToken);
            var deadline = Stopwatch.StartNew();
            List<JsonElement> deliveries;
            do
            {
                await Task.Delay(200);
                var body = await op.GetStringAsync($"/operator/webhook-deliveries?account_id={accountId}&limit=1000");
                deliveries = JsonDocument.Parse(body).RootElement.GetProperty("deliveries").EnumerateArray().ToList();
            }
            while ((deliveries.Count < 40 || deliveries.Any(d => d.GetProperty("status").GetString() != "delivered")) && deadline.Elapsed < TimeSpan.FromSeconds(60));

            Assert.Equal(40, deliveries.Count);
            Assert.All(deliveries, d => Assert.Equal("delivered", d.GetProperty("status").GetString()));
            var received = receiver.Requests.Select(r => r.Headers["Rescind-Event-Id"]).ToHashSet();
            Assert.All(deliveries, d => Assert.Contains(d.GetProperty("event_id").GetString()!, received));
            Assert.True(beforeRestart < 40, "the kill came after everything was delivered; the test proved nothing");
        }
        finally
        {
            restarted.Kill(entireProcessTree: true);
            await restarted.WaitForExitAsync();
        }
    }

    private Process StartServer(int port, string operatorToken) => RescindProcess.Start(
    [
        "serve", "--urls", $"http://127.0.0.1:{port}", .. storage,
        "--Rescind:OperatorToken=" + operatorToken, "--Rescind:Webhooks:Lease=00:00:02",
        "--Rescind:Webhooks:Concurrency=4", "--Rescind:Webhooks:BatchSize=4", "--Rescind:RateLimit:PermitsPerSecond=0",
    ]);

    private Task<(int Code, string Out, string Err)> CliAsync(params string[] args) => RescindProcess.RunAsync([.. args, .. storage]);
}

[Trait("Category", "Sqlite")]
public sealed class WebhookCrashTests_Sqlite() : WebhookCrashTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class WebhookCrashTests_Postgres() : WebhookCrashTests(new PostgresProcessStorage());
