using Rescind.Server.Cancellations;
using Rescind.Server.Tests.GoCardless;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>GoCardless billing requests behind the cancel-target seam: flows expire with the request; sandbox is
/// Rescind's test mode.</summary>
public abstract class GoCardlessCancelTargetTests(RescindServer server)
{
    [Fact]
    public async Task A_dry_run_names_the_flows_that_expire_and_the_real_cancel_expires_them()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var (flow, _) = await t.CreateFlowAsync(id);

        var (dry, real) = await TargetCalls.DryThenRealAsync<CancelOutcome.Canceled>(server, t.AccountId, id);

        Assert.Equal("cancelled", dry.After.Resource.State);
        Assert.Equal([$"Billing request flow {flow} expires: its link accepts nothing more."], dry.Notes);
        Assert.Equal(("expired", flow), (Assert.Single(real.After.Children).State, real.After.Children[0].Id));
        Assert.Equal("cancelled", await t.StatusAsync(id));
    }

    [Fact]
    public async Task A_fulfilled_request_is_refused_with_GoCardless_reason_and_sandbox_requests_are_test_mode()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        var ready = await t.ReadyRequestAsync();
        Assert.Equal(200, (await t.BrActAsync(ready, "fulfil")).Code);
        var sandbox = await t.CreateBillingRequestAsync(mode: "sandbox");

        var refused = Assert.IsType<CancelOutcome.Refused>(await TargetCalls.CancelAsync(server, t.AccountId, ready));
        var (_, detail) = await TargetCalls.FindOneAsync(server, t.AccountId, "gocardless:" + sandbox);

        Assert.Equal((422, "cancellation_failed"), (refused.Status, refused.Code));
        Assert.Equal("test", detail.Resource.Mode);
        Assert.IsType<CancelOutcome.Canceled>(await TargetCalls.CancelAsync(server, t.AccountId, sandbox));
        Assert.Empty(await new CancelService(null!, server.Services).FindAsync(other.AccountId, sandbox, CancellationToken.None));
        var mayOwn = CancelService.Target("gocardless", "billing_requests")!.MayOwn;
        Assert.Equal((true, false), (mayOwn(sandbox), mayOwn("BRQ" + Guid.NewGuid())));
    }

    [Fact]
    public async Task Mandates_and_payments_cancel_through_the_seam_with_GoCardless_rules_and_a_dry_run_names_the_payment_that_goes_with_the_mandate()
    {
        var t = await Tenant.CreateAsync(server);
        var links = (await t.FulfilledRequestAsync()).GetProperty("links");
        var (md, pm) = (links.GetProperty("mandate_request_mandate").GetString()!, links.GetProperty("payment_request_payment").GetString()!);

        var (dry, real) = await TargetCalls.DryThenRealAsync<CancelOutcome.Canceled>(server, t.AccountId, md);

        Assert.Equal([$"Payment {pm} is cancelled with its mandate."], dry.Notes);
        Assert.Equal(("cancelled", "cancelled"), (real.After.Resource.State, Assert.Single(real.After.Children).State));
        Assert.Equal(("mandates", pm), (real.After.Resource.Type, real.After.Children[0].Id));
        Assert.Equal(1, await Audit.ActionCountAsync(server, md, "cancel"));
        var refused = Assert.IsType<CancelOutcome.Refused>(await TargetCalls.CancelAsync(server, t.AccountId, pm));
        Assert.Equal((422, "cancellation_failed"), (refused.Status, refused.Code));

        var other = (await t.FulfilledRequestAsync(mode: "sandbox")).GetProperty("links").GetProperty("payment_request_payment").GetString()!;
        var (_, detail) = await TargetCalls.FindOneAsync(server, t.AccountId, "gocardless:" + other);
        Assert.Equal(("payments", "test", "pending_submission"), (detail.Resource.Type, detail.Resource.Mode, detail.Resource.State));
        Assert.IsType<CancelOutcome.Canceled>(await TargetCalls.CancelAsync(server, t.AccountId, other));
        Assert.Equal(["cancelled"], (await TargetCalls.ListAsync(server, "gocardless", "payments", new ResourceQuery(t.AccountId, null, other, null, 10))).Select(r => r.State));
        Assert.Equal(2, (await TargetCalls.CountAsync(server, "gocardless", "payments", t.AccountId))["cancelled"]);
    }

    [Fact]
    public async Task Listing_filters_by_status_searches_by_customer_and_pages_across_modes()
    {
        var t = await Tenant.CreateAsync(server);
        var live = await t.CreateBillingRequestAsync();
        var sandbox = await t.CreateBillingRequestAsync(mode: "sandbox");
        Assert.Equal(200, (await t.BrCancelAsync(live)).Code);
        var customer = (await t.BrGetAsync(live)).BillingRequest().GetProperty("links").GetProperty("customer").GetString();
        var q = (string? state, string? search, string? after, int limit) => TargetCalls.ListAsync(server, "gocardless", "billing_requests",
            new ResourceQuery(t.AccountId, state, search, after, limit));

        Assert.Equal([sandbox], (await q("pending", null, null, 10)).Select(r => r.Id));
        Assert.Equal([live], (await q(null, customer, null, 10)).Select(r => r.Id));
        Assert.Equal(2, (await q(null, null, null, 1)).Count);
        Assert.Equal([live], (await q(null, null, sandbox, 10)).Select(r => r.Id));
        var counts = await TargetCalls.CountAsync(server, "gocardless", "billing_requests", t.AccountId);
        Assert.Equal((1L, 1L, 0L), (counts["pending"], counts["cancelled"], counts["fulfilled"]));
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessCancelTargetTests_Sqlite(SqliteServer server) : GoCardlessCancelTargetTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessCancelTargetTests_Postgres(PostgresServer server) : GoCardlessCancelTargetTests(server), IClassFixture<PostgresServer>;
