using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.Cancellations;

/// <summary>
/// Runs Rescind's own cancellations: each resource through <see cref="CancelService"/> in its own transaction,
/// its outcome row written in the same transaction as its effect, so a cancellation is atomic per resource; and
/// re-reads deferred outcomes (a dry run of the same cancel, rolled back) until they settle.
/// </summary>
public sealed class CancellationRunner(Coordinator coordinator, CancelService cancels, Database db, Rescind.Core.Telemetry.RescindMetrics metrics)
{
    public static string Fingerprint(IReadOnlyList<string> resources, string? reason, long? cancelAt) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { resources, reason, cancelAt }))));

    /// <summary>Finds one resource of the account in the key's mode: none, or exactly one (an id two APIs share
    /// is refused as ambiguous; <c>api:id</c> names one).</summary>
    private async Task<(CancelTarget? Target, ResourceDetail? Detail, OutcomeObject? Failed)> ResolveAsync(string accountId, string mode, string resource, CancellationToken ct)
    {
        var found = (await cancels.FindAsync(accountId, resource, ct)).Where(f => f.Detail.Resource.Mode == mode).ToList();
        return found.Count switch
        {
            0 => (null, null, CancellationJson.Outcome(resource, null, new CancelOutcome.NotFound())),
            1 => (found[0].Target, found[0].Detail, null),
            _ => (null, null, CancellationJson.Outcome(resource, null, new CancelOutcome.Refused(409, "ambiguous_id",
                $"{resource} names resources of {string.Join(" and ", found.Select(f => f.Target.Api))}; qualify it as api:id."))),
        };
    }

    /// <summary>One resource's outcome; with <paramref name="record"/> (a real cancel) its row is written with it.</summary>
    public async Task<OutcomeObject> RunOneAsync(
        string accountId, string mode, Actor actor, string? requestId, string resource, string? reason, CancellationRow? record, int position, CancellationToken ct)
    {
        var (target, detail, failed) = await ResolveAsync(accountId, mode, resource, ct);
        OutcomeObject? result = failed;
        var written = false;
        if (target is not null)
        {
            var outcome = await cancels.CancelAsync(target, detail!.Resource, actor, requestId, reason, dryRun: record is null, ct,
                record is null ? null : async (uow, o) =>
                {
                    result = CancellationJson.Outcome(resource, target, o);
                    await CancellationStore.InsertItemAsync(uow, record, position, result);
                    written = true;
                });
            result = CancellationJson.Outcome(resource, target, outcome);
        }
        if (record is not null && !written)
        {
            // Nothing changed (not found, refused): the outcome row alone.
            await coordinator.RunAsync(Context(record, actor, requestId), async (uow, _) =>
            {
                await CancellationStore.InsertItemAsync(uow, record, position, result!);
                return 0;
            }, ct);
        }
        return result!;
    }

    /// <summary>A dry run: every resource's outcome, nothing stored.</summary>
    public async Task<IReadOnlyList<OutcomeObject>> PreviewAsync(string accountId, string mode, Actor actor, string? requestId, IReadOnlyList<string> resources, string? reason, CancellationToken ct)
    {
        var outcomes = new List<OutcomeObject>(resources.Count);
        foreach (var resource in resources)
        {
            outcomes.Add(await RunOneAsync(accountId, mode, actor, requestId, resource, reason, null, 0, ct));
        }
        return outcomes;
    }

    /// <summary>Runs a claimed (processing) cancellation to its end: the resources without an outcome yet, then the status.</summary>
    public async Task ExecuteAsync(CancellationRow c, Actor actor, string? requestId, CancellationToken ct)
    {
        var resources = JsonSerializer.Deserialize<string[]>(c.Resources)!;
        var done = (await CancellationStore.ItemsAsync(db, c.Id, ct)).Select(i => i.Position).ToHashSet();
        for (var i = 0; i < resources.Length; i++)
        {
            if (!done.Contains(i))
            {
                var o = await RunOneAsync(c.AccountId, c.Mode, actor, requestId, resources[i], c.Reason, c, i, ct);
                metrics.CancellationItems.Add(1, new("api", o.Api ?? "unknown"), new("outcome", o.Outcome));
            }
        }
        await FinishAsync(c, actor, requestId, CancellationStore.Processing, ct);
    }

    /// <summary>Re-reads every outcome still pending cancellation; a settled one is written once.</summary>
    public async Task SettleAsync(CancellationRow c, Actor actor, string? requestId, CancellationToken ct)
    {
        if (c.Status != CancellationStore.PendingStatus)
        {
            return;
        }
        foreach (var item in await CancellationStore.ItemsAsync(db, c.Id, ct))
        {
            if (item.Outcome != CancellationJson.Pending)
            {
                continue;
            }
            var before = CancellationJson.Deserialize<OutcomeObject>(item.Body);
            var now = await RunOneAsync(c.AccountId, c.Mode, actor, requestId, Qualified(before), c.Reason, null, 0, ct);
            if (now.Outcome == CancellationJson.Pending)
            {
                continue;
            }
            // Canceled since (already canceled now): the cancel won. Refused now: the resource finished otherwise.
            var settled = now.Outcome == CancellationJson.AlreadyCanceled
                ? before with { Outcome = CancellationJson.Canceled, State = now.State, Unstoppable = null }
                : before with { Outcome = now.Outcome, State = now.State, Unstoppable = null, Error = now.Error };
            settled = settled with { Resource = before.Resource };
            await coordinator.RunAsync(Context(c, actor, requestId), async (uow, _) => await CancellationStore.SettleItemAsync(uow, c.Id, item.Position, settled), ct);
        }
        await FinishAsync(c, actor, requestId, CancellationStore.PendingStatus, ct);
    }

    private static string Qualified(OutcomeObject o) => o.Api is null || o.Id is null ? o.Resource : $"{o.Api}:{o.Id}";

    /// <summary>Moves the cancellation from <paramref name="from"/> to pending or completed and records the event
    /// (audit row + outbox event, the source of the event stream) in the same transaction.</summary>
    private async Task FinishAsync(CancellationRow c, Actor actor, string? requestId, string from, CancellationToken ct)
    {
        var items = await CancellationStore.ItemsAsync(db, c.Id, ct);
        var to = items.Any(i => i.Outcome == CancellationJson.Pending) ? CancellationStore.PendingStatus : CancellationStore.Completed;
        if (to == from)
        {
            return;
        }
        await coordinator.RunAsync(Context(c, actor, requestId), async (uow, _) =>
        {
            if (await CancellationStore.SetStatusAsync(uow, c.Id, from, to) == 1)
            {
                c.Status = to;
                var outcomes = items.Select(i => CancellationJson.Deserialize<OutcomeObject>(i.Body)).ToList();
                await uow.RecordAsync(new Change(CancellationStore.Api, CancellationStore.Type, c.Id, to == CancellationStore.Completed ? "complete" : "defer",
                    from, to, "cancellation." + to, CancellationJson.Serialize(new { id = c.Id, status = to, summary = CancellationJson.Summary(outcomes) }), c.Reason));
            }
            return 0;
        }, ct);
    }

    public static OperationContext Context(CancellationRow c, Actor actor, string? requestId) => new(c.AccountId, CancellationStore.Api, actor, requestId);

    public async Task<CancellationObject> RenderAsync(CancellationRow c, CancellationToken ct)
    {
        var outcomes = (await CancellationStore.ItemsAsync(db, c.Id, ct)).Select(i => CancellationJson.Deserialize<OutcomeObject>(i.Body)).ToList();
        return new CancellationObject(c.Id, "cancellation", c.Status, c.Mode, false, c.Reason, c.IdempotencyKey,
            JsonSerializer.Deserialize<string[]>(c.Resources)!, Time.Iso(c.CancelAt), Time.Iso(c.CreatedAt), Time.Iso(c.UpdatedAt),
            c.Status is CancellationStore.Scheduled or CancellationStore.CanceledStatus ? null : CancellationJson.Summary(outcomes), outcomes);
    }
}

