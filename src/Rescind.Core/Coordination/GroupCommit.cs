using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Rescind.Core.Storage;
using Rescind.Core.Telemetry;

namespace Rescind.Core.Coordination;

/// <summary>
/// SQLite group commit. SQLite has one writer and every durable commit costs an fsync, so committing each request
/// alone caps throughput at the disk's fsync rate. Here one writer takes every request's work that is waiting, runs
/// each inside its own SAVEPOINT within one <c>BEGIN IMMEDIATE</c> transaction, and commits once: a work that throws
/// rolls back only its savepoint and is answered alone (the coordinator retries it if the failure is transient);
/// every other work is answered only after the shared COMMIT returned, so no caller sees an answer that is not
/// durable, and a failed COMMIT fails the whole batch, which then has written nothing.
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>The fault checkpoint just before a batch's COMMIT (a crash with every item applied, nothing durable).</summary>
    public const string CommitCheckpoint = "group-commit:before-commit";

    private const string Savepoint = "item";

    /// <summary>Bounds one batch's transaction (and how long its first caller waits for the others).</summary>
    private const int MaxBatch = 128;

    private readonly Database db;
    private readonly Func<DbConnection, DbTransaction, OperationContext, UnitOfWork> unitOfWork;
    private readonly IFaultInjector faults;
    private readonly RescindMetrics? metrics;
    private readonly Channel<Item> queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task writer;
    private long batches;
    private long items;
    private int largest;
    private int queued;

    internal GroupCommit(Database db, Func<DbConnection, DbTransaction, OperationContext, UnitOfWork> unitOfWork, IFaultInjector faults, RescindMetrics? metrics = null)
    {
        this.db = db;
        this.unitOfWork = unitOfWork;
        this.faults = faults;
        this.metrics = metrics;
        // The writer outlives whatever request first resolved the coordinator: it must not inherit that request's
        // ambient state (its trace's current span above all).
        using (ExecutionContext.SuppressFlow())
        {
            writer = Task.Run(WriteAsync);
        }
    }

    /// <summary>Batches committed so far.</summary>
    public long Batches => Interlocked.Read(ref batches);

    /// <summary>Works run so far, committed or not.</summary>
    public long Items => Interlocked.Read(ref items);

    /// <summary>The most works one batch held.</summary>
    public int LargestBatch => Volatile.Read(ref largest);

    /// <summary>Works waiting for the writer.</summary>
    public int Queued => Volatile.Read(ref queued);

    internal async Task<T> RunAsync<T>(OperationContext context, Func<UnitOfWork, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        var item = new Item<T>(context, work, ct, Activity.Current?.Context ?? default);
        Interlocked.Increment(ref queued);
        if (!queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref queued);
            throw new ObjectDisposedException(nameof(GroupCommit));
        }
        // Not cancelable once queued: the work may already be committed, and its caller must learn the outcome.
        return await item.Result.Task.ConfigureAwait(false);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Item>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var item))
            {
                Interlocked.Decrement(ref queued);
                batch.Add(item);
            }
            if (batch.Count > 0)
            {
                await RunBatchAsync(batch).ConfigureAwait(false);
            }
        }
    }

    private async Task RunBatchAsync(List<Item> batch)
    {
        var done = new List<Item>(batch.Count);
        // The batch's transaction is a trace of its own; each work's savepoint is a span in its request's trace,
        // linked to the batch it was committed in.
        using var batchSpan = RescindTraces.Source.StartActivity("sqlite.group_commit", ActivityKind.Internal, default(ActivityContext));
        batchSpan?.SetTag("db.system.name", "sqlite");
        batchSpan?.SetTag("rescind.batch.size", batch.Count);
        try
        {
            var (connection, transaction) = await db.BeginWriteAsync(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            await using (transaction.ConfigureAwait(false))
            {
                foreach (var item in batch)
                {
                    Interlocked.Increment(ref items);
                    using var itemSpan = batchSpan is null ? null
                        : RescindTraces.Source.StartActivity("sqlite.savepoint", ActivityKind.Internal, item.Parent, links: [new ActivityLink(batchSpan.Context)]);
                    itemSpan?.SetTag("db.system.name", "sqlite");
                    itemSpan?.SetTag("rescind.batch.size", batch.Count);
                    await transaction.SaveAsync(Savepoint).ConfigureAwait(false);
                    var uow = unitOfWork(connection, transaction, item.Context);
                    bool keep;
                    try
                    {
                        item.Ct.ThrowIfCancellationRequested();
                        keep = await item.RunAsync(uow).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        // Only this work's writes go; the batch goes on without it.
                        await transaction.RollbackAsync(Savepoint).ConfigureAwait(false);
                        await transaction.ReleaseAsync(Savepoint).ConfigureAwait(false);
                        item.Fail(e);
                        continue;
                    }
                    if (!keep)
                    {
                        await transaction.RollbackAsync(Savepoint).ConfigureAwait(false);
                    }
                    await transaction.ReleaseAsync(Savepoint).ConfigureAwait(false);
                    done.Add(item);
                }
                await faults.AtAsync(CommitCheckpoint, CancellationToken.None).ConfigureAwait(false);
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // Nothing of this batch is durable: every answer held back becomes the failure (retried if transient);
            // a work already answered alone keeps its answer.
            foreach (var item in batch)
            {
                item.Fail(e);
            }
            batchSpan?.SetStatus(ActivityStatusCode.Error, e.Message);
            return;
        }
        metrics?.BatchSize.Record(batch.Count);
        Interlocked.Increment(ref batches);
        InterlockedMax(ref largest, batch.Count);
        foreach (var item in done)
        {
            item.Complete();
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await writer.ConfigureAwait(false);
    }

    private abstract class Item(OperationContext context, CancellationToken ct, ActivityContext parent)
    {
        public OperationContext Context => context;

        /// <summary>The span of the request that queued this work (default when untraced).</summary>
        public ActivityContext Parent => parent;

        public CancellationToken Ct => ct;

        /// <summary>Runs the work; false when it asked for its writes to be rolled back (a refusal, a replay).</summary>
        public abstract Task<bool> RunAsync(UnitOfWork uow);

        public abstract void Complete();

        public abstract void Fail(Exception e);
    }

    private sealed class Item<T>(OperationContext context, Func<UnitOfWork, CancellationToken, Task<T>> work, CancellationToken ct, ActivityContext parent)
        : Item(context, ct, parent)
    {
        private T? value;

        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<bool> RunAsync(UnitOfWork uow)
        {
            value = await work(uow, Ct).ConfigureAwait(false);
            return !uow.Discard;
        }

        public override void Complete() => Result.TrySetResult(value!);

        public override void Fail(Exception e) => Result.TrySetException(e);
    }
}
