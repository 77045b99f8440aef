using Rescind.Core.Lifecycles;

namespace Rescind.Core.Tests;

/// <summary>
/// The generic lifecycle engine on a made-up checkout session whose cancel cascades to its payments: table
/// validation, the default refusal, and every shape a cascade decision can take.
/// </summary>
public sealed class LifecycleTableTests
{
    private const string Open = "OPEN";
    private const string Processing = "PROCESSING";
    private const string PendingCancellation = "PENDING_CANCELLATION";
    private const string Cancelled = "CANCELLED";
    private const string Completed = "COMPLETED";

    private const string Pending = "PENDING";

    private const string Cancel = "cancel";
    private const string Complete = "complete";

    private const string SessionCancelled = "session.cancelled";
    private const string SessionPendingCancellation = "session.pending_cancellation";
    private const string PaymentCancelled = "payment.cancelled";

    private static readonly Lifecycle Sessions = new(
        name: "test.session",
        states: [Open, Processing, PendingCancellation, Cancelled, Completed],
        terminal: [Cancelled, Completed],
        commands: [Cancel, Complete],
        projection: new Dictionary<string, string> { [Processing] = Open },
        refusedByDefault: "SESSION_NOT_OPEN",
        table:
        [
            (Open, Cancel, Rule.Go(Cancelled, SessionCancelled, deferTo: PendingCancellation, deferEvent: SessionPendingCancellation)),
            (Processing, Cancel, Rule.Go(Cancelled, SessionCancelled)),
            (PendingCancellation, Cancel, Rule.Done),
            (Cancelled, Cancel, Rule.Done),
            (Completed, Cancel, Rule.Refuse("SESSION_COMPLETED")),
            (Open, Complete, Rule.Go(Completed, "session.completed")),
            (Processing, Complete, Rule.Go(Completed, "session.completed")),
            (Completed, Complete, Rule.Done),
        ]);

    private static readonly Lifecycle Payments = new(
        name: "test.payment",
        states: [Pending, Processing, Completed, Cancelled],
        terminal: [Completed, Cancelled],
        commands: [Cancel],
        refusedByDefault: "PAYMENT_NOT_PENDING",
        table:
        [
            (Pending, Cancel, Rule.Go(Cancelled, PaymentCancelled)),
            (Processing, Cancel, Rule.Refuse("PAYMENT_PROCESSING")),
            (Cancelled, Cancel, Rule.Done),
        ]);

    private static Lifecycle Build(
        IReadOnlyList<(string State, string Command, Rule Rule)> table,
        IReadOnlyList<string>? terminal = null,
        IReadOnlyDictionary<string, string>? projection = null) =>
        new(
            name: "test.tiny",
            states: ["A", "B", "END"],
            terminal: terminal ?? ["END"],
            commands: ["go", "stop"],
            table: table,
            refusedByDefault: "NOPE",
            projection: projection);

    [Fact]
    public void A_well_formed_table_builds_and_exposes_its_shape()
    {
        Assert.Equal("test.session", Sessions.Name);
        Assert.Equal([Open, Processing, PendingCancellation, Cancelled, Completed], Sessions.States);
        Assert.Equal([Cancel, Complete], Sessions.Commands);
        Assert.Equal("SESSION_NOT_OPEN", Sessions.RefusedByDefault);
        Assert.True(Sessions.IsTerminal(Cancelled));
        Assert.True(Sessions.IsTerminal(Completed));
        Assert.False(Sessions.IsTerminal(Open));
        Assert.False(Sessions.IsTerminal(PendingCancellation));
    }

