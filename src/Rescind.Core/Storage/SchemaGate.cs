namespace Rescind.Core.Storage;

/// <summary>
/// Opens once the schema is up to date. A node started while its database cannot be reached listens anyway and
/// waits: requests are answered 503 with Retry-After, and background work (jobs, webhook delivery) starts only when
/// the gate opens, so a fleet restarted during a database outage comes back by itself instead of crash-looping.
/// </summary>
public sealed class SchemaGate
{
    private readonly TaskCompletionSource opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the schema is migrated and the start-up tasks have run.</summary>
    public bool IsOpen => opened.Task.IsCompletedSuccessfully;

    /// <summary>Why the gate is still closed (the last failure to reach the database): the log says it once, not on every retry.</summary>
    public string? Waiting { get; private set; }

    public void Open()
    {
        Waiting = null;
        opened.TrySetResult();
    }

    public void StillWaiting(string reason) => Waiting = reason;

    /// <summary>Completes when the gate opens (or throws when <paramref name="ct"/> is cancelled first).</summary>
    public Task WaitAsync(CancellationToken ct) => opened.Task.WaitAsync(ct);
}
