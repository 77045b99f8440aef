using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Coordination;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>A fault injector a test arms for one checkpoint name and disarms after.</summary>
public sealed class FaultSwitch : IFaultInjector
{
    private volatile string? armed;

    public void Arm(string checkpoint) => armed = checkpoint;

    public void Disarm() => armed = null;

    public ValueTask AtAsync(string checkpoint, CancellationToken ct) =>
        armed is { } a && checkpoint == a ? throw new InjectedFaultException(checkpoint) : ValueTask.CompletedTask;
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