    [Fact]
    public void A_rule_on_an_unknown_state_is_rejected_at_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => Build([("Z", "go", Rule.Go("B"))]));
        Assert.Contains("test.tiny", e.Message, StringComparison.Ordinal);
        Assert.Contains("'Z'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_on_an_unknown_command_is_rejected_at_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => Build([("A", "jump", Rule.Go("B"))]));
        Assert.Contains("'jump'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transition_to_an_unknown_state_is_rejected_at_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => Build([("A", "go", Rule.Go("NOWHERE"))]));
        Assert.Contains("'NOWHERE'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transition_without_a_target_is_rejected_at_construction()
    {
        Assert.Throws<ArgumentException>(() => Build([("A", "go", new Rule(Verdict.Go))]));
    }

    [Fact]
    public void A_defer_to_an_unknown_state_is_rejected_at_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => Build([("A", "go", Rule.Go("B", deferTo: "LIMBO"))]));
        Assert.Contains("'LIMBO'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transition_out_of_a_terminal_state_is_rejected_at_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => Build([("END", "go", Rule.Go("A"))]));
        Assert.Contains("END is terminal", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_terminal_state_may_be_idempotent_or_refuse()
    {
        var tiny = Build([("END", "go", Rule.Done), ("END", "stop", Rule.Refuse("ENDED"))]);

        Assert.Equal(new Decision.AlreadyDone("END"), tiny.Decide("END", "go"));
        Assert.Equal(new Decision.Refused("END", "ENDED"), tiny.Decide("END", "stop"));
    }

    [Fact]
    public void A_pair_listed_twice_is_rejected_at_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => Build([("A", "go", Rule.Go("B")), ("A", "go", Rule.Done)]));
        Assert.Contains("listed twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_projection_from_an_unknown_state_is_rejected_at_construction()
    {
        Assert.Throws<ArgumentException>(() => Build([], projection: new Dictionary<string, string> { ["GHOST"] = "A" }));
    }

    [Fact]
    public void A_projection_to_an_unknown_state_is_rejected_at_construction()
    {
        Assert.Throws<ArgumentException>(() => Build([], projection: new Dictionary<string, string> { ["B"] = "GHOST" }));
    }

    [Fact]
    public void Asking_for_the_rule_of_an_unknown_state_throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Sessions.RuleFor("ARCHIVED", Cancel));
        Assert.Equal("state", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sessions.Decide("ARCHIVED", Cancel));
    }

    [Fact]
    public void Asking_for_the_rule_of_an_unknown_command_throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Sessions.RuleFor(Open, "refund"));
        Assert.Equal("command", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sessions.Decide(Open, "refund"));
    }

    [Fact]
    public void An_unlisted_pair_is_refused_with_the_default_code()
    {
        Assert.Equal(Rule.Refuse("SESSION_NOT_OPEN"), Sessions.RuleFor(Cancelled, Complete));
        Assert.Equal(new Decision.Refused(Cancelled, "SESSION_NOT_OPEN"), Sessions.Decide(Cancelled, Complete));
        Assert.Equal(new Decision.Refused(PendingCancellation, "SESSION_NOT_OPEN"), Sessions.Decide(PendingCancellation, Complete));
    }

    [Fact]
    public void A_refusal_rule_without_a_code_is_refused_with_the_default_code()
    {
        var tiny = Build([("A", "stop", new Rule(Verdict.Refuse))]);

        Assert.Equal(new Decision.Refused("A", "NOPE"), tiny.Decide("A", "stop"));
    }

    [Fact]
    public void A_listed_transition_decides_as_transitioned_without_a_cascade()
    {
        var decision = Sessions.Decide(Open, Complete);

        var moved = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal((Open, Completed, "session.completed"), (moved.From, moved.To, moved.Event));
        Assert.Empty(moved.Cascade);
    }

    [Fact]
    public void A_listed_refusal_decides_as_refused_with_its_own_code()
    {
        Assert.Equal(new Decision.Refused(Completed, "SESSION_COMPLETED"), Sessions.Decide(Completed, Cancel));
    }

    [Theory]
    [InlineData(Processing, Open)]
    [InlineData(Open, Open)]
    [InlineData(PendingCancellation, PendingCancellation)]
    [InlineData(Cancelled, Cancelled)]
    [InlineData(Completed, Completed)]
    public void Projection_maps_listed_states_and_leaves_the_others_as_they_are(string state, string shown)
    {
        Assert.Equal(shown, Sessions.Project(state));
    }

    [Fact]
    public void A_cascade_over_stoppable_children_stops_every_live_child_and_leaves_ended_ones_alone()
    {
        Child[] children =
        [
            new("pay_1", Pending, CanStop: true),
            new("pay_2", Completed, CanStop: false),
            new("pay_3", Pending, CanStop: true),
            new("pay_4", Cancelled, CanStop: true),
        ];

        var decision = Sessions.DecideCascade(Open, Cancel, Payments, Cancel, children);

        var moved = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal((Open, Cancelled, SessionCancelled), (moved.From, moved.To, moved.Event));
        Assert.Equal(
            [new ChildChange("pay_1", Pending, Cancelled, PaymentCancelled), new ChildChange("pay_3", Pending, Cancelled, PaymentCancelled)],
            moved.Cascade);
    }

    [Fact]
    public void A_cascade_that_meets_unstoppable_children_defers_the_parent_and_names_exactly_those_children()
    {
        Child[] children =
        [
            new("pay_1", Pending, CanStop: true),
            new("pay_2", Processing, CanStop: true),
            new("pay_3", Pending, CanStop: false),
            new("pay_4", Completed, CanStop: false),
            new("pay_5", Pending, CanStop: true),
            new("pay_6", Cancelled, CanStop: false),
        ];

        var decision = Sessions.DecideCascade(Open, Cancel, Payments, Cancel, children);

        var deferred = Assert.IsType<Decision.Deferred>(decision);
        Assert.Equal(Open, deferred.From);
        Assert.Equal(PendingCancellation, deferred.To);
        Assert.Equal(SessionPendingCancellation, deferred.Event); // the final event waits for the last child
        Assert.Equal(
            [new ChildChange("pay_1", Pending, Cancelled, PaymentCancelled), new ChildChange("pay_5", Pending, Cancelled, PaymentCancelled)],
            deferred.Cascade);
        Assert.Equal(["pay_2", "pay_3"], deferred.Pending);
    }

    [Fact]
    public void A_cascade_that_meets_unstoppable_children_without_a_defer_state_is_refused_with_the_default_code()
    {
        Child[] children =
        [
            new("pay_1", Pending, CanStop: true),
            new("pay_2", Pending, CanStop: false),
        ];

        var decision = Sessions.DecideCascade(Processing, Cancel, Payments, Cancel, children);

        Assert.Equal(new Decision.Refused(Processing, "SESSION_NOT_OPEN"), decision);
    }

    [Theory]
    [InlineData(Cancelled, Cancel)]
    [InlineData(PendingCancellation, Cancel)]
    [InlineData(Completed, Cancel)]
    [InlineData(Cancelled, Complete)]
    [InlineData(PendingCancellation, Complete)]
    public void A_cascade_on_a_parent_rule_that_does_not_go_decides_as_without_children(string state, string command)
    {
        Child[] children = [new("pay_1", Pending, CanStop: true), new("pay_2", Processing, CanStop: false)];

        var decision = Sessions.DecideCascade(state, command, Payments, Cancel, children);

        Assert.IsNotType<Decision.Transitioned>(decision);
        Assert.Equal(Sessions.Decide(state, command), decision);
    }

    [Fact]
    public void A_cascade_on_an_already_cancelled_parent_is_already_done()
    {
        var decision = Sessions.DecideCascade(Cancelled, Cancel, Payments, Cancel, [new("pay_1", Pending, CanStop: true)]);

        Assert.Equal(new Decision.AlreadyDone(Cancelled), decision);
    }

    [Fact]
    public void A_cascade_on_a_completed_parent_is_refused_with_its_code()
    {
        var decision = Sessions.DecideCascade(Completed, Cancel, Payments, Cancel, [new("pay_1", Pending, CanStop: true)]);

        Assert.Equal(new Decision.Refused(Completed, "SESSION_COMPLETED"), decision);
    }

    [Theory]
    [InlineData(Open)]
    [InlineData(Processing)]
    public void A_cascade_with_no_children_transitions_with_an_empty_cascade(string state)
    {
        var decision = Sessions.DecideCascade(state, Cancel, Payments, Cancel, []);

        var moved = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal((state, Cancelled, SessionCancelled), (moved.From, moved.To, moved.Event));
        Assert.Empty(moved.Cascade);
    }

    [Fact]
    public void A_cascade_with_only_ended_children_transitions_with_an_empty_cascade()
    {
        Child[] children = [new("pay_1", Completed, CanStop: false), new("pay_2", Cancelled, CanStop: false)];

        var decision = Sessions.DecideCascade(Processing, Cancel, Payments, Cancel, children);

        var moved = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal((Processing, Cancelled), (moved.From, moved.To));
        Assert.Empty(moved.Cascade);
    }

    [Fact]
    public void A_cascade_over_a_child_in_a_state_unknown_to_its_lifecycle_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => Sessions.DecideCascade(Open, Cancel, Payments, Cancel, [new("pay_1", "LOST", CanStop: true)]));
    }
}

