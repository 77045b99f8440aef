using Rescind.Core.Coordination;
using Rescind.Server.Hosting;

namespace Rescind.Server.Cancellations;

/// <summary>
/// Finds and cancels any resource through the cancel targets the API modules declare: one way in for Rescind's own
/// cancellation API and the operator console. Every cancel runs the vendor API's own cancel in one coordinator
/// transaction with the resource's owning account in the context, so it writes the same state, audit rows and
/// events the vendor route writes; a dry run runs exactly the same and rolls back.
/// </summary>
public sealed class CancelService(Coordinator coordinator, IServiceProvider services)
{
    public static IReadOnlyList<CancelTarget> Targets { get; } = [.. ApiModules.All.SelectMany(m => m.CancelTargets ?? [])];

    public static CancelTarget? Target(string api, string type) =>
        Targets.FirstOrDefault(t => t.Api == api && t.Type == type);

    /// <summary><c>api:id</c> → (api, id); an unqualified id → (null, id).</summary>
    public static (string? Api, string Bare) Qualified(string id) =>
        id.IndexOf(':') is > 0 and var colon ? (id[..colon], id[(colon + 1)..]) : (null, id);

    /// <summary>
    /// The resources named <paramref name="id"/> in the account (any account when null). An id may be qualified
    /// as <c>api:id</c> when two APIs could share it; unqualified ids are looked up in every target whose id shape
    /// fits.
    /// </summary>
    public async Task<IReadOnlyList<(CancelTarget Target, ResourceDetail Detail)>> FindAsync(string? accountId, string id, CancellationToken ct)
    {
        var (api, bare) = Qualified(id);
        var found = new List<(CancelTarget, ResourceDetail)>();
        foreach (var target in Targets)
        {
            if ((api is null || target.Api == api) && target.MayOwn(bare)
                && await target.FindAsync(services, accountId, bare, ct) is { } detail)
            {
                found.Add((target, detail));
            }
        }
        return found;
    }

    /// <summary>Cancels (or with <paramref name="dryRun"/> shows what a cancel would do to) one resource: a dry run is
    /// the same transaction, rolled back. <paramref name="alongside"/> writes more in the same transaction after a
    /// real cancel, whatever its outcome (Rescind's own API records the outcome with the effect).</summary>
    public Task<CancelOutcome> CancelAsync(
        CancelTarget target, ResourceSummary resource, Actor actor, string? requestId, string? reason, bool dryRun, CancellationToken ct,
        Func<UnitOfWork, CancelOutcome, Task>? alongside = null) =>
        coordinator.RunAsync(new OperationContext(resource.AccountId, target.Api, actor, requestId), async (uow, _) =>
        {
            var outcome = await target.CancelAsync(uow, services, resource.Id, reason);
            if (!dryRun && alongside is not null)
            {
                await alongside(uow, outcome);
            }
            return outcome;
        }, ct, commitWhen: _ => !dryRun);
}
