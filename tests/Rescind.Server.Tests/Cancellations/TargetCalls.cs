using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Coordination;
using Rescind.Server.Cancellations;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>The cancel-target calls the adapter tests share: find one resource, cancel or dry-run it, list a page.</summary>
public static class TargetCalls
{
    public static async Task<(CancelTarget Target, ResourceDetail Detail)> FindOneAsync(RescindServer server, string? accountId, string id)
    {
        var service = server.Services.GetRequiredService<CancelService>();
        return Assert.Single(await service.FindAsync(accountId, id, CancellationToken.None));
    }

    public static async Task<CancelOutcome> CancelAsync(RescindServer server, string? accountId, string id, string? reason = null, bool dryRun = false)
    {
        var (target, detail) = await FindOneAsync(server, accountId, id);
        return await server.Services.GetRequiredService<CancelService>()
            .CancelAsync(target, detail.Resource, Actor.Operator(null), null, reason, dryRun, CancellationToken.None);
    }

    /// <summary>A dry run then the real cancel: both must report the same state changes and notes.</summary>
    public static async Task<(T Dry, T Real)> DryThenRealAsync<T>(RescindServer server, string accountId, string id, string? reason = null)
        where T : CancelOutcome
    {
        var before = (await Audit.RowsAsync(server, id)).Count;
        var dry = Assert.IsType<T>(await CancelAsync(server, accountId, id, reason, dryRun: true));
        Assert.Equal(before, (await Audit.RowsAsync(server, id)).Count);
        var real = Assert.IsType<T>(await CancelAsync(server, accountId, id, reason));
        Assert.Equal(Shape(dry), Shape(real));
        return (dry, real);
    }

    public static Task<IReadOnlyList<ResourceSummary>> ListAsync(RescindServer server, string api, string type, ResourceQuery q) =>
        CancelService.Target(api, type)!.ListAsync(server.Services, q, CancellationToken.None);

    public static Task<IReadOnlyDictionary<string, long>> CountAsync(RescindServer server, string api, string type, string accountId) =>
        CancelService.Target(api, type)!.CountAsync(server.Services, accountId, CancellationToken.None);

    /// <summary>What a cancel outcome says, without ids of rows written (audit, events) that differ between runs.</summary>
    public static string Shape(CancelOutcome o) => o switch
    {
        CancelOutcome.Canceled c => $"canceled {c.After.Resource.State} [{Changes(c.Effects)}] [{string.Join("|", c.Notes)}]",
        CancelOutcome.PendingCancellation p =>
            $"pending {p.After.Resource.State} [{Changes(p.Effects)}] [{string.Join(",", p.Unstoppable.Select(u => u.Id))}] [{string.Join("|", p.Notes)}]",
        CancelOutcome.AlreadyCanceled a => $"already {a.After.Resource.State}",
        CancelOutcome.Refused r => $"refused {r.Status} {r.Code}",
        _ => "not_found",
    };

    private static string Changes(IReadOnlyList<Change> effects) =>
        string.Join(",", effects.Select(e => $"{e.ResourceType}:{e.ResourceId}:{e.Action}:{e.From}>{e.To}"));
}
