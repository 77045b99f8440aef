using Rescind.Server.Cancellations;
using Rescind.Server.Tests.CrissCross;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>CrissCross checkout sessions behind the cancel-target seam: the cascade to transactions and the
/// pending cancellation while a provider cannot stop one.</summary>
public abstract class CrissCrossCancelTargetTests(RescindServer server)
{
    [Fact]
    public async Task A_dry_run_reports_the_card_cascade_the_real_cancel_then_makes()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var session = await m.SessionAsync();
        var card = await m.TransactionAsync(session, "card");

        var (dry, real) = await TargetCalls.DryThenRealAsync<CancelOutcome.Canceled>(server, m.Tenant.AccountId, session, "customer left");

        Assert.Equal("CANCELLED", dry.After.Resource.State);
        Assert.Contains(dry.Effects, e => e.ResourceId == card && e.To == "CANCELLED");
        Assert.Contains(card, Assert.Single(real.Notes), StringComparison.Ordinal);
        Assert.Equal("CANCELLED", Assert.Single(real.After.Children).State);
        Assert.Equal("CANCELLED", await m.SessionStatusAsync(session));
        Assert.IsType<CancelOutcome.AlreadyCanceled>(await TargetCalls.CancelAsync(server, m.Tenant.AccountId, session));
    }

    [Fact]
    public async Task A_mobile_money_prompt_leaves_the_session_pending_cancellation_with_the_transaction_that_cannot_be_stopped()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var session = await m.SessionAsync();
        var prompt = await m.TransactionAsync(session, "mobile_money");

        var (_, real) = await TargetCalls.DryThenRealAsync<CancelOutcome.PendingCancellation>(server, m.Tenant.AccountId, "crisscross:" + session);

        Assert.Equal("PENDING_CANCELLATION", real.After.Resource.State);
        Assert.Equal([prompt], real.Unstoppable.Select(u => u.Id));
        Assert.IsType<CancelOutcome.PendingCancellation>(await TargetCalls.CancelAsync(server, m.Tenant.AccountId, session));
        Assert.Equal(200, (await m.ProviderAsync(prompt, "fail")).Code);
        Assert.IsType<CancelOutcome.AlreadyCanceled>(await TargetCalls.CancelAsync(server, m.Tenant.AccountId, session));
    }

    [Fact]
    public async Task A_paid_session_is_refused_with_Collects_code_and_another_merchants_session_is_not_found()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var other = await CrissCrossMerchant.CreateAsync(server, "Other");
        var session = await m.SessionAsync();
        var card = await m.TransactionAsync(session, "card");
        Assert.Equal(200, (await m.ProviderAsync(card, "complete")).Code);

        var refused = Assert.IsType<CancelOutcome.Refused>(await TargetCalls.CancelAsync(server, m.Tenant.AccountId, session));

        Assert.Equal((409, "SESSION_NOT_CANCELLABLE"), (refused.Status, refused.Code));
        Assert.False(string.IsNullOrEmpty(refused.Message));
        Assert.Empty(await new CancelService(null!, server.Services).FindAsync(other.Tenant.AccountId, session, CancellationToken.None));
        var mayOwn = CancelService.Target("crisscross", "checkout.session")!.MayOwn;
        Assert.Equal((true, false, false), (mayOwn(session), mayOwn("12345"), mayOwn(Guid.NewGuid().ToString())));
    }

    [Fact]
    public async Task Listing_filters_by_state_searches_by_merchant_reference_and_pages_newest_first()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var first = await m.SessionAsync();
        var second = await m.SessionAsync();
        await m.CancelAsync(second);
        var reference = (await m.GetSessionAsync(first)).Str("merchantReference");
        var q = (string? state, string? search, string? after, int limit) => TargetCalls.ListAsync(server, "crisscross", "checkout.session",
            new ResourceQuery(m.Tenant.AccountId, state, search, after, limit));

        Assert.Equal([first], (await q("OPEN", null, null, 10)).Select(r => r.Id));
        Assert.Equal([first], (await q(null, reference, null, 10)).Select(r => r.Id));
        Assert.Equal([second], (await q(null, second, null, 10)).Select(r => r.Id));
        Assert.Equal([second, first], (await q(null, null, null, 1)).Select(r => r.Id));
        Assert.Equal([first], (await q(null, null, second, 10)).Select(r => r.Id));
        var counts = await TargetCalls.CountAsync(server, "crisscross", "checkout.session", m.Tenant.AccountId);
        Assert.Equal((1L, 1L, 0L), (counts["OPEN"], counts["CANCELLED"], counts["COMPLETED"]));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossCancelTargetTests_Sqlite(SqliteServer server) : CrissCrossCancelTargetTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossCancelTargetTests_Postgres(PostgresServer server) : CrissCrossCancelTargetTests(server), IClassFixture<PostgresServer>;
