using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>A write that dies half-way leaves nothing: state, balances, ledger, ciphertexts, audit and outbox together.</summary>
public abstract class CircleCrashTests(RescindServer server)
{
    private FaultSwitch Faults => ((IFaultyServer)server).Faults;

    [Fact]
    public async Task A_cancel_that_fails_at_its_audit_row_leaves_the_transaction_SENT_and_its_key_and_ciphertext_unused()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to);
        await c.MineUntilAsync(id, "SENT");
        var key = Guid.NewGuid().ToString();
        var cipher = c.Ciphertext();
        Faults.Arm("record:circle.transaction:cancel");
        try
        {
            (await c.PostAsync($"/v1/w3s/developer/transactions/{id}/cancel", new() { ["idempotencyKey"] = key, ["entitySecretCiphertext"] = cipher }))
                .IsCircleError(500, -1);
        }
        finally
        {
            Faults.Disarm();
        }

        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM circle_transactions WHERE id = @id AND state = 'CANCEL_PENDING'", new { id }));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
        var retry = await c.PostAsync($"/v1/w3s/developer/transactions/{id}/cancel", new() { ["idempotencyKey"] = key, ["entitySecretCiphertext"] = cipher });
        Assert.Equal(200, retry.Code);
        Assert.Equal("SENT", retry.Json.GetProperty("data").GetProperty("state").GetString());
        await c.MineAsync();
        Assert.Equal("CANCELLED", await c.StateAsync(id));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_block_that_fails_while_mining_moves_no_money_and_the_next_block_mines_once()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "3");
        await c.MineUntilAsync(id, "SENT");
        Faults.Arm("record:circle.transaction:mine");
        try
        {
            var failed = await Tenant.Operator(server, HttpMethod.Post, "/operator/circle/chains/ETH-SEPOLIA/blocks", new { accountId = c.AccountId });
            Assert.Equal(500, failed.Code);
        }
        finally
        {
            Faults.Disarm();
        }

        Assert.Equal("SENT", await c.StateAsync(id));
        Assert.Equal("10", (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM circle_ledger WHERE transaction_id = @id", new { id }));
        await c.MineAsync();
        Assert.Equal("CONFIRMED", await c.StateAsync(id));
        Assert.Equal("7", (await c.BalancesAsync(from.GetProperty("id").GetString()!))["USDC"]);
        Assert.Equal(2, await server.CountAsync("SELECT COUNT(*) FROM circle_ledger WHERE transaction_id = @id AND delta < 0", new { id }));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CircleCrashTests_Sqlite(FaultySqliteServer server) : CircleCrashTests(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CircleCrashTests_Postgres(FaultyPostgresServer server) : CircleCrashTests(server), IClassFixture<FaultyPostgresServer>;
