using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>A cancel that dies half-way leaves the request pending and its flows open: all or nothing.</summary>
public abstract class GoCardlessCrashTests(RescindServer server)
{
    private FaultSwitch Faults => ((IFaultyServer)server).Faults;

    [Theory]
    [InlineData("gocardless:cancel:saved")]
    [InlineData("record:billing_request_flows:expire")]
    public async Task A_cancel_that_fails_mid_transaction_leaves_the_request_pending_and_its_flows_open(string checkpoint)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var (flow, _) = await t.CreateFlowAsync(id);
        Faults.Arm(checkpoint);
        Answer failed;
        try
        {
            failed = await t.BrCancelAsync(id);
        }
        finally
        {
            Faults.Disarm();
        }

        failed.IsGcError(500, "gocardless", "internal_server_error");
        Assert.Equal("pending", await t.StatusAsync(id));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE id = @flow AND state = 'active'", new { flow }));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.DoesNotContain(await t.EventsAsync(id), e => e.GetProperty("action").GetString() == "cancelled");

        Assert.Equal("cancelled", (await t.BrCancelAsync(id)).BillingRequest().GetProperty("status").GetString());
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE id = @flow AND state = 'expired'", new { flow }));
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessCrashTests_Sqlite(FaultySqliteServer server) : GoCardlessCrashTests(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessCrashTests_Postgres(FaultyPostgresServer server) : GoCardlessCrashTests(server), IClassFixture<FaultyPostgresServer>;
