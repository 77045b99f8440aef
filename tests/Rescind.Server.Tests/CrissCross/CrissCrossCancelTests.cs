using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>Every outcome of POST /v1/checkout/session/cancel, on each database.</summary>
public abstract class CrissCrossCancelTests(RescindServer server) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test, every invariant of the database holds (<c>rescind verify</c>).</summary>
    public Task DisposeAsync() => Audit.AssertVerifiedAsync(server);

    private static IReadOnlyList<string> Ids(Answer a, string name) => CrissCrossMerchant.Ids(a.Json.GetProperty(name));

    [Fact]
    public async Task Cancelling_an_open_session_returns_200_CANCELLED_with_empty_lists_and_writes_one_audit_row_and_one_event()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();

        var a = await m.CancelAsync(id);

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal(id, a.Str("sessionId"));
        Assert.Equal("CANCELLED", a.Str("status"));
        Assert.False(string.IsNullOrWhiteSpace(a.Str("message")));
        Assert.Empty(Ids(a, "cancelledTransactionIds"));
        Assert.Empty(Ids(a, "pendingTransactionIds"));
        Assert.Equal(5, a.Json.EnumerateObject().Count());
        Assert.Equal("CANCELLED", await m.SessionStatusAsync(id));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
        Assert.Equal(0, await Audit.EventCountAsync(server, id, "session.pending_cancellation"));
    }

    [Fact]
    public async Task Cancelling_with_a_card_payment_in_flight_cancels_the_payment_in_the_same_call()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "card");
        Assert.Equal("PROCESSING", await m.SessionStatusAsync(id));

        var a = await m.CancelAsync(id, "customer changed their mind");

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal("CANCELLED", a.Str("status"));
        Assert.Equal([tx], Ids(a, "cancelledTransactionIds"));
        Assert.Empty(Ids(a, "pendingTransactionIds"));
        var payment = await m.GetPaymentAsync(tx);
        Assert.Equal("CANCELLED", payment.Str("status"));
        Assert.Equal(id, payment.Str("sessionId"));
        var session = (await m.GetSessionAsync(id)).Json;
        Assert.Equal("customer changed their mind", session.GetProperty("cancellationReason").GetString());
        Assert.EndsWith("Z", session.GetProperty("cancelledAt").GetString(), StringComparison.Ordinal);

        var audit = await Audit.RowsAsync(server, tx);
        var cancelRow = Assert.Single(audit, r => r.GetProperty("action").GetString() == "cancel");
        Assert.Equal(("PENDING", "CANCELLED"), (cancelRow.GetProperty("from_state").GetString(), cancelRow.GetProperty("to_state").GetString()));
        Assert.Equal("customer changed their mind", cancelRow.GetProperty("reason").GetString());
        var txEvent = Assert.Single(await Audit.EventsAsync(server, tx), e => e.GetProperty("type").GetString() == "transaction.cancelled");
        Assert.Equal("CANCELLED", txEvent.GetProperty("payload").GetProperty("status").GetString());
        Assert.Equal(tx, txEvent.GetProperty("payload").GetProperty("transactionId").GetString());
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
    }

    [Fact]
    public async Task Cancelling_with_mobile_money_in_flight_returns_PENDING_CANCELLATION_naming_the_pending_transaction()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "mobile_money");

        var a = await m.CancelAsync(id);

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal("PENDING_CANCELLATION", a.Str("status"));
        Assert.Empty(Ids(a, "cancelledTransactionIds"));
        Assert.Equal([tx], Ids(a, "pendingTransactionIds"));
        Assert.Equal("PENDING", await m.PaymentStatusAsync(tx));
        var session = (await m.GetSessionAsync(id)).Json;
        Assert.Equal("PENDING_CANCELLATION", session.GetProperty("status").GetString());
        Assert.Equal([tx], CrissCrossMerchant.Ids(session.GetProperty("pendingTransactionIds")));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.pending_cancellation"));
        Assert.Equal(0, await Audit.EventCountAsync(server, id, "session.cancelled"));
        Assert.Equal(0, await Audit.ActionCountAsync(server, tx, "cancel"));
    }

    [Fact]
    public async Task A_new_payment_on_a_session_pending_cancellation_or_cancelled_is_409_SESSION_LOCKED()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var pending = await m.SessionAsync();
        var tx = await m.TransactionAsync(pending, "mobile_money");
        await m.CancelAsync(pending);
        var cancelled = await m.SessionAsync();
        await m.CancelAsync(cancelled);

        (await m.PayAsync(pending, "card")).IsCollectError(409, "SESSION_LOCKED");
        (await m.PayAsync(cancelled, "card")).IsCollectError(409, "SESSION_LOCKED");
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM crisscross_transactions WHERE session_id IN (@pending, @cancelled)", new { pending, cancelled }));
        Assert.Equal("PENDING", await m.PaymentStatusAsync(tx));
    }

    [Fact]
    public async Task The_last_pending_transaction_failing_makes_the_session_CANCELLED_in_the_same_transaction()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "mobile_money");
        await m.CancelAsync(id);

        var failed = await m.ProviderAsync(tx, "fail");

        Assert.True(failed.Code == 200, failed.Body);
        Assert.Equal("FAILED", failed.Str("status"));
        Assert.Equal("CANCELLED", await m.SessionStatusAsync(id));
        var rows = await Audit.RowsAsync(server, id);
        var done = Assert.Single(rows, r => r.GetProperty("action").GetString() == "cancel_completed");
        var fail = Assert.Single(await Audit.RowsAsync(server, tx), r => r.GetProperty("action").GetString() == "fail");
        Assert.Equal(fail.GetProperty("request_id").GetString(), done.GetProperty("request_id").GetString());
        Assert.Equal(fail.GetProperty("at").GetString(), done.GetProperty("at").GetString()); // one transaction's "now"
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
        Assert.Equal(1, await Audit.EventCountAsync(server, tx, "transaction.failed"));

        var repeat = await m.CancelAsync(id);
        Assert.Equal("CANCELLED", repeat.Str("status"));
        Assert.Empty(Ids(repeat, "pendingTransactionIds"));
        Assert.Empty(Ids(repeat, "cancelledTransactionIds"));
    }

    [Fact]
    public async Task A_pending_transaction_that_completes_late_is_kept_listed_for_refund_and_the_session_still_ends_CANCELLED()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync(amount: 2500);
        var tx = await m.TransactionAsync(id, "mobile_money");
        await m.CancelAsync(id, "duplicate order");

        var completed = await m.ProviderAsync(tx, "complete");

        Assert.Equal("COMPLETED", completed.Str("status"));
        Assert.True(completed.Json.GetProperty("lateCompletion").GetBoolean());
        var session = (await m.GetSessionAsync(id)).Json;
        Assert.Equal("CANCELLED", session.GetProperty("status").GetString());
        Assert.Equal([tx], CrissCrossMerchant.Ids(session.GetProperty("lateCompletedTransactionIds")));
        Assert.Equal(2500, session.GetProperty("paidAmount").GetInt64());
        Assert.Equal(0, await Audit.EventCountAsync(server, id, "session.completed"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));

        var refund = await m.RefundAsync(tx);
        Assert.True(refund.Code == 201, refund.Body);
        Assert.Equal(2500, refund.Json.GetProperty("amount").GetInt64());
        Assert.Equal("REFUNDED", refund.Str("status"));
        Assert.Equal(2500, (await m.GetSessionAsync(id)).Json.GetProperty("refundedAmount").GetInt64());
    }

    [Fact]
    public async Task Terminal_transactions_are_left_untouched_and_only_the_in_flight_one_is_cancelled()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var failed = await m.TransactionAsync(id, "card");
        Assert.Equal("FAILED", (await m.ProviderAsync(failed, "fail")).Str("status"));
        Assert.Equal("OPEN", await m.SessionStatusAsync(id)); // the payer may try again
        var errored = await m.TransactionAsync(id, "bank_transfer");
        Assert.Equal("ERRORED", (await m.ProviderAsync(errored, "error")).Str("status"));
        var live = await m.TransactionAsync(id, "card");

        var a = await m.CancelAsync(id);

        Assert.Equal([live], Ids(a, "cancelledTransactionIds"));
        Assert.Equal("FAILED", await m.PaymentStatusAsync(failed));
        Assert.Equal("ERRORED", await m.PaymentStatusAsync(errored));
        Assert.Equal("CANCELLED", await m.PaymentStatusAsync(live));
        Assert.Equal(0, await Audit.ActionCountAsync(server, failed, "cancel"));
    }

    [Fact]
    public async Task Cancelling_a_cancelled_session_again_returns_200_with_a_byte_for_byte_identical_body_and_writes_once()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        await m.TransactionAsync(id, "card");

        var first = await m.CancelAsync(id, "first");
        var second = await m.CancelAsync(id, "second");
        var third = await m.CancelAsync(id);

        Assert.Equal(200, second.Code);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.Body, third.Body);
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
        Assert.Equal("first", (await m.GetSessionAsync(id)).Json.GetProperty("cancellationReason").GetString()); // the first reason stands
    }

    [Fact]
    public async Task Cancelling_a_session_pending_cancellation_again_returns_200_with_the_current_lists_and_writes_nothing()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "mobile_money");
        var first = await m.CancelAsync(id);

        var again = await m.CancelAsync(id);

        Assert.Equal(200, again.Code);
        Assert.Equal("PENDING_CANCELLATION", again.Str("status"));
        Assert.Equal([tx], Ids(again, "pendingTransactionIds"));
        Assert.Equal(first.Body, again.Body);
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.pending_cancellation"));
    }

    [Fact]
    public async Task Cancelling_a_completed_session_returns_409_SESSION_NOT_CANCELLABLE_naming_its_status()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var tx = await m.TransactionAsync(id, "card");
        Assert.Equal("COMPLETED", (await m.ProviderAsync(tx, "complete")).Str("status"));
        Assert.Equal("COMPLETED", await m.SessionStatusAsync(id));

        var a = await m.CancelAsync(id);

        a.IsCollectError(409, "SESSION_NOT_CANCELLABLE");
        Assert.Contains("COMPLETED", a.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("COMPLETED", await m.PaymentStatusAsync(tx));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
    }

    [Fact]
    public async Task Cancelling_a_session_past_its_expiry_returns_409_SESSION_NOT_CANCELLABLE_and_records_the_expiry()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync(expiresInSeconds: 60);
        server.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("EXPIRED", await m.SessionStatusAsync(id)); // shown before any job writes it

        var a = await m.CancelAsync(id);

        a.IsCollectError(409, "SESSION_NOT_CANCELLABLE");
        Assert.Contains("EXPIRED", a.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "expire"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.expired"));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
    }

    [Fact]
    public async Task An_unknown_session_and_another_merchants_session_are_both_404_SESSION_NOT_FOUND()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var other = await CrissCrossMerchant.CreateAsync(server, "Other");
        var theirs = await other.SessionAsync();
        var theirTx = await other.TransactionAsync(theirs, "card");

        (await m.CancelAsync(Guid.CreateVersion7().ToString())).IsCollectError(404, "SESSION_NOT_FOUND");
        (await m.CancelAsync(theirs)).IsCollectError(404, "SESSION_NOT_FOUND");
        (await m.GetSessionAsync(theirs)).IsCollectError(404, "SESSION_NOT_FOUND");
        (await m.GetPaymentAsync(theirTx)).IsCollectError(404, "TRANSACTION_NOT_FOUND");
        (await m.PayAsync(theirs)).IsCollectError(404, "SESSION_NOT_FOUND");
        (await m.RefundAsync(theirTx)).IsCollectError(404, "TRANSACTION_NOT_FOUND");
        Assert.Equal("PROCESSING", await other.SessionStatusAsync(theirs));
        Assert.Equal(0, await Audit.ActionCountAsync(server, theirs, "cancel"));
    }

    [Theory]
    [InlineData("{}", "sessionId is required.")]
    [InlineData("{\"sessionId\":\"not-a-uuid\"}", "sessionId is not valid; expected a UUID.")]
    [InlineData("{\"sessionId\":\"0190a8f0-0000-7000-8000-000000000000\",\"why\":\"x\"}", "why is not a recognised field.")]
    [InlineData("{\"sessionId\":\"0190a8f0-0000-7000-8000-000000000000\",\"reason\":42}", "reason must be a string.")]
    [InlineData("[1]", "The request body must be a JSON object.")]
    [InlineData("{\"sessionId\":\"0190a8f0-0000-7000-8000-000000000000\",\"reason\":\"x\\u0000\"}", "reason must not contain NUL characters (\\u0000).")]
    public async Task A_malformed_cancel_is_400_INVALID_REQUEST_saying_what_is_wrong(string body, string message)
    {
        var m = await CrissCrossMerchant.CreateAsync(server);

        var a = await m.SendAsync(HttpMethod.Post, "/v1/checkout/session/cancel", body);

        a.IsCollectError(400, "INVALID_REQUEST");
        Assert.Equal(message, a.Json.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Cancel_without_a_valid_bearer_token_is_401_UNAUTHORIZED()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();

        (await m.SendAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = id }, bearer: "cct_forged")).IsCollectError(401, "UNAUTHORIZED");
        (await m.Tenant.SendAsync(HttpMethod.Post, "/v1/checkout/session/cancel", JsonSerializer.Serialize(new { sessionId = id }), [])).IsCollectError(401, "UNAUTHORIZED");
        (await m.SendAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = id }, bearer: m.Tenant.Credential("crisscross", "live").Secret))
            .IsCollectError(401, "UNAUTHORIZED"); // the client secret is not a bearer token
        Assert.Equal("OPEN", await m.SessionStatusAsync(id));
    }

    [Fact]
    public async Task The_cancellations_report_groups_cancelled_sessions_by_reason()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var from = Rescind.Core.Time.Iso(server.Clock.GetUtcNow());
        foreach (var reason in new[] { "fraud", "fraud", "duplicate" })
        {
            await m.CancelAsync(await m.SessionAsync(), reason);
        }
        await m.CancelAsync(await m.SessionAsync());
        var pending = await m.SessionAsync();
        await m.TransactionAsync(pending, "mobile_money");
        await m.CancelAsync(pending, "fraud");
        await m.SessionAsync(); // not cancelled

        var a = await m.SendAsync(HttpMethod.Get, "/v1/reports/cancellations?from=" + from);

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal(5, a.Json.GetProperty("totalSessions").GetInt64());
        var reasons = a.Json.GetProperty("reasons").EnumerateArray().ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Equal("fraud", reasons[0].GetProperty("reason").GetString());
        Assert.Equal(3, reasons[0].GetProperty("sessions").GetInt64());
        Assert.Equal(2, reasons[0].GetProperty("cancelled").GetInt64());
        Assert.Equal(1, reasons[0].GetProperty("pendingCancellation").GetInt64());
        Assert.Contains(reasons, r => r.GetProperty("reason").ValueKind == JsonValueKind.Null && r.GetProperty("sessions").GetInt64() == 1);
        Assert.Contains(reasons, r => r.GetProperty("reason").GetString() == "duplicate" && r.GetProperty("sessions").GetInt64() == 1);

        var later = await m.SendAsync(HttpMethod.Get, "/v1/reports/cancellations?from=" + Rescind.Core.Time.Iso(server.Clock.GetUtcNow().AddMinutes(1)));
        Assert.Equal(0, later.Json.GetProperty("totalSessions").GetInt64());
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossCancelTests_Sqlite(SqliteServer server) : CrissCrossCancelTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossCancelTests_Postgres(PostgresServer server) : CrissCrossCancelTests(server), IClassFixture<PostgresServer>;
