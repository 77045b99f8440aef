using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>The providers' and the sessions' clocks, driven by the fake clock and the operator's job run.</summary>
public abstract class CrissCrossClockTests(RescindServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test, every invariant of the database holds (<c>rescind verify</c>).</summary>
    public Task DisposeAsync() => Audit.AssertVerifiedAsync(server);

    [Fact]
    public async Task Deferred_cancel_end_to_end_mobile_money_in_flight_then_cancel_then_the_prompt_times_out_and_the_session_is_CANCELLED()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "mobile_money");

        var cancel = await m.CancelAsync(id, "payer walked away");
        Assert.Equal("PENDING_CANCELLATION", cancel.Str("status"));
        Assert.Equal([tx], CrissCrossMerchant.Ids(cancel.Json.GetProperty("pendingTransactionIds")));

        server.Clock.Advance(TimeSpan.FromSeconds(100));
        await CrissCrossMerchant.RunJobsAsync(server);
        Assert.Equal("PENDING", await m.PaymentStatusAsync(tx)); // the prompt has not timed out yet
        Assert.Equal("PENDING_CANCELLATION", await m.SessionStatusAsync(id));

        server.Clock.Advance(TimeSpan.FromSeconds(21));
        await CrissCrossMerchant.RunJobsAsync(server);

        Assert.Equal("EXPIRED", await m.PaymentStatusAsync(tx));
        var session = (await m.GetSessionAsync(id)).Json;
        Assert.Equal("CANCELLED", session.GetProperty("status").GetString());
        Assert.Empty(CrissCrossMerchant.Ids(session.GetProperty("pendingTransactionIds")));
        Assert.Empty(CrissCrossMerchant.Ids(session.GetProperty("lateCompletedTransactionIds")));
        Assert.Equal("payer walked away", session.GetProperty("cancellationReason").GetString());
        var sessionEvents = (await Audit.EventsAsync(server, id)).Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["session.pending_cancellation", "session.cancelled"], sessionEvents);
        var expiry = Assert.Single(await Audit.RowsAsync(server, tx), r => r.GetProperty("action").GetString() == "expire");
        Assert.Equal("system", expiry.GetProperty("actor").GetProperty("kind").GetString());
        var done = Assert.Single(await Audit.RowsAsync(server, id), r => r.GetProperty("action").GetString() == "cancel_completed");
        Assert.Equal(("PENDING_CANCELLATION", "CANCELLED"), (done.GetProperty("from_state").GetString(), done.GetProperty("to_state").GetString()));
        Assert.Equal(expiry.GetProperty("at").GetString(), done.GetProperty("at").GetString());
        Assert.Equal(1, await Audit.EventCountAsync(server, tx, "transaction.expired"));

        var repeat = await m.CancelAsync(id);
        Assert.Equal(("CANCELLED", 200), (repeat.Str("status"), repeat.Code));
        await CrissCrossMerchant.RunJobsAsync(server);
        Assert.Equal(1, await Audit.ActionCountAsync(server, tx, "expire")); // the job does not touch it twice
    }

    [Fact]
    public async Task A_mobile_money_prompt_that_times_out_without_a_cancel_reopens_the_session_for_another_attempt()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "mobile_money");
        var card = await m.SessionAsync();
        var cardTx = await m.TransactionAsync(card, "card");

        server.Clock.Advance(TimeSpan.FromSeconds(121));
        await CrissCrossMerchant.RunJobsAsync(server);

        Assert.Equal("EXPIRED", await m.PaymentStatusAsync(tx));
        Assert.Equal("OPEN", await m.SessionStatusAsync(id));
        Assert.Equal("PENDING", await m.PaymentStatusAsync(cardTx)); // card prompts do not time out [ours]
        Assert.Equal(201, (await m.PayAsync(id, "card")).Code);
    }

    [Fact]
    public async Task An_open_session_expires_on_the_clock_and_then_refuses_payments_with_409_SESSION_EXPIRED()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync(expiresInSeconds: 300);
        var busy = await m.SessionAsync(expiresInSeconds: 300);
        var busyTx = await m.TransactionAsync(busy, "card");

        server.Clock.Advance(TimeSpan.FromSeconds(301));
        await CrissCrossMerchant.RunJobsAsync(server);

        Assert.Equal("EXPIRED", await m.SessionStatusAsync(id));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.expired"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM crisscross_sessions WHERE id = @id AND status = 'EXPIRED'", new { id }));
        (await m.PayAsync(id)).IsCollectError(409, "SESSION_EXPIRED");
        Assert.Equal("PROCESSING", await m.SessionStatusAsync(busy)); // a payment in flight is let finish [ours]
        Assert.Equal("COMPLETED", (await m.ProviderAsync(busyTx, "complete")).Str("status"));
        Assert.Equal("COMPLETED", await m.SessionStatusAsync(busy));
    }

    [Fact]
    public async Task Expired_tokens_are_purged_by_the_job()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var hash = Rescind.Core.Ids.Sha256Hex(m.Token);
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM crisscross_tokens WHERE hash = @hash", new { hash }));

        server.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await CrissCrossMerchant.RunJobsAsync(server);

        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM crisscross_tokens WHERE hash = @hash", new { hash }));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossClockTests_Sqlite(SqliteServer server) : CrissCrossClockTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossClockTests_Postgres(PostgresServer server) : CrissCrossClockTests(server), IClassFixture<PostgresServer>;
