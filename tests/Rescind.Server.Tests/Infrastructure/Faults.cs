using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Coordination;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>A fault injector a test arms for one checkpoint name and disarms after.</summary>
public sealed class FaultSwitch : IFaultInjector
{
    private volatile string? armed;
    private int passes;

    /// <summary>Fails every reach of <paramref name="checkpoint"/> after the first <paramref name="pass"/> (a crash in
    /// the middle of a run that reaches it many times).</summary>
    public void Arm(string checkpoint, int pass = 0)
    {
        Volatile.Write(ref passes, pass);
        armed = checkpoint;
    }

    public void Disarm() => armed = null;

    public ValueTask AtAsync(string checkpoint, CancellationToken ct) =>
        armed is { } a && checkpoint == a && Interlocked.Decrement(ref passes) < 0 ? throw new InjectedFaultException(checkpoint) : ValueTask.CompletedTask;
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
