using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Tests.CrissCross;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// The coordinator's write path under concurrency. On SQLite that is group commit (one writer, a SAVEPOINT per
/// work inside one transaction, one COMMIT, answers only after it); on PostgreSQL the same promises hold with one
/// transaction per work. A "gate" work holds the SQLite writer while the others queue, so a batch is certain to form.
/// </summary>
public abstract class GroupCommitTests<TServer>(TServer server) where TServer : RescindServer, IFaultyServer
{
    private const string MidWork = "group-test:mid-work";

    private Coordinator Coordinator => server.Services.GetRequiredService<Coordinator>();

    private static OperationContext Context => new(null, "test", Actor.System, null);

    private static Change Row(string id) => new("test", "group_test", id, "touch", null, "done", "group_test.touched", "{}");

    private Task<string> WriteAsync(string id, Func<UnitOfWork, Task>? after = null, Func<Task>? before = null) =>
        Coordinator.RunAsync(Context, async (uow, _) =>
        {
            await (before?.Invoke() ?? Task.CompletedTask);
            await uow.RecordAsync(Row(id));
            await uow.CheckpointAsync(MidWork);
            await (after?.Invoke(uow) ?? Task.CompletedTask);
            return id;
        }, CancellationToken.None);

    /// <summary>Starts a work that holds the writer until released, then queues <paramref name="count"/> more
    /// behind it (on SQLite, waits until they are all queued).</summary>
    private async Task<(TaskCompletionSource Gate, Task<string> Held, List<Task<string>> Queued)> QueueBehindGateAsync(
        string prefix, int count, Func<int, Func<UnitOfWork, Task>?>? after = null)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = WriteAsync(prefix + "gate", before: async () =>
        {
            entered.TrySetResult();
            await gate.Task;
        });
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var queued = Enumerable.Range(0, count).Select(i => Task.Run(() => WriteAsync(prefix + i, after?.Invoke(i)))).ToList();
        if (Coordinator.Group is { } group)
        {
            for (var waited = 0; group.Queued < count && waited < 3000; waited++)
            {
                await Task.Delay(10);
            }
            Assert.Equal(count, group.Queued);
        }
        return (gate, held, queued);
    }

    private Task<long> RowsAsync(string prefix) =>
        server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE resource_type = 'group_test' AND resource_id LIKE @p", new { p = prefix + "%" });

    private Task<long> EventsAsync(string prefix) =>
        server.CountAsync("SELECT COUNT(*) FROM outbox WHERE resource_type = 'group_test' AND resource_id LIKE @p", new { p = prefix + "%" });

    [Fact]
    public async Task Group_commit_is_on_for_SQLite_and_off_for_PostgreSQL()
    {
        Assert.Equal(server.Db.Kind == Core.Storage.DatabaseKind.Sqlite, Coordinator.Group is not null);
    }

    [Fact]
    public async Task Two_hundred_concurrent_writers_are_all_committed_each_with_its_audit_row_and_event()
    {
        var prefix = $"many_{Guid.NewGuid():N}_";

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => WriteAsync(prefix + i))));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => prefix + i), answers);
        Assert.Equal(200, await RowsAsync(prefix));
        Assert.Equal(200, await EventsAsync(prefix));
    }

    [Fact]
    public async Task Writes_queued_behind_a_running_one_are_committed_together_and_each_answered_after_the_commit()
    {
        var prefix = $"batch_{Guid.NewGuid():N}_";
        var (gate, held, queued) = await QueueBehindGateAsync(prefix, 30);
        if (Coordinator.Group is not null)
        {
            Assert.All(queued, t => Assert.False(t.IsCompleted)); // nobody is answered before their commit
        }

        gate.SetResult();
        await held;
        await Task.WhenAll(queued);

        Assert.Equal(31, await RowsAsync(prefix));
        if (Coordinator.Group is { } group)
        {
            Assert.True(group.LargestBatch >= 30, $"largest batch {group.LargestBatch}");
        }
    }

    [Fact]
    public async Task A_work_that_throws_rolls_back_alone_and_the_rest_of_its_batch_commits()
    {
        var prefix = $"fail_{Guid.NewGuid():N}_";
        var (gate, held, queued) = await QueueBehindGateAsync(prefix, 10,
            i => i == 5 ? _ => throw new InvalidOperationException("a bug in one work") : null);

        gate.SetResult();
        await held;
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => queued[5]);

        Assert.Equal("a bug in one work", failed.Message);
        await Task.WhenAll(queued.Where((_, i) => i != 5)); // the rest are answered once their batch commits
        Assert.Equal(10, await RowsAsync(prefix)); // the gate and nine others
        Assert.Equal(0, await RowsAsync(prefix + "5"));
        Assert.Equal(0, await EventsAsync(prefix + "5"));
    }

    [Fact]
    public async Task A_transient_conflict_in_one_work_is_retried_and_every_work_commits_once()
    {
        var prefix = $"retry_{Guid.NewGuid():N}_";
        var tries = 0;
        var (gate, held, queued) = await QueueBehindGateAsync(prefix, 10,
            i => i == 3 ? _ => Interlocked.Increment(ref tries) == 1 ? throw new Core.Storage.ConcurrencyConflictException("lost a race") : Task.CompletedTask : null);

        gate.SetResult();
        await held;
        await Task.WhenAll(queued);

        Assert.Equal(2, tries);
        Assert.Equal(1, await RowsAsync(prefix + "3"));
        Assert.Equal(11, await RowsAsync(prefix));
    }

    [Theory]
    [InlineData(MidWork)]
    [InlineData(GroupCommit.CommitCheckpoint)]
    public async Task A_crash_mid_batch_leaves_none_of_its_writes_and_the_next_batch_commits(string checkpoint)
    {
        if (checkpoint == GroupCommit.CommitCheckpoint && Coordinator.Group is null)
        {
            return; // PostgreSQL commits each work alone: there is no batch commit to crash in
        }
        var prefix = $"crash_{Guid.NewGuid():N}_";
        server.Faults.Arm(checkpoint);
        try
        {
            var (gate, held, queued) = await QueueBehindGateAsync(prefix, 10);
            gate.SetResult();
            await Assert.ThrowsAsync<InjectedFaultException>(() => held);
            foreach (var t in queued)
            {
                await Assert.ThrowsAsync<InjectedFaultException>(() => t);
            }
        }
        finally
        {
            server.Faults.Disarm();
        }

        Assert.Equal(0, await RowsAsync(prefix));
        Assert.Equal(0, await EventsAsync(prefix));
        Assert.Equal(prefix + "after", await WriteAsync(prefix + "after"));
        Assert.Equal(1, await RowsAsync(prefix));
    }

    [Fact]
    public async Task A_deferred_state_write_reads_back_inside_its_transaction_and_commits()
    {
        // On PostgreSQL the update waits in the pre-commit batch; the read after it must send the batch first.
        var id = "deferred-" + Guid.NewGuid().ToString("N");
        var seen = await Coordinator.RunAsync(Context, async (uow, _) =>
        {
            await uow.RecordAsync(Row(id));
            await uow.DeferExpectingAsync(1, "UPDATE audit_log SET reason = @reason WHERE resource_id = @id", new { id, reason = "changed" });
            return await uow.QuerySingleOrDefaultAsync<string>("SELECT reason FROM audit_log WHERE resource_id = @id", new { id });
        }, CancellationToken.None);

        Assert.Equal("changed", seen);
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE resource_id = @id AND reason = 'changed'", new { id }));
    }

    [Fact]
    public async Task A_deferred_state_write_that_misses_its_row_is_retried_from_the_top_and_never_commits()
    {
        var id = "missed-" + Guid.NewGuid().ToString("N");
        var attempts = 0;
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Coordinator.RunAsync(Context, async (uow, _) =>
        {
            Interlocked.Increment(ref attempts);
            await uow.RecordAsync(Row(id));
            await uow.DeferExpectingAsync(1, "UPDATE audit_log SET reason = 'x' WHERE resource_id = @missing", new { missing = id + "-absent" });
            return id;
        }, CancellationToken.None));

        Assert.True(attempts > 1, $"the conflict was not retried ({attempts} attempt)");
        Assert.Equal(0, await RowsAsync(id));
    }

    [Fact]
    public async Task Concurrent_cancels_with_one_idempotency_key_make_one_record_and_all_get_the_same_answer()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var sessions = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            sessions.Add(await m.SessionAsync());
        }
        var keys = sessions.Select(_ => Guid.NewGuid().ToString()).ToList();

        // Six callers per key, all at once: on SQLite most of them land in the same batch as the first.
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() => m.CancelAsync(sessions[i % 5], "dup", keys[i % 5]))));

        for (var s = 0; s < 5; s++)
        {
            var mine = answers.Where((_, i) => i % 5 == s).ToList();
            Assert.All(mine, a => Assert.True(a.Code == 200, a.Body));
            Assert.Single(mine.Select(a => a.Body).Distinct());
            Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM idempotency WHERE key = @k", new { k = keys[s] }));
            Assert.Equal(1, await Audit.ActionCountAsync(server, sessions[s], "cancel"));
            Assert.Equal(1, await Audit.EventCountAsync(server, sessions[s], "session.cancelled"));
        }
        await Audit.AssertVerifiedAsync(server);
    }
}

public sealed class GroupCommitTests_Sqlite(FaultySqliteServer server) : GroupCommitTests<FaultySqliteServer>(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GroupCommitTests_Postgres(FaultyPostgresServer server) : GroupCommitTests<FaultyPostgresServer>(server), IClassFixture<FaultyPostgresServer>;
