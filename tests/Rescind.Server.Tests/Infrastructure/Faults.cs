using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>A fault injector a test arms for one checkpoint name and disarms after.</summary>
public sealed class FaultSwitch : IFaultInjector
{
    private volatile string? armed;
    private volatile bool transient;
    private int passes;

    /// <summary>Fails every reach of <paramref name="checkpoint"/> after the first <paramref name="pass"/> (a crash in
    /// the middle of a run that reaches it many times).</summary>
    public void Arm(string checkpoint, int pass = 0)
    {
        transient = false;
        Volatile.Write(ref passes, pass);
        armed = checkpoint;
    }

    /// <summary>Makes every reach of <paramref name="checkpoint"/> lose its race (the failure the coordinator retries),
    /// so that a write loses every one of its attempts.</summary>
    public void ArmLostRace(string checkpoint)
    {
        transient = true;
        Volatile.Write(ref passes, 0);
        armed = checkpoint;
    }

    public void Disarm() => armed = null;

    public ValueTask AtAsync(string checkpoint, CancellationToken ct) =>
        armed is { } a && checkpoint == a && Interlocked.Decrement(ref passes) < 0
            ? throw (transient ? new ConcurrencyConflictException($"lost race injected at {checkpoint}") : new InjectedFaultException(checkpoint))
            : ValueTask.CompletedTask;
}

public interface IFaultyServer
{
    FaultSwitch Faults { get; }
}

public sealed class FaultySqliteServer : SqliteServer, IFaultyServer
{
    public FaultSwitch Faults { get; } = new();

    protected override void AddServices(IServiceCollection services) => services.AddSingleton<IFaultInjector>(Faults);
}

public sealed class FaultyPostgresServer : PostgresServer, IFaultyServer
{
    public FaultSwitch Faults { get; } = new();

    protected override void AddServices(IServiceCollection services) => services.AddSingleton<IFaultInjector>(Faults);
}
