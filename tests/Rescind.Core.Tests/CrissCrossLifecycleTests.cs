using Rescind.Core.Lifecycles;
using Rescind.Server.CrissCross;

namespace Rescind.Core.Tests;

/// <summary>
/// CrissCross's lifecycles as pure rules: every (state, command) pair of the session, the transaction's flight and
/// its money; the cascade and the deferred end on real providers; expiry. Expectations follow spec/crisscross.md.
/// </summary>
public sealed class CrissCrossLifecycleTests
{
    private const string Go = "transitioned";
    private const string Done = "already-done";
    private const string Refused = "refused";
    private const string Conflict = "SESSION_STATE_CONFLICT";
    private const string NotInFlight = "TRANSACTION_NOT_IN_FLIGHT";

    private static readonly string[] SessionStates = ["OPEN", "PROCESSING", "COMPLETED", "EXPIRED", "PENDING_CANCELLATION", "CANCELLED"];
    private static readonly string[] SessionCommands = ["pay", "attempt_ended", "paid", "expire", "cancel"];
    private static readonly string[] TransactionStates = ["PENDING", "PROCESSING", "COMPLETED", "SETTLED", "FAILED", "ERRORED", "CANCELLED", "EXPIRED", "REFUNDED"];
    private static readonly string[] FlightCommands = ["process", "complete", "fail", "error", "expire", "cancel", "authorize"];

    public static TheoryData<string, string, string, string?, string?> Sessions => new()
    {
        { "OPEN", "pay", Go, "PROCESSING", null },
        { "OPEN", "attempt_ended", Refused, Conflict, null },
        { "OPEN", "paid", Refused, Conflict, null },
        { "OPEN", "expire", Go, "EXPIRED", "session.expired" },
        { "OPEN", "cancel", Go, "CANCELLED", "session.cancelled" },

        { "PROCESSING", "pay", Refused, "TRANSACTION_IN_PROGRESS", null },
        { "PROCESSING", "attempt_ended", Go, "OPEN", null },
        { "PROCESSING", "paid", Go, "COMPLETED", "session.completed" },
        { "PROCESSING", "expire", Refused, Conflict, null },
        { "PROCESSING", "cancel", Go, "CANCELLED", "session.cancelled" },

        { "COMPLETED", "pay", Refused, "SESSION_COMPLETED", null },
        { "COMPLETED", "attempt_ended", Refused, Conflict, null },
        { "COMPLETED", "paid", Refused, Conflict, null },
        { "COMPLETED", "expire", Refused, Conflict, null },
        { "COMPLETED", "cancel", Refused, "SESSION_NOT_CANCELLABLE", null },

        { "EXPIRED", "pay", Refused, "SESSION_EXPIRED", null },
        { "EXPIRED", "attempt_ended", Refused, Conflict, null },
        { "EXPIRED", "paid", Refused, Conflict, null },
        { "EXPIRED", "expire", Done, null, null },
        { "EXPIRED", "cancel", Refused, "SESSION_NOT_CANCELLABLE", null },

        { "PENDING_CANCELLATION", "pay", Refused, "SESSION_LOCKED", null },
        { "PENDING_CANCELLATION", "attempt_ended", Refused, Conflict, null },
        { "PENDING_CANCELLATION", "paid", Refused, Conflict, null },
        { "PENDING_CANCELLATION", "expire", Refused, Conflict, null },
        { "PENDING_CANCELLATION", "cancel", Done, null, null },

        { "CANCELLED", "pay", Refused, "SESSION_LOCKED", null },
        { "CANCELLED", "attempt_ended", Refused, Conflict, null },
        { "CANCELLED", "paid", Refused, Conflict, null },
        { "CANCELLED", "expire", Refused, Conflict, null },
        { "CANCELLED", "cancel", Done, null, null },
    };

