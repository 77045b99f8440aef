using Rescind.Core.Lifecycles;

namespace Rescind.Core.Tests;

/// <summary>Not committed: fails against the current Lifecycle constructor (terminal states are not validated).</summary>
public sealed class LifecycleTerminalValidationTests
{
    [Fact]
    public void A_terminal_state_that_is_not_a_state_is_rejected_at_construction()
    {
        // A typo in the terminal list ("ENDD") silently leaves END non-terminal, so END -> A is accepted too.
        Assert.Throws<ArgumentException>(() => new Lifecycle("t", ["A", "END"], ["ENDD"], ["go"], [("END", "go", Rule.Go("A"))], "NOPE"));
    }
}
