using Rescind.Core.Lifecycles;
using Rescind.Server.GoCardless;

namespace Rescind.Core.Tests;

/// <summary>
/// GoCardless's billing request lifecycle as pure rules: every (state, command) pair, the cancel cascade over flows,
/// action completion and the id formats. Expectations are written out from spec/gocardless.md and docs/gocardless.md.
/// </summary>
public sealed class GoCardlessLifecycleTests
{
    private const string Go = "transitioned";
    private const string Done = "already-done";
    private const string Refused = "refused";

    private const string CancellationFailed = "cancellation_failed";
    private const string NotPending = "billing_request_not_pending";
    private const string NotReady = "billing_request_not_ready_to_fulfil";

    private static readonly string[] AllStates = ["pending", "ready_to_fulfil", "fulfilling", "fulfilled", "cancelled"];
    private static readonly string[] AllCommands = ["cancel", "act", "ready", "start_fulfilling", "fulfil", "notify", "fallback"];

    public static TheoryData<string, string, string, string?, string?> Table => new()
    {
        { "pending", "cancel", Go, "cancelled", "cancelled" },
        { "ready_to_fulfil", "cancel", Go, "cancelled", "cancelled" },
        { "fulfilling", "cancel", Refused, CancellationFailed, null },
        { "fulfilled", "cancel", Refused, CancellationFailed, null },
        { "cancelled", "cancel", Refused, CancellationFailed, null },

        { "pending", "act", Go, "pending", null },
        { "ready_to_fulfil", "act", Go, "ready_to_fulfil", null },
        { "fulfilling", "act", Refused, NotPending, null },
        { "fulfilled", "act", Refused, NotPending, null },
        { "cancelled", "act", Refused, NotPending, null },

        { "pending", "ready", Go, "ready_to_fulfil", null },
        { "ready_to_fulfil", "ready", Go, "ready_to_fulfil", null },
        { "fulfilling", "ready", Refused, NotPending, null },
        { "fulfilled", "ready", Refused, NotPending, null },
        { "cancelled", "ready", Refused, NotPending, null },

        { "pending", "start_fulfilling", Refused, NotReady, null },
        { "ready_to_fulfil", "start_fulfilling", Go, "fulfilling", null },
        { "fulfilling", "start_fulfilling", Done, null, null },
        { "fulfilled", "start_fulfilling", Refused, NotPending, null },
        { "cancelled", "start_fulfilling", Refused, NotPending, null },

        { "pending", "fulfil", Refused, NotReady, null },
        { "ready_to_fulfil", "fulfil", Go, "fulfilled", "fulfilled" },
        { "fulfilling", "fulfil", Go, "fulfilled", "fulfilled" },
        { "fulfilled", "fulfil", Refused, NotReady, null },
        { "cancelled", "fulfil", Refused, NotReady, null },

        { "pending", "notify", Go, "pending", null },
        { "ready_to_fulfil", "notify", Refused, NotPending, null },
        { "fulfilling", "notify", Refused, NotPending, null },
        { "fulfilled", "notify", Refused, NotPending, null },
        { "cancelled", "notify", Refused, NotPending, null },

        { "pending", "fallback", Go, "pending", null },
        { "ready_to_fulfil", "fallback", Go, "ready_to_fulfil", null },
        { "fulfilling", "fallback", Refused, NotPending, null },
        { "fulfilled", "fallback", Refused, NotPending, null },
        { "cancelled", "fallback", Refused, NotPending, null },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_state_and_command_pair_decides_as_documented(string state, string command, string outcome, string? toOrCode, string? @event)
    {
        var decision = GoCardlessRules.Requests.Decide(state, command);

        switch (outcome)
        {
            case Go:
                var moved = Assert.IsType<Decision.Transitioned>(decision);
                Assert.Equal(toOrCode, moved.To);
                Assert.Equal(@event, moved.Event);
                break;
            case Done:
                Assert.Equal(new Decision.AlreadyDone(state), decision);
                break;
            default:
                Assert.Equal(new Decision.Refused(state, toOrCode!), decision);
                break;
        }
    }

    [Fact]
    public void The_table_lists_every_state_and_command_pair_exactly_once()
    {
        var listed = Table.Select(row => ((string)row[0], (string)row[1])).ToList();
        Assert.Equal(AllStates.Length * AllCommands.Length, listed.Distinct().Count());
        Assert.Equal(AllStates.SelectMany(s => AllCommands.Select(c => (s, c))).Order(), listed.Order());
        Assert.Equal(AllStates.Order(StringComparer.Ordinal), GoCardlessRules.Requests.States.Order(StringComparer.Ordinal));
        Assert.Equal(AllCommands.Order(StringComparer.Ordinal), GoCardlessRules.Requests.Commands.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cancel_cascades_to_every_active_flow_and_leaves_expired_ones_alone()
    {
        Child[] flows = [new("BRF1", "active", true), new("BRF2", "expired", true), new("BRF3", "active", true)];

        var decision = GoCardlessRules.Requests.DecideCascade("pending", "cancel", GoCardlessRules.Flows, "expire", flows);

        var t = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal("cancelled", t.To);
        Assert.Equal([new ChildChange("BRF1", "active", "expired", null), new ChildChange("BRF3", "active", "expired", null)], t.Cascade);
    }

    [Theory]
    [InlineData("fulfilling")]
    [InlineData("fulfilled")]
    [InlineData("cancelled")]
    public void A_refused_cancel_touches_no_flow(string state)
    {
        var decision = GoCardlessRules.Requests.DecideCascade(state, "cancel", GoCardlessRules.Flows, "expire", [new("BRF1", "active", true)]);
        Assert.Equal(new Decision.Refused(state, CancellationFailed), decision);
    }

    [Theory]
    [InlineData("active", 1000, 999, "active")]
    [InlineData("active", 1000, 1000, "expired")]
    [InlineData("expired", 5000, 1000, "expired")]
    public void A_flow_is_expired_from_its_expires_at_on(string stored, long expiresAt, long now, string seen)
    {
        Assert.Equal(seen, GoCardlessRules.FlowState(stored, expiresAt, now));
    }

    [Fact]
    public void Actions_complete_in_order_and_the_last_required_one_makes_the_request_ready()
    {
        var actions = GoCardlessRules.InitialActions(mandate: true, payment: false);
        Assert.Equal(["collect_customer_details", "collect_bank_account", "confirm_payer_details"], actions.Select(a => a.Type).ToArray());

        Assert.Equal(GoCardlessRules.ActionProblem.RequirementsNotMet, GoCardlessRules.Complete(actions, "confirm_payer_details").Problem);
        Assert.Equal(GoCardlessRules.ActionProblem.NotRequired, GoCardlessRules.Complete(actions, "bank_authorisation").Problem);
        var (a1, c1, _) = GoCardlessRules.Complete(actions, "collect_customer_details");
        var (a2, c2, _) = GoCardlessRules.Complete(a1, "collect_bank_account");
        var (a3, c3, p3) = GoCardlessRules.Complete(a2, "confirm_payer_details");

        Assert.Equal(["act", "act", "ready"], new[] { c1, c2, c3 });
        Assert.Equal(GoCardlessRules.ActionProblem.None, p3);
        Assert.All(a3, a => Assert.True(a.Completed));
        Assert.All(actions, a => Assert.False(a.Completed)); // pure: the input is untouched
    }

    [Fact]
    public void A_payment_only_request_needs_customer_details_then_bank_authorisation()
    {
        var actions = GoCardlessRules.InitialActions(mandate: false, payment: true);
        Assert.Equal(["collect_customer_details", "bank_authorisation"], actions.Select(a => a.Type).ToArray());
        Assert.Equal(["collect_customer_details"], actions[1].RequiresActions);
    }

    [Fact]
    public void Ids_have_the_vendor_prefix_and_12_base32_characters_and_event_ids_round_trip()
    {
        var id = GoCardlessRules.NewId("BRQ");
        Assert.Matches("^BRQ00[0-9A-HJKMNP-TV-Z]{10}$", id);
        Assert.True(GoCardlessRules.LooksLike(id, "BRQ"));
        Assert.False(GoCardlessRules.LooksLike(id, "BRF"));
        Assert.False(GoCardlessRules.LooksLike("BRQ00ILOU000000", "BRQ"));
        foreach (var n in new long[] { 1, 31, 32, 123_456_789, long.MaxValue >> 4 })
        {
            Assert.Equal(n, GoCardlessRules.OutboxId(GoCardlessRules.EventId(n)));
        }
        Assert.True(string.CompareOrdinal(GoCardlessRules.EventId(9), GoCardlessRules.EventId(10)) < 0);
        Assert.Null(GoCardlessRules.OutboxId("EV123"));
    }
}
