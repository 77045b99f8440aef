using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>
/// Concurrency: a cancel racing the chain, and duplicates of one request, settle to exactly one effect whose
/// state, audit rows, events and balances agree.
/// </summary>
public abstract class CircleRaceTests(RescindServer server)
{
    /// <summary><paramref name="n"/> transfers of 0.1 USDC from one generously funded wallet, all broadcast
    /// (nonces 0..n-1, every one SENT).</summary>
    private async Task<(CircleClient C, System.Text.Json.JsonElement From, System.Text.Json.JsonElement To, List<string> Ids)> SentTransfersAsync(int n)
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        for (var i = 0; i < 3; i++)
        {
            await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v1/faucet/drips",
                System.Text.Json.JsonSerializer.Serialize(new { address = from.GetProperty("address").GetString(), blockchain = "ETH-SEPOLIA", native = true }), "test");
        }
        var ids = new List<string>();
        for (var i = 0; i < n; i++)
        {
            ids.Add(await c.TransferAsync(from, to, "0.1", "HIGH"));
        }
        await c.MineAsync("ETH-SEPOLIA", 3);
        return (c, from, to, ids);
    }

    [Fact]
    public async Task Forty_cancels_racing_the_next_block_each_settle_to_one_final_state_and_balances_equal_what_was_mined()
    {
        var (c, from, to, ids) = await SentTransfersAsync(40);

        var cancelWins = 0;
        var completed = 0;
        foreach (var id in ids)
        {
            Assert.Equal("SENT", await c.StateAsync(id));
            var cancel = Task.Run(() => c.CancelAsync(id));
            var block = Task.Run(() => c.MineAsync());
            await Task.WhenAll(cancel, block);
            var answer = await cancel;
            // The race's block mined this wallet's next nonce: the original or its replacement.
            var settled = await c.StateAsync(id);
            Assert.Contains(settled, new[] { "CANCELLED", "CONFIRMED" });
            var final = settled == "CONFIRMED" ? "COMPLETE" : settled;
            var audit = await Audit.RowsAsync(server, id);
            if (answer.Code == 200)
            {
                Assert.Equal("SENT", answer.Json.GetProperty("data").GetProperty("state").GetString());
                Assert.Equal(1, audit.Count(r => r.GetProperty("action").GetString() == "cancel"));
            }
            else
            {
                answer.IsCircleError(400, 155215);
                Assert.Equal(0, audit.Count(r => r.GetProperty("action").GetString() == "cancel"));
            }

            // Exactly one of the two nonce holders was mined.
            Assert.Equal(1, audit.Count(r => r.GetProperty("action").GetString() is "mine" or "mine-replacement"));
            Assert.Equal(final == "CANCELLED" ? 0 : 1, await server.CountAsync(
                "SELECT COUNT(*) FROM circle_ledger WHERE transaction_id = @id AND kind = 'transfer'", new { id }));
            cancelWins += final == "CANCELLED" ? 1 : 0;
            completed += final == "COMPLETE" ? 1 : 0;
        }
        Assert.Equal(40, cancelWins + completed);
        await c.MineAsync("ETH-SEPOLIA", 5);
        foreach (var id in ids)
        {
            Assert.Contains(await c.StateAsync(id), new[] { "CANCELLED", "COMPLETE" });
        }
        // The recipient holds exactly what was mined to it; the sender exactly the rest.
        var received = (await c.BalancesAsync(to.GetProperty("id").GetString()!)).GetValueOrDefault("USDC", "0");
        Assert.Equal((completed * 0.1m).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture), received);
        Assert.Equal((10 - completed * 0.1m).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture),
            (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Thirty_cancels_of_one_chain_at_once_while_blocks_are_mined_each_settle_once_and_balances_agree()
    {
        // Cancels of different transactions share the chain (they wait for a block being mined, not for each other);
        // every one of them still settles to exactly one final state.
        var (c, from, to, ids) = await SentTransfersAsync(30);

        var cancels = ids.Select(id => Task.Run(() => c.CancelAsync(id))).ToList();
        var blocks = Enumerable.Range(0, 3).Select(_ => Task.Run(() => c.MineAsync())).ToList();
        await Task.WhenAll(cancels.Cast<Task>().Concat(blocks));
        await c.MineAsync("ETH-SEPOLIA", 40); // a block mines the wallet's next nonce: one original or its replacement


        var completed = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            var answer = await cancels[i];
            var audit = await Audit.RowsAsync(server, ids[i]);
            if (answer.Code == 200)
            {
                Assert.Equal(1, audit.Count(r => r.GetProperty("action").GetString() == "cancel"));
            }
            else
            {
                answer.IsCircleError(400, 155215);
                Assert.Equal(0, audit.Count(r => r.GetProperty("action").GetString() == "cancel"));
            }
            var settled = await c.StateAsync(ids[i]);
            Assert.True(settled is "CANCELLED" or "COMPLETE", $"{ids[i]}: {settled}, cancel answered {answer.Code}, audit {string.Join(",", audit.Select(r => r.GetProperty("action").GetString()))}");
            Assert.Equal(1, audit.Count(r => r.GetProperty("action").GetString() is "mine" or "mine-replacement"));
            completed += settled == "COMPLETE" ? 1 : 0;
        }
        var received = (await c.BalancesAsync(to.GetProperty("id").GetString()!)).GetValueOrDefault("USDC", "0");
        Assert.Equal((completed * 0.1m).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture), received);
        Assert.Equal((10 - completed * 0.1m).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture),
            (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Two_cancels_with_one_key_act_once_over_many_iterations()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        for (var i = 0; i < 30; i++)
        {
            var id = await c.TransferAsync(from, to, "0.01");
            var key = Guid.NewGuid().ToString();
            var answers = await Task.WhenAll(Task.Run(() => c.CancelAsync(id, key)), Task.Run(() => c.CancelAsync(id, key)));
            Assert.All(answers, a => Assert.Equal(200, a.Code));
            Assert.Equal(answers[0].Body, answers[1].Body);
            Assert.Equal("CANCELLED", await c.StateAsync(id));
            Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
            Assert.Equal(2, (await Audit.EventsAsync(server, id)).Count); // created, cancelled
        }
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Twenty_parallel_cancels_with_different_keys_make_one_transition()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to);
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => c.CancelAsync(id))));
        Assert.Equal(1, answers.Count(a => a.Code == 200));
        Assert.All(answers.Where(a => a.Code != 200), a => a.IsCircleError(400, 155215));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM circle_transactions WHERE id = @id AND state = 'CANCELLED' AND version = 2", new { id }));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task One_ciphertext_sent_in_parallel_with_different_keys_is_accepted_once()
    {
        var c = await CircleClient.CreateAsync(server);
        var cipher = c.Ciphertext();
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() =>
            c.PostAsync("/v1/w3s/developer/walletSets", new() { ["entitySecretCiphertext"] = cipher }))));
        Assert.Equal(1, answers.Count(a => a.Code == 201));
        Assert.All(answers.Where(a => a.Code != 201), a => a.IsCircleError(400, 156004));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM circle_wallet_sets WHERE account_id = @AccountId", new { c.AccountId }));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CircleRaceTests_Sqlite(SqliteServer server) : CircleRaceTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CircleRaceTests_Postgres(PostgresServer server) : CircleRaceTests(server), IClassFixture<PostgresServer>;
