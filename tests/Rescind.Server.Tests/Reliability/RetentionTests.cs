using Rescind.Core;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>Tables that grow with traffic are purged past their retention (<c>Rescind:Retention</c>, defaults 30 days
/// for events and mail, 90 days for token audit rows), by the retention job, without breaking any invariant.</summary>
public abstract class RetentionTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    private async Task RunJobsAsync()
    {
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");
        Assert.True(a.Code == 200, a.Body);
    }

    private long NowMs => Time.ToUnixMs(server.Clock.GetUtcNow());

    [Fact]
    public async Task Events_past_their_retention_go_with_their_delivery_log_and_verify_still_counts_them()
    {
        var t = await Tenant.CreateAsync(server);
        var endpoint = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new Dictionary<string, object?> { ["account_id"] = t.AccountId, ["api"] = "numeral", ["url"] = receiver.BaseUrl + "/hooks/retention" });
        Assert.True(endpoint.Code == 201, endpoint.Body);
        var old = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.CancelAsync(old)).Code);
        await RunJobsAsync();
        var oldEvents = await server.CountAsync("SELECT COUNT(*) FROM outbox WHERE resource_id = @old", new { old });
        Assert.Equal(2, oldEvents); // created, canceled
        var deliveries = (await server.CountAsync(
            "SELECT COUNT(*) FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE o.resource_id = @old AND d.status = 'delivered'", new { old }));
        Assert.Equal(2, deliveries);

        server.Clock.Advance(TimeSpan.FromDays(31));
        var recent = await t.PendingRequestAsync();
        // An operator queues one old delivery again: its event stays until that delivery is done.
        var requeued = await server.CountAsync(
            "SELECT MIN(d.id) FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE o.resource_id = @old", new { old });
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, $"/operator/webhook-deliveries/{requeued}/redeliver")).Code);
        await RunJobsAsync();

        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM outbox WHERE resource_id = @old", new { old }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE o.resource_id = @old", new { old }));
        Assert.Equal(1, await server.CountAsync("SELECT events FROM outbox_purged WHERE api = 'numeral' AND resource_id = @old", new { old }));
        Assert.Equal(2, await server.CountAsync("SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id = @requeued", new { requeued })); // its first and its redelivery
        Assert.Equal(0, await server.CountAsync(
            "SELECT COUNT(*) FROM webhook_attempts a WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = a.delivery_id)"));
        Assert.True(await server.CountAsync("SELECT COUNT(*) FROM outbox WHERE resource_id = @recent", new { recent }) >= 1, "recent events are kept");
        await Audit.AssertVerifiedAsync(server);

        // The redelivered one is done now; the next run takes its event too, and the count adds up.
        await RunJobsAsync();
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM outbox WHERE resource_id = @old", new { old }));
        Assert.Equal(2, await server.CountAsync("SELECT events FROM outbox_purged WHERE api = 'numeral' AND resource_id = @old", new { old }));
        await Audit.AssertVerifiedAsync(server);

        // The resource itself is the account's data and stays readable; the audit log keeps its history.
        var read = await t.GetAsync(old);
        Assert.Equal(200, read.Code);
        Assert.Equal("canceled", read.Str("status"));
        Assert.Equal(oldEvents, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE resource_id = @old", new { old }));

        // A purge that finds nothing more changes nothing.
        await RunJobsAsync();
        Assert.Equal(2, await server.CountAsync("SELECT events FROM outbox_purged WHERE api = 'numeral' AND resource_id = @old", new { old }));
    }

    [Fact]
    public async Task Mail_and_token_audit_rows_past_their_retention_are_deleted_and_newer_ones_kept()
    {
        var t = await Tenant.CreateAsync(server);
        await t.PendingRequestAsync();
        var merchant = await CrissCross.CrissCrossMerchant.CreateAsync(server); // issues a bearer token: one audit row
        server.Clock.Advance(TimeSpan.FromDays(3.5));
        await RunJobsAsync(); // the Numeral reminder is written to the mail sink
        var mailed = NowMs;
        Assert.True(await server.CountAsync("SELECT COUNT(*) FROM mail_sink WHERE account_id = @AccountId", new { t.AccountId }) >= 1);
        var tokens = await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND action = 'token.issued'", new { merchant.Tenant.AccountId });
        Assert.True(tokens >= 1);

        server.Clock.Advance(TimeSpan.FromDays(31));
        await RunJobsAsync();
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM mail_sink WHERE created_at <= @mailed", new { mailed }));
        Assert.Equal(tokens, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND action = 'token.issued'", new { merchant.Tenant.AccountId }));

        server.Clock.Advance(TimeSpan.FromDays(60));
        var fresh = await CrissCross.CrissCrossMerchant.CreateAsync(server);
        await RunJobsAsync();
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND action = 'token.issued'", new { merchant.Tenant.AccountId }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND action = 'token.issued'", new { fresh.Tenant.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class RetentionTests_Sqlite(SqliteServer server) : RetentionTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class RetentionTests_Postgres(PostgresServer server) : RetentionTests(server), IClassFixture<PostgresServer>;
