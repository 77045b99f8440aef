using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>The CrissCross invariants catch tampering (on a database of this class's own, repaired after each).</summary>
public abstract class CrissCrossVerifyTests(RescindServer server)
{
    private Task<IReadOnlyList<string>> ViolationsAsync(string invariant) => Audit.ViolationsAsync(server, invariant);

    private Task ExecAsync(string sql, object args) => Audit.TamperAsync(server, sql, args);

    [Fact]
    public async Task Each_CrissCross_invariant_reports_the_row_that_breaks_it()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var session = await m.SessionAsync(amount: 1000);
        var tx = await m.TransactionAsync(session, "card");
        await Audit.AssertVerifiedAsync(server);

        // A cancel written behind the coordinator's back: unaudited, a payment left in flight, no cancellation time.
        await ExecAsync("UPDATE crisscross_sessions SET status = 'CANCELLED' WHERE id = @session", new { session });
        Assert.Contains($"session {session} is CANCELLED but its audit log ends in PROCESSING",
            await ViolationsAsync("crisscross: each session's state is its last audited state"));
        Assert.Contains($"session {session} is CANCELLED with 1 transaction(s) in flight",
            await ViolationsAsync("crisscross: in-flight transactions only on processing or pending-cancellation sessions"));
        Assert.Single(await ViolationsAsync("crisscross: a cancelled session has its cancellation time"));
        await ExecAsync("UPDATE crisscross_sessions SET status = 'PROCESSING' WHERE id = @session", new { session });

        // A completion without its audit row and event, and a refund above what was paid.
        await ExecAsync("UPDATE crisscross_transactions SET status = 'COMPLETED', refunded_amount = 1001 WHERE id = @tx", new { tx });
        Assert.Contains($"transaction {tx} is COMPLETED but its audit log ends in PENDING",
            await ViolationsAsync("crisscross: each transaction's state is its last audited state"));
        Assert.Single(await ViolationsAsync("crisscross: refunds add up and never exceed the amount"));
        await ExecAsync("UPDATE crisscross_sessions SET status = 'PROCESSING' WHERE id = @session", new { session });
        await ExecAsync("UPDATE crisscross_transactions SET status = 'PENDING', refunded_amount = 0 WHERE id = @tx", new { tx });

        // A late completion on a session that was never cancelled.
        await ExecAsync("UPDATE crisscross_transactions SET late_completion = 1 WHERE id = @tx", new { tx });
        Assert.Single(await ViolationsAsync("crisscross: late completions belong to cancelled sessions"));
        await ExecAsync("UPDATE crisscross_transactions SET late_completion = 0 WHERE id = @tx", new { tx });

        // A lost event.
        await m.CancelAsync(session);
        await Audit.AssertVerifiedAsync(server);
        await ExecAsync("DELETE FROM outbox WHERE resource_id = @tx", new { tx });
        Assert.Contains($"transaction {tx} has 1 outcome audit rows but 0 events", await ViolationsAsync("crisscross: one event per transaction outcome"));
        await ExecAsync("DELETE FROM outbox WHERE resource_id = @session", new { session });
        Assert.Single(await ViolationsAsync("crisscross: one event per session state the merchant hears of"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossVerifyTests_Sqlite(SqliteServer server) : CrissCrossVerifyTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossVerifyTests_Postgres(PostgresServer server) : CrissCrossVerifyTests(server), IClassFixture<PostgresServer>;
