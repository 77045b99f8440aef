using Microsoft.Extensions.Logging;
using Npgsql;
using Rescind.Core.Storage;

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

    public Coordinator(Database db, TimeProvider clock, ILogger<Coordinator> log, IFaultInjector? faults = null)
    {
        this.db = db;
        this.clock = clock;
        this.log = log;
        this.faults = faults ?? NoFaults.Instance;
        if (db.GroupCommit)
        {
            Group = new GroupCommit(db, (c, t, ctx) => new UnitOfWork(db, c, t, clock, ctx, this.faults, ownsTransaction: false), this.faults);
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
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Group is not null)
                {
                    return await Group.RunAsync(context, work, ct);
                }
                var (connection, transaction) = await db.BeginWriteAsync(ct);
                await using var uow = new UnitOfWork(db, connection, transaction, clock, context, faults);
                var result = await work(uow, ct);
                if (!uow.Discard)
                {
                    await uow.CommitAsync(ct);
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
        if (context.Idempotency is { } known && await IdempotencyKeys.StoredAsync(db, clock, context, known, ct) is { } stored)
        {
            return IdempotencyKeys.Answer(known, stored);
        }
        try
        {
            return await RunInTransactionAsync(context, (uow, c) => IdempotencyKeys.WithKeyAsync(uow, work, render, c), ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable && context.Idempotency is { } idem)
        {
            // Another request holding the same key has not committed within the lock timeout.
            return idem.Policy.InFlight;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Group is not null)
        {
            await Group.DisposeAsync();
        }
    }
}
