using Rescind.Core.Lifecycles;

namespace Rescind.Core.Tests;

/// <summary>
/// A deferring rule on a resource without children: the command is accepted now and the outside world settles
/// its effect later (a best-effort replacement on a chain).
/// </summary>
public sealed class DeferredRuleTests
{
    private static readonly Lifecycle Sends = new(
        name: "test.send",
        states: ["QUEUED", "SENT", "REPLACING", "DONE", "CANCELLED"],
        terminal: ["DONE", "CANCELLED"],
        commands: ["cancel"],
        projection: new Dictionary<string, string> { ["REPLACING"] = "SENT" },
        refusedByDefault: "NOT_CANCELABLE",
        table:
        [
            ("QUEUED", "cancel", Rule.Go("CANCELLED", "send.cancelled")),
            ("SENT", "cancel", Rule.Defer("REPLACING", "send.replacing")),
            ("REPLACING", "cancel", Rule.Done),
        ]);

    [Fact]
    public void A_deferring_rule_decides_Deferred_with_its_state_and_event_and_nothing_pending()
    {
        var d = Assert.IsType<Decision.Deferred>(Sends.Decide("SENT", "cancel"));
        Assert.Equal(("SENT", "REPLACING", "send.replacing"), (d.From, d.To, d.Event));
        Assert.Empty(d.Cascade);
        Assert.Empty(d.Pending);
        Assert.Equal("SENT", Sends.Project(d.To));
    }

    [Fact]
    public void Deferral_sits_beside_the_other_verdicts_of_the_same_table()
    {
        Assert.IsType<Decision.Transitioned>(Sends.Decide("QUEUED", "cancel"));
        Assert.IsType<Decision.AlreadyDone>(Sends.Decide("REPLACING", "cancel"));
        Assert.Equal("NOT_CANCELABLE", Assert.IsType<Decision.Refused>(Sends.Decide("DONE", "cancel")).Code);
    }

    [Fact]
    public void A_cascade_whose_parent_rule_defers_defers_the_parent_alone()
    {
        var d = Assert.IsType<Decision.Deferred>(Sends.DecideCascade("SENT", "cancel", Sends, "cancel", [new Child("c1", "QUEUED", true)]));
        Assert.Empty(d.Cascade);
    }

    [Fact]
    public void A_table_that_defers_to_an_unknown_state_or_from_a_terminal_one_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Lifecycle("bad", ["A", "B"], ["B"], ["c"], [("A", "c", Rule.Defer("Z"))], "X"));
        Assert.Throws<ArgumentException>(() => new Lifecycle("bad", ["A", "B"], ["B"], ["c"], [("B", "c", Rule.Defer("A"))], "X"));
    }
}