/// <summary>
/// <see cref="Lifecycle.DecideDeferred"/>: a parent waiting in a defer state finishes the deferred command when its
/// last pending child ends, and not before.
/// </summary>
public sealed class LifecycleDeferredTests
{
    private static readonly Lifecycle Children = new(
        name: "test.child",
        states: ["RUNNING", "DONE", "STOPPED"],
        terminal: ["DONE", "STOPPED"],
        commands: ["stop"],
        table: [("RUNNING", "stop", Rule.Go("STOPPED", "child.stopped"))],
        refusedByDefault: "CHILD_NOT_RUNNING");

    private static readonly Lifecycle Parents = new(
        name: "test.parent",
        states: ["OPEN", "BUSY", "STOPPING", "STOPPED", "DONE"],
        terminal: ["STOPPED", "DONE"],
        commands: ["stop", "finish"],
        table:
        [
            ("OPEN", "stop", Rule.Go("STOPPED", "parent.stopped", deferTo: "STOPPING", deferEvent: "parent.stopping")),
            ("BUSY", "stop", Rule.Go("STOPPED", "parent.stopped", deferTo: "STOPPING", deferEvent: "parent.stopping")),
            ("STOPPING", "stop", Rule.Done),
            ("BUSY", "finish", Rule.Go("DONE")),
        ],
        refusedByDefault: "PARENT_BUSY");

