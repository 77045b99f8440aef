using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>A cancel that dies half-way leaves nothing behind: session, transactions, audit, outbox and key together.</summary>
public abstract class CrissCrossCrashTests(RescindServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test, every invariant of the database holds (<c>rescind verify</c>).</summary>
    public Task DisposeAsync() => Audit.AssertVerifiedAsync(server);

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
    public async Task A_failure_between_the_sessions_update_and_the_transactions_update_leaves_neither_changed()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "card");
        var key = Guid.NewGuid().ToString();

        var failed = await WithFaultAsync("crisscross.cancel:session-updated", () => m.CancelAsync(id, "crash", key));

        failed.IsCollectError(500, "INTERNAL_SERVER_ERROR");
        Assert.Equal("PROCESSING", await m.SessionStatusAsync(id));
        Assert.Equal("PENDING", await m.PaymentStatusAsync(tx));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM crisscross_sessions WHERE id = @id AND version = 2 AND cancel_reason IS NULL AND cancel_requested_at IS NULL", new { id }));
        Assert.Equal(1, await server.CountAsync("SELECT version FROM crisscross_transactions WHERE id = @tx", new { tx }));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(0, await Audit.ActionCountAsync(server, tx, "cancel"));
        Assert.Equal(0, await Audit.EventCountAsync(server, id, "session.cancelled"));
        Assert.Equal(0, await Audit.EventCountAsync(server, tx, "transaction.cancelled"));

        var retry = await m.CancelAsync(id, "crash", key); // the key was not kept by the failed attempt
        Assert.Equal(("CANCELLED", 200), (retry.Str("status"), retry.Code));
        Assert.Equal("CANCELLED", await m.PaymentStatusAsync(tx));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, tx, "cancel"));
    }

    [Fact]
    public async Task A_failure_while_recording_the_sessions_cancellation_rolls_back_the_cascade_too()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "card");

        var failed = await WithFaultAsync("record:checkout.session:cancel", () => m.CancelAsync(id));

        failed.IsCollectError(500, "INTERNAL_SERVER_ERROR");
        Assert.Equal("PROCESSING", await m.SessionStatusAsync(id));
        Assert.Equal("PENDING", await m.PaymentStatusAsync(tx));
        Assert.Equal(0, await Audit.ActionCountAsync(server, tx, "cancel"));
        Assert.Equal(0, await Audit.EventCountAsync(server, tx, "transaction.cancelled"));
    }

    [Fact]
    public async Task A_failure_while_completing_a_deferred_cancellation_leaves_the_transaction_in_flight_and_the_session_pending()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "mobile_money");
        await m.CancelAsync(id);

        var failed = await WithFaultAsync("record:checkout.session:cancel_completed", () => m.ProviderAsync(tx, "fail"));

        Assert.Equal(500, failed.Code);
        Assert.Equal("PENDING", await m.PaymentStatusAsync(tx));
        Assert.Equal("PENDING_CANCELLATION", await m.SessionStatusAsync(id));
        Assert.Equal(0, await Audit.EventCountAsync(server, tx, "transaction.failed"));
        Assert.Equal("FAILED", (await m.ProviderAsync(tx, "fail")).Str("status"));
        Assert.Equal("CANCELLED", await m.SessionStatusAsync(id));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossCrashTests_Sqlite(FaultySqliteServer server) : CrissCrossCrashTests(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossCrashTests_Postgres(FaultyPostgresServer server) : CrissCrossCrashTests(server), IClassFixture<FaultyPostgresServer>;
