using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Rescind.Core.Storage;
using Rescind.Core.Telemetry;

namespace Rescind.Core.Coordination;

/// <summary>
/// The transaction runner. Applies a decision: one database transaction holds the state change, the cascade, the audit rows, the outbox
/// events and the idempotency record, or none of them. A lost race is retried from the top, where the work reads
/// the new state and decides again; it is never half-applied. On SQLite (unless turned off) the transactions of
/// concurrent requests are committed together by one writer (<see cref="GroupCommit"/>), each still answered only
/// once its commit is durable. Idempotency keys are claimed and answered by <see cref="IdempotencyKeys"/>, and the
/// writes that wait for COMMIT are sent by the unit of work's <see cref="PreCommitBatch"/>.
/// </summary>
public sealed class Coordinator : IAsyncDisposable
{
    private const int MaxAttempts = 8;

    private readonly Database db;
    private readonly TimeProvider clock;
    private readonly ILogger<Coordinator> log;
    private readonly IFaultInjector faults;
    private readonly RescindMetrics? metrics;

    public Coordinator(Database db, TimeProvider clock, ILogger<Coordinator> log, IFaultInjector? faults = null, RescindMetrics? metrics = null)
    {
        this.db = db;
        this.clock = clock;
        this.log = log;
        this.faults = faults ?? NoFaults.Instance;
        this.metrics = metrics;
        if (db.GroupCommit)
        {
            Group = new GroupCommit(db, (c, t, ctx) => new UnitOfWork(db, c, t, clock, ctx, this.faults, ownsTransaction: false), this.faults, metrics);
        }
    }

    public Database Db => db;

    /// <summary>The group-commit writer, when writes go through one (SQLite by default); null otherwise.</summary>
    public GroupCommit? Group { get; }

    /// <summary>Runs <paramref name="work"/> in one write transaction, retried from the top on a lost race. The
    /// transaction commits unless <paramref name="commitWhen"/> says otherwise of the work's result (a dry run rolls
    /// back whatever it did).</summary>
    public Task<T> RunAsync<T>(OperationContext context, Func<UnitOfWork, CancellationToken, Task<T>> work, CancellationToken ct, Func<T, bool>? commitWhen = null) =>
        commitWhen is null
            ? RunInTransactionAsync(context, work, ct)
            : RunInTransactionAsync(context, async (uow, c) =>
            {
                var result = await work(uow, c);
                uow.Discard |= !commitWhen(result);
                return result;
            }, ct);

    private async Task<T> RunInTransactionAsync<T>(OperationContext context, Func<UnitOfWork, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        using var activity = RescindTraces.Source.StartActivity("rescind.transaction");
        if (activity is not null)
        {
            activity.SetTag(RescindTraces.Api, context.Api);
            activity.SetTag(RescindTraces.Account, context.AccountId);
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                T result;
                if (Group is not null)
                {
                    result = await Group.RunAsync(context, work, ct);
                }
                else
                {
                    var (connection, transaction) = await db.BeginWriteAsync(ct);
                    await using var uow = new UnitOfWork(db, connection, transaction, clock, context, faults);
                    result = await work(uow, ct);
                    if (!uow.Discard)
                    {
                        await uow.CommitAsync(ct);
                    }
                }
                if (activity is not null)
                {
                    activity.SetTag("rescind.attempts", attempt);
                    activity.SetTag(RescindTraces.Outcome, OutcomeNames.Of(result));
                }
                return result;
            }
            catch (Exception e) when (Database.IsTransient(e) && attempt < MaxAttempts)
            {
                log.LogDebug("Retrying a write after a lost race ({Attempt}): {Reason}", attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), ct);
            }
        }
    }

    /// <summary>Runs an API request's <paramref name="work"/> in one write transaction together with its
    /// idempotency record, and returns the API's answer: the work's outcome as <paramref name="render"/> writes it
    /// (that rendering is what the key keeps), or, for a key seen before, the answer the API's policy gives.</summary>
    public async Task<StoredResponse> ExecuteAsync<T>(
        OperationContext context,
        Func<UnitOfWork, CancellationToken, Task<T>> work,
        Func<T, StoredResponse> render,
        CancellationToken ct)
    {
        var request = RequestTelemetry.Current;
        using var activity = RescindTraces.Source.StartActivity("rescind.execute");
        if (activity is not null)
        {
            activity.SetTag(RescindTraces.Api, context.Api);
            activity.SetTag(RescindTraces.Operation, request?.Operation);
            activity.SetTag(RescindTraces.Account, context.AccountId);
        }
        if (context.Idempotency is { } known && await IdempotencyKeys.StoredAsync(db, clock, context, known, ct) is { } stored)
        {
            return Replayed(context, request, activity, IdempotencyKeys.Answer(known, stored));
        }
        // What the work returned, named for the edge's metric and this span. The work does not run when its key
        // turns out to be claimed already (found inside the transaction): that answer is a replay too.
        var ran = false;
        string? outcome = null;
        string? resourceId = null;
        StoredResponse response;
        try
        {
            response = await RunInTransactionAsync(context, (uow, c) => IdempotencyKeys.WithKeyAsync(uow, async (u, wc) =>
            {
                var result = await work(u, wc);
                ran = true;
                outcome = OutcomeNames.Of(result);
                resourceId = u.Recorded.Count > 0 ? u.Recorded[0].ResourceId : null;
                return result;
            }, render, c), ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable && context.Idempotency is { } idem)
        {
            // Another request holding the same key has not committed within the lock timeout.
            return idem.Policy.InFlight;
        }
        if (!ran)
        {
            return Replayed(context, request, activity, response);
        }
        if (request is not null)
        {
            request.Outcome = outcome;
        }
        if (activity is not null)
        {
            activity.SetTag(RescindTraces.Outcome, outcome ?? OutcomeNames.StatusClass(response.Status));
            activity.SetTag(RescindTraces.ResourceId, resourceId ?? request?.RouteResourceId());
            activity.SetTag("http.response.status_code", response.Status);
        }
        return response;
    }

    private StoredResponse Replayed(OperationContext context, RequestTelemetry? request, Activity? activity, StoredResponse response)
    {
        metrics?.Replays.Add(1, new KeyValuePair<string, object?>("api", context.Api));
        if (request is not null)
        {
            request.Replayed = true;
        }
        if (activity is not null)
        {
            activity.SetTag("rescind.idempotency.replayed", true);
            activity.SetTag(RescindTraces.Outcome, OutcomeNames.StatusClass(response.Status));
            activity.SetTag(RescindTraces.ResourceId, request?.RouteResourceId());
        }
        return response;
    }

    public async ValueTask DisposeAsync()
    {
        if (Group is not null)
        {
            await Group.DisposeAsync();
        }
    }
}