    [Fact]
    public void A_deferred_parent_whose_last_child_ended_completes_the_deferred_command_with_its_final_event()
    {
        var decision = Parents.DecideDeferred("STOPPING", "stop", Children, [new("c1", "DONE", false), new("c2", "STOPPED", true)]);

        var done = Assert.IsType<Decision.Transitioned>(decision);
        Assert.Equal(("STOPPING", "STOPPED", "parent.stopped"), (done.From, done.To, done.Event));
        Assert.Empty(done.Cascade);
    }

    [Fact]
    public void A_deferred_parent_with_no_children_at_all_completes()
    {
        Assert.IsType<Decision.Transitioned>(Parents.DecideDeferred("STOPPING", "stop", Children, []));
    }

    [Fact]
    public void A_deferred_parent_with_children_still_running_stays_deferred_and_names_them()
    {
        var decision = Parents.DecideDeferred("STOPPING", "stop", Children,
            [new("c1", "RUNNING", false), new("c2", "DONE", false), new("c3", "RUNNING", true)]);

        var deferred = Assert.IsType<Decision.Deferred>(decision);
        Assert.Equal(("STOPPING", "STOPPING", (string?)null), (deferred.From, deferred.To, deferred.Event));
        Assert.Empty(deferred.Cascade);
        Assert.Equal(["c1", "c3"], deferred.Pending);
    }

    [Theory]
    [InlineData("OPEN")]
    [InlineData("BUSY")]
    [InlineData("STOPPED")]
    public void A_parent_not_in_a_defer_state_of_the_command_is_refused_with_the_default_code(string state)
    {
        Assert.Equal(new Decision.Refused(state, "PARENT_BUSY"), Parents.DecideDeferred(state, "stop", Children, []));
    }

    [Fact]
    public void A_defer_state_of_another_command_does_not_complete_this_one()
    {
        Assert.Equal(new Decision.Refused("STOPPING", "PARENT_BUSY"), Parents.DecideDeferred("STOPPING", "finish", Children, []));
    }

    [Fact]
    public void Unknown_states_and_commands_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Parents.DecideDeferred("LIMBO", "stop", Children, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parents.DecideDeferred("STOPPING", "jump", Children, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parents.DecideDeferred("STOPPING", "stop", Children, [new("c1", "LOST", false)]));
    }

    [Fact]
    public void Rules_that_defer_one_command_to_one_state_but_disagree_on_the_final_state_are_rejected_at_construction()
    {
        var e = Assert.Throws<ArgumentException>(() => new Lifecycle(
            name: "test.bad",
            states: ["A", "B", "WAIT", "X", "Y"],
            terminal: ["X", "Y"],
            commands: ["stop"],
            table:
            [
                ("A", "stop", Rule.Go("X", deferTo: "WAIT")),
                ("B", "stop", Rule.Go("Y", deferTo: "WAIT")),
            ],
            refusedByDefault: "NO"));
        Assert.Contains("disagree", e.Message, StringComparison.Ordinal);
    }
}
