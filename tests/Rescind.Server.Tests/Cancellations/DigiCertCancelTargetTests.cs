using Rescind.Server.Cancellations;
using Rescind.Server.Tests.DigiCert;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>DigiCert's orders behind the cancel-target seam: DigiCert's own cancel, its note, its refusals.</summary>
public abstract class DigiCertCancelTargetTests(RescindServer server)
{
    private static string S(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_dry_run_of_a_balance_paid_order_matches_the_real_cancel_and_notes_the_refund()
    {
        var t = await Tenant.CreateAsync(server);
        var order = await t.OrderAsync(payment: "balance");

        var (dry, _) = await TargetCalls.DryThenRealAsync<CancelOutcome.Canceled>(server, t.AccountId, S(order.Id), "wrong product");

        Assert.Equal("canceled", dry.After.Resource.State);
        Assert.Equal(["The order was paid from the account balance: it is marked refund_required."], dry.Notes);
        Assert.Equal("canceled", await t.StatusAsync(order.Id));
        Assert.IsType<CancelOutcome.Refused>(await TargetCalls.CancelAsync(server, t.AccountId, S(order.Id), "again"));
    }

    [Fact]
    public async Task Canceling_a_pending_reissue_rejects_the_reissue_request_and_keeps_the_order_issued()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var reissue = await t.ReissueAsync(id);
        Assert.True(reissue.Code == 201, reissue.Body);

        var (_, real) = await TargetCalls.DryThenRealAsync<CancelOutcome.Canceled>(server, t.AccountId, "digicert:" + S(id), "reissued by mistake");

        Assert.Equal("issued", real.After.Resource.State);
        Assert.Contains(real.Effects, e => e.ResourceType == "request" && e.To == "rejected");
        Assert.Contains("reissue", Assert.Single(real.Notes), StringComparison.Ordinal);
        Assert.Contains(real.After.Children, c => c.Reference == "reissue" && c.State == "rejected");
    }

    [Fact]
    public async Task Refusals_carry_DigiCerts_code_the_note_is_required_and_another_accounts_order_is_not_found()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        var issued = await t.IssuedOrderAsync();
        var pending = await t.OrderAsync();

        var refused = Assert.IsType<CancelOutcome.Refused>(await TargetCalls.CancelAsync(server, t.AccountId, S(issued), "late"));
        var noNote = Assert.IsType<CancelOutcome.Refused>(await TargetCalls.CancelAsync(server, t.AccountId, S(pending.Id), null));

        Assert.Equal((400, "invalid_status|order"), (refused.Status, refused.Code));
        Assert.Contains("revoke", refused.Message, StringComparison.Ordinal);
        Assert.Equal((400, "missing_param|note"), (noNote.Status, noNote.Code));
        Assert.True(CancelService.Target("digicert", "order")!.ReasonRequired);
        Assert.Equal("pending", await t.StatusAsync(pending.Id));
        Assert.Empty(await new CancelService(null!, server.Services).FindAsync(other.AccountId, S(pending.Id), CancellationToken.None));
        var shapes = CancelService.Target("digicert", "order")!.MayOwn;
        Assert.Equal((true, false, false, false), (shapes(S(pending.Id)), shapes("0" + S(pending.Id)), shapes("-1"), shapes(Guid.NewGuid().ToString())));
    }

    [Fact]
    public async Task Listing_offers_DigiCerts_console_filters_pending_and_emailed_to_recipient_and_pages_by_id()
    {
        var t = await Tenant.CreateAsync(server);
        var tls = await t.OrderAsync(commonName: "shop-" + Guid.NewGuid().ToString("N") + ".example.com");
        var emailed = await t.OrderAsync("client_premium", csr: false, email: "dana@example.com");
        var canceled = await t.OrderAsync();
        await t.CancelAsync(canceled.Id);
        var target = CancelService.Target("digicert", "order")!;

        var pendings = await TargetCalls.ListAsync(server, "digicert", "order", new ResourceQuery(t.AccountId, "pending", null, null, 10));
        var toRecipient = await TargetCalls.ListAsync(server, "digicert", "order", new ResourceQuery(t.AccountId, "waiting_pickup", null, null, 10));
        var searched = await TargetCalls.ListAsync(server, "digicert", "order", new ResourceQuery(t.AccountId, null, "SHOP-", null, 10));
        var firstPage = await TargetCalls.ListAsync(server, "digicert", "order", new ResourceQuery(t.AccountId, null, null, null, 1));
        var secondPage = await TargetCalls.ListAsync(server, "digicert", "order", new ResourceQuery(t.AccountId, null, null, S(canceled.Id), 10));

        Assert.Contains("pending", target.States);
        Assert.Contains("waiting_pickup", target.States);
        Assert.Equal([S(tls.Id)], pendings.Select(r => r.Id));
        Assert.Equal([S(emailed.Id)], toRecipient.Select(r => r.Id));
        Assert.Equal([S(tls.Id)], searched.Select(r => r.Id));
        Assert.Equal([S(canceled.Id), S(emailed.Id)], firstPage.Select(r => r.Id));
        Assert.Equal([S(emailed.Id), S(tls.Id)], secondPage.Select(r => r.Id));
        var counts = await TargetCalls.CountAsync(server, "digicert", "order", t.AccountId);
        Assert.Equal((1L, 1L, 1L, 0L), (counts["pending"], counts["waiting_pickup"], counts["canceled"], counts["issued"]));
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertCancelTargetTests_Sqlite(SqliteServer server) : DigiCertCancelTargetTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertCancelTargetTests_Postgres(PostgresServer server) : DigiCertCancelTargetTests(server), IClassFixture<PostgresServer>;
