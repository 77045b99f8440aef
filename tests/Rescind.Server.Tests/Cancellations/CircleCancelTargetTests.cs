using Rescind.Server.Cancellations;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>Circle's transactions behind the cancel-target seam: no entity-secret ciphertext, and a broadcast
/// transaction's cancel is pending until the replacement or the original is mined.</summary>
public abstract class CircleCancelTargetTests(RescindServer server)
{
    [Fact]
    public async Task Before_broadcast_a_dry_run_matches_the_real_cancel_without_a_ciphertext()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "2");

        var (dry, _) = await TargetCalls.DryThenRealAsync<CancelOutcome.Canceled>(server, c.AccountId, id);

        Assert.Equal(("CANCELLED", "test"), (dry.After.Resource.State, dry.After.Resource.Mode));
        Assert.Equal("CANCELLED", await c.StateAsync(id));
        Assert.IsType<CancelOutcome.AlreadyCanceled>(await TargetCalls.CancelAsync(server, c.AccountId, "circle:" + id));
    }

    [Fact]
    public async Task After_broadcast_the_cancel_is_pending_until_the_replacement_is_mined()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "2");
        await c.MineUntilAsync(id, "SENT");

        var (_, real) = await TargetCalls.DryThenRealAsync<CancelOutcome.PendingCancellation>(server, c.AccountId, id);

        Assert.Equal("SENT", real.After.Resource.State);
        Assert.Equal([id], real.Unstoppable.Select(u => u.Id));
        Assert.Contains("replacement", Assert.Single(real.Notes), StringComparison.Ordinal);
        Assert.IsType<CancelOutcome.PendingCancellation>(await TargetCalls.CancelAsync(server, c.AccountId, id, dryRun: true));
        await c.MineAsync();
        Assert.IsType<CancelOutcome.AlreadyCanceled>(await TargetCalls.CancelAsync(server, c.AccountId, id, dryRun: true));
    }

    [Fact]
    public async Task A_confirmed_transaction_is_refused_with_155215_and_another_accounts_transaction_is_not_found()
    {
        var c = await CircleClient.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "2");
        await c.MineUntilAsync(id, "CONFIRMED");

        var refused = Assert.IsType<CancelOutcome.Refused>(await TargetCalls.CancelAsync(server, c.AccountId, id));

        Assert.Equal((400, "155215"), (refused.Status, refused.Code));
        Assert.Empty(await new CancelService(null!, server.Services).FindAsync(other.AccountId, id, CancellationToken.None));
        Assert.Empty(await new CancelService(null!, server.Services).FindAsync(c.AccountId, "crisscross:" + id, CancellationToken.None));
    }

    [Fact]
    public async Task Listing_finds_a_pending_replacement_under_SENT_and_pages_newest_first()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var first = await c.TransferAsync(from, to, "1");
        await c.MineUntilAsync(first, "SENT");
        Assert.Equal(200, (await c.CancelAsync(first)).Code);
        var second = await c.TransferAsync(from, to, "1");
        var q = (string? state, string? search, string? after, int limit) => TargetCalls.ListAsync(server, "circle", "circle.transaction",
            new ResourceQuery(c.AccountId, state, search, after, limit));

        Assert.Equal([first], (await q("SENT", null, null, 10)).Select(r => r.Id));
        Assert.Equal([second], (await q(null, second, null, 10)).Select(r => r.Id));
        Assert.Equal([second, first], (await q(null, null, null, 1)).Select(r => r.Id));
        Assert.Equal([first], (await q(null, null, second, 10)).Select(r => r.Id));
        var counts = await TargetCalls.CountAsync(server, "circle", "circle.transaction", c.AccountId);
        Assert.Equal((1L, 1L), (counts["SENT"], counts["INITIATED"]));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CircleCancelTargetTests_Sqlite(SqliteServer server) : CircleCancelTargetTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CircleCancelTargetTests_Postgres(PostgresServer server) : CircleCancelTargetTests(server), IClassFixture<PostgresServer>;
