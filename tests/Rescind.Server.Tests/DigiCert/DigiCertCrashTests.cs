using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>A DigiCert write that dies half-way leaves nothing behind: order, requests, audit and outbox together.</summary>
public abstract class DigiCertCrashTests(RescindServer server)
{
    private FaultSwitch Faults => ((IFaultyServer)server).Faults;

    private async Task<Answer> WithFaultAsync(string checkpoint, Func<Task<Answer>> call)
    {
        Faults.Arm(checkpoint);
        try
        {
            return await call();
        }
        finally
        {
            Faults.Disarm();
        }
    }

    [Fact]
    public async Task A_cancel_that_fails_after_the_state_update_leaves_the_order_pending_without_a_refund_flag()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        (await WithFaultAsync("record:order:cancel", () => t.CancelAsync(o.Id))).IsDigiCertError(500, "internal_error");

        var order = (await t.GetOrderAsync(o.Id)).Json;
        Assert.Equal("pending", order.GetProperty("status").GetString());
        Assert.False(order.GetProperty("refund_required").GetBoolean());
        Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));
        Assert.Equal(0, await DigiCertClient.EventCountAsync(server, o.Id, "order_canceled"));
        Assert.Equal(204, (await t.CancelAsync(o.Id)).Code); // and the retry applies it once
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_reissue_cancel_that_fails_while_rejecting_the_request_leaves_the_reissue_pending()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var request = (await t.ReissueAsync(id)).Json.GetProperty("requests")[0].GetProperty("id").GetInt64();

        (await WithFaultAsync("record:request:reject", () => t.CancelAsync(id))).IsDigiCertError(500, "internal_error");

        Assert.Equal("reissue_pending", await t.StatusAsync(id));
        Assert.Equal("pending", (await t.GetRequestAsync(request)).Str("status"));
        Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(0, await DigiCertClient.EventCountAsync(server, id, "order_canceled"));
        Assert.Equal(204, (await t.CancelAsync(id)).Code);
        Assert.Equal("rejected", (await t.GetRequestAsync(request)).Str("status"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task An_approval_that_fails_half_way_leaves_both_the_order_and_its_request_waiting()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync(skipApproval: false);

        (await WithFaultAsync("record:request:approve", () => t.ProcessAsync(o.RequestId, "approved"))).IsDigiCertError(500, "internal_error");

        Assert.Equal("needs_approval", await t.StatusAsync(o.Id));
        Assert.Equal("pending", (await t.GetRequestAsync(o.RequestId)).Str("status"));
        Assert.Equal(0, await DigiCertClient.EventCountAsync(server, o.Id, "order_approved"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task An_order_that_fails_before_its_audit_row_is_not_created()
    {
        var t = await Tenant.CreateAsync(server);

        (await WithFaultAsync("record:request:create", () => t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/ssl_basic",
            new { certificate = new { common_name = "a.example", csr = DigiCertClient.Csr } }))).IsDigiCertError(500, "internal_error");

        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM digicert_orders WHERE account_id = @AccountId", new { t.AccountId }));
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM digicert_requests WHERE account_id = @AccountId", new { t.AccountId }));
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM outbox WHERE account_id = @AccountId AND api = 'digicert'", new { t.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertCrashTests_Sqlite(FaultySqliteServer server) : DigiCertCrashTests(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertCrashTests_Postgres(FaultyPostgresServer server) : DigiCertCrashTests(server), IClassFixture<FaultyPostgresServer>;
