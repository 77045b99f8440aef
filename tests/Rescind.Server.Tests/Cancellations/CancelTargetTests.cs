using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Coordination;
using Rescind.Server.Cancellations;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>The cancel-target seam every API plugs into: find, dry run, cancel, through the vendor's own rules.</summary>
public abstract class CancelTargetTests(RescindServer server)
{
    private CancelService Service => server.Services.GetRequiredService<CancelService>();

    [Fact]
    public async Task A_dry_run_writes_nothing_and_reports_what_the_real_cancel_then_does()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var (target, detail) = Assert.Single(await Service.FindAsync(t.AccountId, id, CancellationToken.None));
        var auditBefore = (await Audit.RowsAsync(server, id)).Count;

        var dry = await Service.CancelAsync(target, detail.Resource, Actor.Operator(null), null, null, dryRun: true, CancellationToken.None);

        var preview = Assert.IsType<CancelOutcome.Canceled>(dry);
        Assert.Equal("canceled", preview.After.Resource.State);
        Assert.Equal(["The scheduled reminder e-mails to the customer stop."], preview.Notes);
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(auditBefore, (await Audit.RowsAsync(server, id)).Count);

        var real = Assert.IsType<CancelOutcome.Canceled>(
            await Service.CancelAsync(target, detail.Resource, Actor.Operator(null), null, null, dryRun: false, CancellationToken.None));
        Assert.Equal(preview.Effects.Select(e => (e.ResourceId, e.Action, e.From, e.To)), real.Effects.Select(e => (e.ResourceId, e.Action, e.From, e.To)));
        Assert.Equal(preview.Notes, real.Notes);
        Assert.Equal("canceled", (await t.GetAsync(id)).Str("status"));
        var row = Assert.Single(await Audit.RowsAsync(server, id), r => r.GetProperty("action").GetString() == "cancel");
        Assert.Equal("operator", row.GetProperty("actor").GetProperty("kind").GetString());

        Assert.IsType<CancelOutcome.AlreadyCanceled>(
            await Service.CancelAsync(target, detail.Resource, Actor.Operator(null), null, null, dryRun: false, CancellationToken.None));
    }

    [Fact]
    public async Task A_refused_cancel_carries_the_vendor_code_and_another_accounts_id_is_not_found()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        var id = await t.PendingRequestAsync();
        await t.SimulateAsync(id, "submit");
        await t.SimulateAsync(id, "accept");
        var (target, detail) = Assert.Single(await Service.FindAsync(null, "numeral:" + id, CancellationToken.None));

        var refused = Assert.IsType<CancelOutcome.Refused>(
            await Service.CancelAsync(target, detail.Resource, Actor.Operator(null), null, null, dryRun: true, CancellationToken.None));

        Assert.Equal((409, "REQUEST_ALREADY_FULFILLED"), (refused.Status, refused.Code));
        Assert.Contains("fulfilled", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await Service.FindAsync(other.AccountId, id, CancellationToken.None));
        Assert.Empty(await Service.FindAsync(t.AccountId, "digicert:" + id, CancellationToken.None));
    }

    [Fact]
    public async Task Listing_filters_by_state_and_searches_by_id_and_reference()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync("ref-" + Guid.NewGuid().ToString("N"));
        var pending = await t.CreateRequestAsync(customer);
        var canceled = await t.CreateRequestAsync(customer);
        await t.CancelAsync(canceled);
        var target = CancelService.Target("numeral", "tax.certificate_request")!;

        var pendings = await target.ListAsync(server.Services, new ResourceQuery(t.AccountId, "pending", null, null, 10), CancellationToken.None);
        var byReference = await target.ListAsync(server.Services, new ResourceQuery(null, null, pendings[0].Reference, null, 10), CancellationToken.None);
        var byId = await target.ListAsync(server.Services, new ResourceQuery(t.AccountId, null, canceled, null, 10), CancellationToken.None);
        var secondPage = await target.ListAsync(server.Services, new ResourceQuery(t.AccountId, null, null, canceled, 10), CancellationToken.None);

        Assert.Equal([pending], pendings.Select(r => r.Id));
        Assert.Equal([canceled, pending], byReference.Select(r => r.Id));
        Assert.Equal("canceled", Assert.Single(byId).State);
        Assert.Equal([pending], secondPage.Select(r => r.Id));
        var counts = await target.CountAsync(server.Services, t.AccountId, CancellationToken.None);
        Assert.Equal((1L, 1L, 0L), (counts["pending"], counts["canceled"], counts["fulfilled"]));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CancelTargetTests_Sqlite(SqliteServer server) : CancelTargetTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CancelTargetTests_Postgres(PostgresServer server) : CancelTargetTests(server), IClassFixture<PostgresServer>;