    /// <summary>The flight: PENDING and PROCESSING take every outcome (process and authorize only from PENDING); an
    /// ended transaction repeats its own outcome as a no-op and refuses every other (authorize with
    /// TRANSACTION_NOT_AUTHORIZABLE); SETTLED and REFUNDED refuse all.</summary>
    public static TheoryData<string, string, string, string?, string?> Flight
    {
        get
        {
            var outcome = new Dictionary<string, (string To, string Event)>
            {
                ["complete"] = ("COMPLETED", "transaction.completed"),
                ["fail"] = ("FAILED", "transaction.failed"),
                ["error"] = ("ERRORED", "transaction.errored"),
                ["expire"] = ("EXPIRED", "transaction.expired"),
                ["cancel"] = ("CANCELLED", "transaction.cancelled"),
            };
            var data = new TheoryData<string, string, string, string?, string?>
            {
                { "PENDING", "process", Go, "PROCESSING", null },
                { "PROCESSING", "process", Done, null, null },
                { "PENDING", "authorize", Go, "PROCESSING", null },
                { "PROCESSING", "authorize", Done, null, null },
            };
            foreach (var (command, (to, @event)) in outcome)
            {
                data.Add("PENDING", command, Go, to, @event);
                data.Add("PROCESSING", command, Go, to, @event);
            }
            foreach (var ended in TransactionStates.Skip(2))
            {
                foreach (var command in FlightCommands)
                {
                    var own = outcome.TryGetValue(command, out var o) && o.To == ended;
                    data.Add(ended, command, own ? Done : Refused, own ? null : command == "authorize" ? "TRANSACTION_NOT_AUTHORIZABLE" : NotInFlight, null);
                }
            }
            return data;
        }
    }

    public static TheoryData<string, string, string, string?, string?> Money => new()
    {
        { "COMPLETED", "settle", Go, "SETTLED", "transaction.settled" },
        { "COMPLETED", "refund", Go, "REFUNDED", "transaction.refunded" },
        { "SETTLED", "settle", Done, null, null },
        { "SETTLED", "refund", Go, "REFUNDED", "transaction.refunded" },
        { "REFUNDED", "settle", Refused, "TRANSACTION_ALREADY_REFUNDED", null },
        { "REFUNDED", "refund", Refused, "TRANSACTION_ALREADY_REFUNDED", null },
    };

    [Theory]
    [MemberData(nameof(Sessions))]
    public void Every_session_state_and_command_pair_decides_as_the_spec_says(string state, string command, string outcome, string? toOrCode, string? @event) =>
        Check(CrissCrossRules.Sessions.Decide(state, command), state, outcome, toOrCode, @event);

    [Theory]
    [MemberData(nameof(Flight))]
    public void Every_transaction_state_and_flight_command_pair_decides_as_the_spec_says(string state, string command, string outcome, string? toOrCode, string? @event) =>
        Check(CrissCrossRules.DecideTransaction(state, command), state, outcome, toOrCode, @event);

    [Theory]
    [MemberData(nameof(Money))]
    public void Every_money_state_and_command_pair_decides_as_the_spec_says(string state, string command, string outcome, string? toOrCode, string? @event) =>
        Check(CrissCrossRules.DecideTransaction(state, command), state, outcome, toOrCode, @event);

    [Fact]
    public void The_tables_list_every_pair_exactly_once()
    {
        static List<(string, string)> Pairs(TheoryData<string, string, string, string?, string?> d) => d.Select(r => ((string)r[0], (string)r[1])).ToList();
        Assert.Equal(SessionStates.SelectMany(s => SessionCommands.Select(c => (s, c))).Order(), Pairs(Sessions).Order());
        Assert.Equal(TransactionStates.SelectMany(s => FlightCommands.Select(c => (s, c))).Order(), Pairs(Flight).Order());
        Assert.Equal(6, Pairs(Money).Distinct().Count());
    }

    [Theory]
    [InlineData("PENDING", "settle")]
    [InlineData("PROCESSING", "refund")]
    [InlineData("FAILED", "refund")]
    [InlineData("CANCELLED", "settle")]
    [InlineData("EXPIRED", "refund")]
    [InlineData("ERRORED", "settle")]
    public void Settling_or_refunding_a_transaction_that_never_completed_is_refused_with_TRANSACTION_NOT_COMPLETED(string state, string command)
    {
        Assert.Equal(new Decision.Refused(state, "TRANSACTION_NOT_COMPLETED"), CrissCrossRules.DecideTransaction(state, command));
    }

    [Fact]
    public void Only_the_flight_states_are_non_terminal()
    {
        Assert.Equal(["PENDING", "PROCESSING"], TransactionStates.Where(s => !CrissCrossRules.Transactions.IsTerminal(s)));
        Assert.Equal(["OPEN", "PROCESSING", "PENDING_CANCELLATION"], SessionStates.Where(s => !CrissCrossRules.Sessions.IsTerminal(s)));
    }

    [Fact]
    public void Card_stops_in_flight_and_mobile_money_cannot_and_times_out_after_120_seconds()
    {
        Assert.True(CrissCrossRules.CanStop("card"));
        Assert.False(CrissCrossRules.CanStop("mobile_money"));
        Assert.Equal(TimeSpan.FromSeconds(120), CrissCrossRules.FindProvider("mobile_money")!.PromptTimeout);
        Assert.Null(CrissCrossRules.FindProvider("card")!.PromptTimeout);
        Assert.False(CrissCrossRules.CanStop("carrier_pigeon"));
    }

