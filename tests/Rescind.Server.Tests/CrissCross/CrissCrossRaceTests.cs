using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>
/// Concurrency: whatever the interleaving, exactly one story wins, and the session, its transactions, the audit
/// rows and the outbox events all tell that story.
/// </summary>
public abstract class CrissCrossRaceTests(RescindServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test, every invariant of the database holds (<c>rescind verify</c>).</summary>
    public Task DisposeAsync() => Audit.AssertVerifiedAsync(server);

    private static List<string?> Types(IReadOnlyList<System.Text.Json.JsonElement> events) =>
        events.Select(e => e.GetProperty("type").GetString()).ToList();

    private static int Actions(IReadOnlyList<System.Text.Json.JsonElement> audit, string action) =>
        audit.Count(r => r.GetProperty("action").GetString() == action);

    [Fact]
    public async Task One_hundred_cancel_versus_card_completion_races_each_have_exactly_one_winner()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var races = new List<(string Session, string Tx)>();
        for (var i = 0; i < 100; i++)
        {
            var id = await m.SessionAsync();
            races.Add((id, await m.TransactionAsync(id, "card")));
        }

        var results = await Task.WhenAll(races.Select(async r =>
        {
            var cancel = Task.Run(() => m.CancelAsync(r.Session, "race"));
            var complete = Task.Run(() => m.ProviderAsync(r.Tx, "complete"));
            return (r.Session, r.Tx, Cancel: await cancel, Complete: await complete);
        }));

        var cancelWins = 0;
        foreach (var (session, tx, cancel, complete) in results)
        {
            var sessionAudit = await Audit.RowsAsync(server, session);
            var txAudit = await Audit.RowsAsync(server, tx);
            var sessionEvents = Types(await Audit.EventsAsync(server, session));
            var txEvents = Types(await Audit.EventsAsync(server, tx));
            if (cancel.Code == 200)
            {
                cancelWins++;
                Assert.Equal("CANCELLED", cancel.Str("status"));
                Assert.Equal([tx], CrissCrossMerchant.Ids(cancel.Json.GetProperty("cancelledTransactionIds")));
                complete.IsCollectError(409, "TRANSACTION_NOT_IN_FLIGHT");
                Assert.Equal("CANCELLED", await m.SessionStatusAsync(session));
                Assert.Equal("CANCELLED", await m.PaymentStatusAsync(tx));
                Assert.Equal((1, 0), (Actions(txAudit, "cancel"), Actions(txAudit, "complete")));
                Assert.Equal((1, 0), (Actions(sessionAudit, "cancel"), Actions(sessionAudit, "paid")));
                Assert.Equal(["transaction.cancelled"], txEvents);
                Assert.Equal(["session.cancelled"], sessionEvents);
            }
            else
            {
                cancel.IsCollectError(409, "SESSION_NOT_CANCELLABLE");
                Assert.Equal("COMPLETED", complete.Str("status"));
                Assert.Equal("COMPLETED", await m.SessionStatusAsync(session));
                Assert.Equal("COMPLETED", await m.PaymentStatusAsync(tx));
                Assert.Equal((0, 1), (Actions(txAudit, "cancel"), Actions(txAudit, "complete")));
                Assert.Equal((0, 1), (Actions(sessionAudit, "cancel"), Actions(sessionAudit, "paid")));
                Assert.Equal(["transaction.completed"], txEvents);
                Assert.Equal(["session.completed"], sessionEvents);
            }
        }
        Assert.Equal(cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM crisscross_sessions WHERE account_id = @AccountId AND status = 'CANCELLED'", new { m.Tenant.AccountId }));
        Assert.Equal(100 - cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM crisscross_sessions WHERE account_id = @AccountId AND status = 'COMPLETED'", new { m.Tenant.AccountId }));
    }

    /// <summary>Cancel against the merchant's authorization of a card payment: the cancel always stops the card (it
    /// can be stopped in flight, authorized or not); the authorization either came first (200, the payment was
    /// PROCESSING when cancelled) or found it cancelled (422), and the data is kept exactly when it came first.</summary>
    [Fact]
    public async Task Fifty_cancel_versus_authorize_races_always_cancel_the_card_and_authorize_either_came_first_or_is_422()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var races = new List<(string Session, string Tx)>();
        for (var i = 0; i < 50; i++)
        {
            var id = await m.SessionAsync();
            races.Add((id, await m.TransactionAsync(id, "card")));
        }

        var results = await Task.WhenAll(races.Select(async r =>
        {
            var cancel = Task.Run(() => m.CancelAsync(r.Session, "race"));
            var authorize = Task.Run(() => m.SendAsync(HttpMethod.Post, "/v1/payment/authorize", new { transactionId = r.Tx, authorizationData = new { threeDSecureResult = "authenticated" } }));
            return (r.Session, r.Tx, Cancel: await cancel, Authorize: await authorize);
        }));

        var authorizeFirst = 0;
        foreach (var (session, tx, cancel, authorize) in results)
        {
            Assert.Equal("CANCELLED", cancel.Str("status"));
            Assert.Equal([tx], CrissCrossMerchant.Ids(cancel.Json.GetProperty("cancelledTransactionIds")));
            Assert.Equal("CANCELLED", await m.PaymentStatusAsync(tx));
            var txAudit = await Audit.RowsAsync(server, tx);
            var cancelledFrom = txAudit.Single(r => r.GetProperty("action").GetString() == "cancel").GetProperty("from_state").GetString();
            if (authorize.Code == 200)
            {
                authorizeFirst++;
                Assert.Equal("PROCESSING", authorize.Str("status"));
                Assert.Equal((1, "PROCESSING"), (Actions(txAudit, "authorize"), cancelledFrom));
            }
            else
            {
                authorize.IsCollectError(422, "TRANSACTION_NOT_AUTHORIZABLE");
                Assert.Equal((0, "PENDING"), (Actions(txAudit, "authorize"), cancelledFrom));
            }
            Assert.Equal(["transaction.cancelled"], Types(await Audit.EventsAsync(server, tx)));
            Assert.Equal(["session.cancelled"], Types(await Audit.EventsAsync(server, session)));
        }
        Assert.Equal(authorizeFirst, await server.CountAsync(
            "SELECT COUNT(*) FROM crisscross_transactions WHERE account_id = @AccountId AND authorization_data IS NOT NULL", new { m.Tenant.AccountId }));
    }

    [Fact]
    public async Task Fifty_cancel_versus_mobile_money_completion_races_end_either_paid_or_cancelled_with_a_late_completion()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var races = new List<(string Session, string Tx)>();
        for (var i = 0; i < 50; i++)
        {
            var id = await m.SessionAsync();
            races.Add((id, await m.TransactionAsync(id, "mobile_money")));
        }

        var results = await Task.WhenAll(races.Select(async r =>
        {
            var cancel = Task.Run(() => m.CancelAsync(r.Session));
            var complete = Task.Run(() => m.ProviderAsync(r.Tx, "complete"));
            return (r.Session, r.Tx, Cancel: await cancel, Complete: await complete);
        }));

        foreach (var (session, tx, cancel, complete) in results)
        {
            Assert.Equal("COMPLETED", complete.Str("status")); // the provider cannot be stopped: it always completes
            var s = (await m.GetSessionAsync(session)).Json;
            var sessionEvents = Types(await Audit.EventsAsync(server, session));
            if (cancel.Code == 200)
            {
                Assert.Equal("PENDING_CANCELLATION", cancel.Str("status"));
                Assert.Equal([tx], CrissCrossMerchant.Ids(cancel.Json.GetProperty("pendingTransactionIds")));
                Assert.Equal("CANCELLED", s.GetProperty("status").GetString());
                Assert.Equal([tx], CrissCrossMerchant.Ids(s.GetProperty("lateCompletedTransactionIds")));
                Assert.True(complete.Json.GetProperty("lateCompletion").GetBoolean());
                Assert.Equal(["session.pending_cancellation", "session.cancelled"], sessionEvents);
            }
            else
            {
                cancel.IsCollectError(409, "SESSION_NOT_CANCELLABLE");
                Assert.Equal("COMPLETED", s.GetProperty("status").GetString());
                Assert.Empty(CrissCrossMerchant.Ids(s.GetProperty("lateCompletedTransactionIds")));
                Assert.False(complete.Json.GetProperty("lateCompletion").GetBoolean());
                Assert.Equal(["session.completed"], sessionEvents);
            }
            Assert.Equal(["transaction.completed"], Types(await Audit.EventsAsync(server, tx)));
        }
    }

    [Fact]
    public async Task One_hundred_cancel_versus_new_payment_races_either_refuse_the_payment_or_cancel_it_never_neither()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var sessions = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            sessions.Add(await m.SessionAsync());
        }

        var results = await Task.WhenAll(sessions.Select(async (id, i) =>
        {
            var provider = i % 4 == 0 ? "mobile_money" : "card";
            var pay = Task.Run(() => m.PayAsync(id, provider));
            var cancel = Task.Run(() => m.CancelAsync(id));
            return (Session: id, Provider: provider, Pay: await pay, Cancel: await cancel);
        }));

        var included = 0;
        foreach (var (session, provider, pay, cancel) in results)
        {
            Assert.Equal(200, cancel.Code);
            var cancelled = CrissCrossMerchant.Ids(cancel.Json.GetProperty("cancelledTransactionIds"));
            var pending = CrissCrossMerchant.Ids(cancel.Json.GetProperty("pendingTransactionIds"));
            if (pay.Code == 201)
            {
                included++;
                var tx = pay.Str("transactionId");
                if (provider == "card")
                {
                    Assert.Equal("CANCELLED", cancel.Str("status"));
                    Assert.Equal([tx], cancelled);
                    Assert.Equal("CANCELLED", await m.PaymentStatusAsync(tx));
                }
                else
                {
                    Assert.Equal("PENDING_CANCELLATION", cancel.Str("status"));
                    Assert.Equal([tx], pending);
                    Assert.Equal("PENDING", await m.PaymentStatusAsync(tx));
                }
            }
            else
            {
                pay.IsCollectError(409, "SESSION_LOCKED");
                Assert.Equal("CANCELLED", cancel.Str("status"));
                Assert.Empty(cancelled);
                Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM crisscross_transactions WHERE session_id = @session", new { session }));
            }
        }
        // No session ends cancelled (or pending cancellation) with a card payment still in flight.
        Assert.Equal(0, await server.CountAsync(
            """
            SELECT COUNT(*) FROM crisscross_transactions t JOIN crisscross_sessions s ON s.id = t.session_id
            WHERE s.account_id = @AccountId AND t.provider = 'card' AND t.status IN ('PENDING', 'PROCESSING')
            """, new { m.Tenant.AccountId }));
        Assert.Equal(included, await server.CountAsync(
            "SELECT COUNT(*) FROM crisscross_transactions WHERE account_id = @AccountId", new { m.Tenant.AccountId }));
    }

    [Fact]
    public async Task Thirty_parallel_cancels_without_a_key_make_one_cascade_one_audit_row_and_one_event_each()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "card");

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Task.Run(() => m.CancelAsync(id))));

        Assert.All(answers, a => Assert.Equal(200, a.Code));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, tx, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
        Assert.Equal(1, await Audit.EventCountAsync(server, tx, "transaction.cancelled"));
    }

    [Fact]
    public async Task Parallel_cancels_with_one_idempotency_key_apply_once_and_a_different_body_under_that_key_is_refused()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        await m.TransactionAsync(id, "mobile_money");
        var key = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => m.CancelAsync(id, "same", key))));
        var other = await m.CancelAsync(id, "different", key);

        var ok = answers.Where(a => a.Code == 200).ToList();
        Assert.NotEmpty(ok);
        Assert.All(answers.Where(a => a.Code != 200), a => a.IsCollectError(409, "IDEMPOTENCY_KEY_IN_USE"));
        Assert.Single(ok.Select(a => a.Body).Distinct());
        Assert.Equal("PENDING_CANCELLATION", ok[0].Str("status"));
        other.IsCollectError(422, "IDEMPOTENCY_CONFLICT");
        var cancelRow = Assert.Single(await Audit.RowsAsync(server, id), r => r.GetProperty("action").GetString() == "cancel");
        Assert.Equal(key, cancelRow.GetProperty("idempotency_key").GetString());
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.pending_cancellation"));
    }

    [Fact]
    public async Task Two_nodes_on_one_database_cancel_each_session_exactly_once()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var other = new CrissCrossMerchant(m.Tenant.On(server.StartAnotherNode()), m.Token);
        var ids = new List<(string Session, string Tx)>();
        for (var i = 0; i < 15; i++)
        {
            var id = await m.SessionAsync();
            ids.Add((id, await m.TransactionAsync(id, "card")));
        }

        var answers = await Task.WhenAll(ids.SelectMany(r => Enumerable.Range(0, 6).Select(n =>
            Task.Run(() => (n % 2 == 0 ? m : other).CancelAsync(r.Session)))));

        Assert.All(answers, a => Assert.Equal(200, a.Code));
        foreach (var (session, tx) in ids)
        {
            Assert.Equal(1, await Audit.ActionCountAsync(server, session, "cancel"));
            Assert.Equal(1, await Audit.EventCountAsync(server, tx, "transaction.cancelled"));
        }
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossRaceTests_Sqlite(SqliteServer server) : CrissCrossRaceTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossRaceTests_Postgres(PostgresServer server) : CrissCrossRaceTests(server), IClassFixture<PostgresServer>;
