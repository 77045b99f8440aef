namespace Rescind.Core.Coordination;

/// <summary>
/// Named points inside a write transaction where a test (or the reliability harness) can inject a failure, to
/// prove that a transaction that dies half-way leaves nothing behind. In production nothing is injected.
/// </summary>
public interface IFaultInjector
{
    ValueTask AtAsync(string checkpoint, CancellationToken ct);
}

public sealed class NoFaults : IFaultInjector
{
    public static NoFaults Instance { get; } = new();

    public ValueTask AtAsync(string checkpoint, CancellationToken ct) => ValueTask.CompletedTask;
}

/// <summary>Throws <see cref="InjectedFaultException"/> at checkpoints that match a predicate (for tests).</summary>
public sealed class FaultAt(Func<string, bool> when) : IFaultInjector
{
    public ValueTask AtAsync(string checkpoint, CancellationToken ct) =>
        when(checkpoint) ? throw new InjectedFaultException(checkpoint) : ValueTask.CompletedTask;
}

public sealed class InjectedFaultException(string checkpoint) : Exception($"fault injected at {checkpoint}")
{
    public string Checkpoint { get; } = checkpoint;
}