/// <summary>
/// Moves cancellations on on the job runner's clock: runs scheduled ones whose <c>cancel_at</c> has come, and resumes
/// ones left <c>processing</c> by a crashed node (no outcome written for <see cref="Lease"/>). Both claims are
/// conditional updates (scheduled → processing; a stale <c>updated_at</c> → now), so two nodes never run the same
/// one; <see cref="CancellationRunner.ExecuteAsync"/> skips the resources that already have an outcome.
/// </summary>
public sealed class CancellationJob(Database db, Coordinator coordinator, CancellationRunner runner, TimeProvider clock) : Rescind.Core.Jobs.IJob
{
    /// <summary>How long a processing cancellation may go without writing an outcome before another node takes it
    /// over. A live run writes one outcome per resource (each renews the lease), far more often than this.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    public string Name => "rescind.cancellations";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.ToUnixMs(clock.GetUtcNow());
        var handled = 0;
        foreach (var id in await CancellationStore.DueAsync(db, now, 100, ct))
        {
            handled += await ClaimAndRunAsync(id, async uow =>
                await CancellationStore.LockAsync(uow, id) is { Status: CancellationStore.Scheduled } row
                && await CancellationStore.SetStatusAsync(uow, id, CancellationStore.Scheduled, CancellationStore.Processing) == 1
                    ? row
                    : null, ct);
        }
        var staleBefore = now - (long)Lease.TotalMilliseconds;
        foreach (var id in await CancellationStore.StaleAsync(db, staleBefore, 100, ct))
        {
            handled += await ClaimAndRunAsync(id, async uow =>
                await CancellationStore.TakeOverAsync(uow, id, staleBefore) == 1 ? await CancellationStore.LockAsync(uow, id) : null, ct);
        }
        return handled;
    }

    private async Task<int> ClaimAndRunAsync(string id, Func<UnitOfWork, Task<CancellationRow?>> claim, CancellationToken ct)
    {
        var claimed = await coordinator.RunAsync(new OperationContext(null, CancellationStore.Api, Actor.System, null), async (uow, _) => await claim(uow), ct);
        if (claimed is null)
        {
            return 0;
        }
        claimed.Status = CancellationStore.Processing;
        await runner.ExecuteAsync(claimed, Actor.System, null, ct);
        return 1;
    }
}