    [Fact]
    public void Cancelling_with_a_card_payment_in_flight_cancels_it_in_the_same_decision()
    {
        var decision = Cascade("PROCESSING", ("t1", "FAILED", "card"), ("t2", "PENDING", "card"));

        var moved = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal(("PROCESSING", "CANCELLED", "session.cancelled"), (moved.From, moved.To, moved.Event));
        Assert.Equal([new ChildChange("t2", "PENDING", "CANCELLED", "transaction.cancelled")], moved.Cascade);
    }

    [Theory]
    [InlineData("PENDING")]
    [InlineData("PROCESSING")]
    public void Cancelling_with_mobile_money_in_flight_defers_to_PENDING_CANCELLATION_naming_it(string txState)
    {
        var decision = Cascade("PROCESSING", ("t1", "COMPLETED", "card"), ("t2", txState, "mobile_money"));

        var deferred = Assert.IsType<Decision.Deferred>(decision);
        Assert.Equal(("PROCESSING", "PENDING_CANCELLATION", "session.pending_cancellation"), (deferred.From, deferred.To, deferred.Event));
        Assert.Empty(deferred.Cascade);
        Assert.Equal(["t2"], deferred.Pending);
    }

    [Theory]
    [InlineData("COMPLETED")]
    [InlineData("FAILED")]
    [InlineData("EXPIRED")]
    [InlineData("ERRORED")]
    public void The_last_pending_transaction_ending_in_any_way_completes_the_cancellation(string ended)
    {
        var decision = CrissCrossRules.Sessions.DecideDeferred("PENDING_CANCELLATION", "cancel", CrissCrossRules.Transactions,
            [new Child("t1", "CANCELLED", true), new Child("t2", ended, false)]);

        var done = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal(("PENDING_CANCELLATION", "CANCELLED", "session.cancelled"), (done.From, done.To, done.Event));
    }

    [Fact]
    public void A_session_pending_cancellation_with_a_transaction_still_in_flight_keeps_waiting()
    {
        var decision = CrissCrossRules.Sessions.DecideDeferred("PENDING_CANCELLATION", "cancel", CrissCrossRules.Transactions,
            [new Child("t1", "FAILED", false), new Child("t2", "PROCESSING", false)]);

        Assert.Equal(["t2"], Assert.IsType<Decision.Deferred>(decision).Pending);
    }

    [Theory]
    [InlineData("OPEN", 1000, 999, false)]
    [InlineData("OPEN", 1000, 1000, true)]
    [InlineData("PROCESSING", 1000, 5000, false)]
    [InlineData("PENDING_CANCELLATION", 1000, 5000, false)]
    [InlineData("CANCELLED", 1000, 5000, false)]
    public void Only_an_open_session_at_or_past_its_expiry_has_expired(string state, long expiresAt, long now, bool expired)
    {
        Assert.Equal(expired, CrissCrossRules.HasExpired(state, expiresAt, now));
        Assert.Equal(expired ? "EXPIRED" : state, CrissCrossRules.PublicStatus(state, expiresAt, now));
    }

    [Theory]
    [InlineData("COMPLETED", "paid")]
    [InlineData("FAILED", "attempt_ended")]
    [InlineData("ERRORED", "attempt_ended")]
    [InlineData("EXPIRED", "attempt_ended")]
    [InlineData("CANCELLED", "attempt_ended")]
    public void A_transaction_ending_moves_its_session_with_the_matching_command(string ended, string command)
    {
        Assert.Equal(command, CrissCrossRules.SessionCommandFor(ended));
    }

    private static Decision Cascade(string state, params (string Id, string State, string Provider)[] txs) =>
        CrissCrossRules.Sessions.DecideCascade(state, "cancel", CrissCrossRules.Transactions, "cancel",
            txs.Select(t => new Child(t.Id, t.State, CrissCrossRules.CanStop(t.Provider))).ToList());

    private static void Check(Decision decision, string state, string outcome, string? toOrCode, string? @event)
    {
        switch (outcome)
        {
            case Go:
                var moved = Assert.IsType<Decision.Transitioned>(decision);
                Assert.Equal((state, toOrCode, @event), (moved.From, moved.To, moved.Event));
                Assert.Empty(moved.Cascade);
                break;
            case Done:
                Assert.Equal(new Decision.AlreadyDone(state), decision);
                break;
            case Refused:
                Assert.Equal(new Decision.Refused(state, toOrCode!), decision);
                break;
            default:
                Assert.Fail($"unknown outcome '{outcome}' in the table");
                break;
        }
    }
}
