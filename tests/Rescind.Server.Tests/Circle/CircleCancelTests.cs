using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>Every outcome of cancel and accelerate: before broadcast, after broadcast (the replacement races the
/// original and the simulator settles it), stuck transactions, ineligible states and chains.</summary>
public abstract class CircleCancelTests(RescindServer server)
{
    [Fact]
    public async Task Canceling_before_broadcast_is_CANCELLED_at_once_and_moves_no_money()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var initiated = await c.TransferAsync(from, to);
        var a = await c.CancelAsync(initiated);
        Assert.Equal(200, a.Code);
        Assert.Equal(initiated, a.Json.GetProperty("data").GetProperty("id").GetString());
        Assert.Equal("CANCELLED", a.Json.GetProperty("data").GetProperty("state").GetString());

        var queued = await c.TransferAsync(from, to);
        await c.MineAsync();
        Assert.Equal("QUEUED", await c.StateAsync(queued));
        Assert.Equal("CANCELLED", (await c.CancelAsync(queued)).Json.GetProperty("data").GetProperty("state").GetString());

        await c.MineAsync("ETH-SEPOLIA", 8);
        Assert.Equal("CANCELLED", await c.StateAsync(initiated));
        Assert.Equal("10", (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        Assert.Equal("1", (await c.BalancesAsync(from.GetProperty("id").GetString()!))["ETH"]);
        Assert.Equal(1, await Audit.ActionCountAsync(server, initiated, "cancel"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_after_broadcast_answers_SENT_then_the_replacement_wins_and_only_its_fee_is_charged()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "2");
        await c.MineUntilAsync(id, "SENT");
        var a = await c.CancelAsync(id);
        Assert.Equal(200, a.Code);
        Assert.Equal("SENT", a.Json.GetProperty("data").GetProperty("state").GetString());
        Assert.Equal("SENT", await c.StateAsync(id));
        // A second cancel while the replacement is out changes nothing [ours].
        Assert.Equal("SENT", (await c.CancelAsync(id)).Json.GetProperty("data").GetProperty("state").GetString());

        await c.MineAsync();
        var tx = await c.TransactionAsync(id);
        Assert.Equal("CANCELLED", tx.GetProperty("state").GetString());
        Assert.Equal("0.00084", tx.GetProperty("networkFee").GetString()); // 21,000 gas × 40 gwei (HIGH)
        var balances = await c.BalancesAsync(from.GetProperty("id").GetString()!);
        Assert.Equal("10", balances["USDC"]);
        Assert.Equal("0.99916", balances["ETH"]);
        Assert.False((await c.BalancesAsync(to.GetProperty("id").GetString()!)).ContainsKey("USDC"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "mine-replacement"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task When_the_original_is_mined_first_the_cancel_loses_and_the_transfer_completes()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "2");
        await c.MineUntilAsync(id, "SENT");
        Assert.Equal(200, (await c.CancelAsync(id)).Code);
        var mined = await Tenant.Operator(server, HttpMethod.Post, $"/operator/circle/transactions/{id}/mine");
        Assert.True(mined.Code == 200, mined.Body);
        Assert.Equal("CONFIRMED", await c.StateAsync(id));
        (await c.CancelAsync(id)).IsCircleError(400, 155215);
        await c.MineUntilAsync(id, "COMPLETE");
        var balances = await c.BalancesAsync(from.GetProperty("id").GetString()!);
        Assert.Equal("8", balances["USDC"]);
        Assert.Equal("2", (await c.BalancesAsync(to.GetProperty("id").GetString()!))["USDC"]);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_low_fee_leaves_a_transaction_STUCK_and_accelerate_gets_it_mined()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "1", "LOW");
        await c.MineUntilAsync(id, "CLEARED");
        Assert.Equal(200, (await c.SetBaseFeeAsync(30)).Code);
        await c.MineAsync();
        Assert.Equal("STUCK", await c.StateAsync(id));
        var later = await c.TransferAsync(from, to, "1", "HIGH");
        await c.MineAsync("ETH-SEPOLIA", 5);
        Assert.Equal("STUCK", await c.StateAsync(id));
        Assert.Equal("SENT", await c.StateAsync(later)); // nonce 1 waits for nonce 0

        var a = await c.AccelerateAsync(id);
        Assert.Equal(200, a.Code);
        Assert.Equal(id, a.Json.GetProperty("data").GetProperty("id").GetString());
        var tx = await c.TransactionAsync(id);
        Assert.Equal("SENT", tx.GetProperty("state").GetString());
        Assert.Equal("HIGH", tx.GetProperty("feeLevel").GetString());
        await c.MineUntilAsync(id, "COMPLETE");
        await c.MineUntilAsync(later, "COMPLETE");
        Assert.Equal("8", (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_STUCK_transaction_can_be_cancelled_by_a_replacement()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "1", "LOW");
        await c.MineUntilAsync(id, "CLEARED");
        await c.SetBaseFeeAsync(21);
        await c.MineAsync();
        Assert.Equal("STUCK", await c.StateAsync(id));
        Assert.Equal("SENT", (await c.CancelAsync(id)).Json.GetProperty("data").GetProperty("state").GetString());
        await c.MineAsync();
        Assert.Equal("CANCELLED", await c.StateAsync(id));
        Assert.Equal("10", (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Ineligible_states_and_chains_without_replacement_are_400_155215()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to);
        (await c.AccelerateAsync(id)).IsCircleError(400, 155215); // not yet sent
        await c.MineUntilAsync(id, "CLEARED");
        (await c.CancelAsync(id)).IsCircleError(400, 155215);
        await c.MineUntilAsync(id, "CONFIRMED");
        (await c.CancelAsync(id)).IsCircleError(400, 155215);
        (await c.AccelerateAsync(id)).IsCircleError(400, 155215);
        await c.MineUntilAsync(id, "COMPLETE");
        (await c.CancelAsync(id)).IsCircleError(400, 155215);

        var cancelled = await c.TransferAsync(from, to);
        Assert.Equal(200, (await c.CancelAsync(cancelled)).Code);
        (await c.CancelAsync(cancelled)).IsCircleError(400, 155215);

        var (sol, solTo) = await c.WalletPairAsync("SOL-DEVNET");
        var onSol = await c.TransferAsync(sol, solTo);
        (await c.CancelAsync(onSol)).IsCircleError(400, 155215);
        (await c.AccelerateAsync(onSol)).IsCircleError(400, 155215);
        await c.MineUntilAsync(onSol, "COMPLETE", "SOL-DEVNET");

        (await c.CancelAsync(Guid.NewGuid().ToString())).IsCircleError(404, 156003);
        (await c.CancelAsync("not-a-uuid")).IsCircleError(400, 156009);
        var other = await CircleClient.CreateAsync(server);
        (await other.CancelAsync(cancelled)).IsCircleError(404, 156003);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_cancel_repeated_with_its_key_answers_the_original_even_after_the_state_moved_on()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to);
        await c.MineUntilAsync(id, "SENT");
        var key = Guid.NewGuid().ToString();
        var first = await c.CancelAsync(id, key);
        await c.MineAsync();
        var again = await c.CancelAsync(id, key);
        Assert.Equal(first.Body, again.Body);
        Assert.Equal("CANCELLED", await c.StateAsync(id));
        (await c.PostAsync($"/v1/w3s/developer/transactions/{Guid.NewGuid()}/cancel", new() { ["idempotencyKey"] = key })).IsCircleError(403, 156020);
    }

    [Fact]
    public async Task An_operator_failure_carries_its_errorReason_and_moves_no_money()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to);
        await c.MineUntilAsync(id, "SENT");
        var a = await Tenant.Operator(server, HttpMethod.Post, $"/operator/circle/transactions/{id}/fail", new { errorReason = "NETWORK_ERROR" });
        Assert.True(a.Code == 200, a.Body);
        var tx = await c.TransactionAsync(id);
        Assert.Equal("FAILED", tx.GetProperty("state").GetString());
        Assert.Equal("NETWORK_ERROR", tx.GetProperty("errorReason").GetString());
        (await c.CancelAsync(id)).IsCircleError(400, 155215);
        Assert.Equal("10", (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CircleCancelTests_Sqlite(SqliteServer server) : CircleCancelTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CircleCancelTests_Postgres(PostgresServer server) : CircleCancelTests(server), IClassFixture<PostgresServer>;
