using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Webhooks;

/// <summary>One tenant's slow receiver delays only itself: it holds at most four of the node's delivery slots, and
/// another account's deliveries are attempted and settled (committed) while its attempts hang.</summary>
public abstract class WebhookIsolationTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        receiver = await Receiver.StartAsync();
        receiver.Hold = path => path == "/hooks/slow" ? release.Task : Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        release.TrySetResult();
        await receiver.DisposeAsync();
    }

    private async Task<string> EndpointAsync(Tenant t, string path)
    {
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new Dictionary<string, object?> { ["account_id"] = t.AccountId, ["api"] = "numeral", ["url"] = receiver.BaseUrl + path, ["timeout_ms"] = 60000 });
        Assert.True(a.Code == 201, a.Body);
        return a.Str("id");
    }

    private Task<long> DeliveredAsync(string endpoint) =>
        server.CountAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = @endpoint AND status = 'delivered'", new { endpoint });

    /// <summary>Waits for a condition the server brings about; the bound only turns a hang into a failure.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "never happened: " + what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_receiver_that_hangs_holds_four_slots_and_another_accounts_deliveries_are_settled_meanwhile()
    {
        var slow = await Tenant.CreateAsync(server, "Slow");
        var slowEndpoint = await EndpointAsync(slow, "/hooks/slow");
        for (var i = 0; i < 6; i++)
        {
            await slow.PendingRequestAsync(); // customer.created and tax.certificate_request.created: 12 deliveries
        }
        var fast = await Tenant.CreateAsync(server, "Fast");
        var fastEndpoint = await EndpointAsync(fast, "/hooks/fast");
        await fast.PendingRequestAsync();

        var round = Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");
        await EventuallyAsync(async () => await DeliveredAsync(fastEndpoint) == 2, "the other account's two deliveries settled");
        await EventuallyAsync(() => Task.FromResult(receiver.Count("/hooks/slow") >= 4), "four attempts at the slow receiver");
        Assert.False(round.IsCompleted, "the round is still waiting on the slow receiver");
        Assert.Equal(4, receiver.Count("/hooks/slow")); // its other eight wait for its own slots
        Assert.Equal(0, await DeliveredAsync(slowEndpoint));

        release.SetResult();
        Assert.Equal(200, (await round).Code);
        Assert.Equal(12, await DeliveredAsync(slowEndpoint));
        Assert.Equal(12, receiver.Count("/hooks/slow"));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class WebhookIsolationTests_Sqlite(SqliteServer server) : WebhookIsolationTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class WebhookIsolationTests_Postgres(PostgresServer server) : WebhookIsolationTests(server), IClassFixture<PostgresServer>;
