using Rescind.Core.Lifecycles;
using Rescind.Server.GoCardless;

namespace Rescind.Core.Tests;

/// <summary>
/// GoCardless's mandate and payment lifecycles as pure rules: every (state, command) pair of each, and the mandate
/// cancel's cascade onto its payments. Expectations are written out from docs/gocardless.md.
/// </summary>
public sealed class GoCardlessMandateLifecycleTests
{
    private const string CancellationFailed = "cancellation_failed";
    private const string InvalidTransition = "invalid_state_transition";

    private static readonly string[] MandateStates =
        ["pending_customer_approval", "pending_submission", "submitted", "active", "failed", "cancelled", "expired", "consumed", "blocked", "suspended_by_payer"];

    private static readonly string[] PaymentStates =
        ["pending_customer_approval", "pending_submission", "submitted", "confirmed", "paid_out", "cancelled", "customer_approval_denied", "failed", "charged_back"];

    /// <summary>The only transitions; every other pair is refused (cancel with cancellation_failed, GoCardless's
    /// moves with invalid_state_transition).</summary>
    private static readonly Dictionary<(string, string), string> MandateMoves = new()
    {
        [("pending_customer_approval", "cancel")] = "cancelled",
        [("pending_submission", "cancel")] = "cancelled",
        [("submitted", "cancel")] = "cancelled",
        [("active", "cancel")] = "cancelled",
        [("suspended_by_payer", "cancel")] = "cancelled",
        [("pending_submission", "submit")] = "submitted",
        [("submitted", "activate")] = "active",
        [("pending_submission", "fail")] = "failed",
        [("submitted", "fail")] = "failed",
    };

    private static readonly Dictionary<(string, string), string> PaymentMoves = new()
    {
        [("pending_submission", "cancel")] = "cancelled",
        [("pending_submission", "submit")] = "submitted",
        [("submitted", "confirm")] = "confirmed",
    };

    public static TheoryData<string, string> MandatePairs() => Pairs(MandateStates, ["cancel", "submit", "activate", "fail"]);

    public static TheoryData<string, string> PaymentPairs() => Pairs(PaymentStates, ["cancel", "submit", "confirm"]);

    private static TheoryData<string, string> Pairs(string[] states, string[] commands)
    {
        var data = new TheoryData<string, string>();
        foreach (var s in states)
        {
            foreach (var c in commands)
            {
                data.Add(s, c);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(MandatePairs))]
    public void Every_mandate_state_and_command_pair_decides_as_documented(string state, string command) =>
        Check(GoCardlessRules.Mandates, MandateMoves, state, command);

    [Theory]
    [MemberData(nameof(PaymentPairs))]
    public void Every_payment_state_and_command_pair_decides_as_documented(string state, string command) =>
        Check(GoCardlessRules.Payments, PaymentMoves, state, command);

    private static void Check(Lifecycle lifecycle, Dictionary<(string, string), string> moves, string state, string command)
    {
        var decision = lifecycle.Decide(state, command);
        if (moves.TryGetValue((state, command), out var to))
        {
            var t = Assert.IsType<Decision.Transitioned>(decision);
            Assert.Equal(to, t.To);
            Assert.Equal(to, t.Event); // the event's action is the state it reaches
        }
        else
        {
            Assert.Equal(new Decision.Refused(state, command == "cancel" ? CancellationFailed : InvalidTransition), decision);
        }
    }

    [Fact]
    public void The_lifecycles_have_exactly_the_states_and_commands_tested()
    {
        Assert.Equal(MandateStates.Order(StringComparer.Ordinal), GoCardlessRules.Mandates.States.Order(StringComparer.Ordinal));
        Assert.Equal(PaymentStates.Order(StringComparer.Ordinal), GoCardlessRules.Payments.States.Order(StringComparer.Ordinal));
        Assert.Equal(["activate", "cancel", "fail", "submit"], GoCardlessRules.Mandates.Commands.Order(StringComparer.Ordinal));
        Assert.Equal(["cancel", "confirm", "submit"], GoCardlessRules.Payments.Commands.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_mandate_cancel_takes_its_pending_submission_payments_with_it()
    {
        Child[] payments = [new("PM1", "pending_submission", true), new("PM2", "cancelled", true)];

        var t = Assert.IsType<Decision.Transitioned>(GoCardlessRules.Mandates.DecideCascade("active", "cancel", GoCardlessRules.Payments, "cancel", payments));

        Assert.Equal("cancelled", t.To);
        Assert.Equal([new ChildChange("PM1", "pending_submission", "cancelled", "cancelled")], t.Cascade);
        Assert.True(GoCardlessRules.CancelledWithMandate("pending_submission"));
        Assert.All(PaymentStates.Where(s => s != "pending_submission"), s => Assert.False(GoCardlessRules.CancelledWithMandate(s)));
    }
}
