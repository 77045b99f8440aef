using System.Data.Common;
using Dapper;
using System.Diagnostics;
using Rescind.Core.Storage;
using Rescind.Core.Telemetry;

namespace Rescind.Core.Coordination;

/// <summary>
/// One open write transaction. The work a coordinator runs reads and writes through it, and records every state
/// change with <see cref="RecordAsync"/>, which writes the audit row and the outbox event in the same transaction.
/// </summary>
public sealed class UnitOfWork : IAsyncDisposable
{
    private readonly DbConnection connection;
    private readonly DbTransaction transaction;
    private readonly TimeProvider clock;

    private readonly IFaultInjector faults;
    private readonly bool ownsTransaction;

    /// <param name="ownsTransaction">False for a work inside a group commit, whose writer owns and ends the
    /// shared transaction.</param>
    internal UnitOfWork(Database db, DbConnection connection, DbTransaction transaction, TimeProvider clock, OperationContext context, IFaultInjector faults, bool ownsTransaction = true)
    {
        this.faults = faults;
        this.ownsTransaction = ownsTransaction;
        Db = db;
        this.connection = connection;
        this.transaction = transaction;
        this.clock = clock;
        Context = context;
    }

    public Database Db { get; }

    public OperationContext Context { get; }

    private DateTimeOffset? now;

    /// <summary>
    /// The transaction's single notion of "now": every timestamp it writes agrees. It is read from the clock at its
    /// first use, not when the transaction began: a work reads it after taking its row locks (on PostgreSQL a lock
    /// can be waited for), so a decision made on time (has this request expired?) and the timestamp it writes are
    /// never earlier than the commit of the writer it waited for.
    /// </summary>
    public DateTimeOffset Now => now ??= clock.GetUtcNow();

    public long NowMs => Time.ToUnixMs(Now);

    public TimeProvider Clock => clock;

    public List<Change> Recorded { get; } = [];

    /// <summary>Set by the coordinator when the transaction is to be rolled back instead of committed (a replayed
    /// key, a dry run, an answer not worth keeping); the work itself says so through its result.</summary>
    internal bool Discard { get; set; }

    // Every statement sent through the unit of work first sends any deferred state write
    // (DeferExpectingAsync), so that the transaction always reads its own writes.

    public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? args = null)
    {
        await BeforeStatementAsync();
        using var span = Span(sql);
        return await connection.QuerySingleOrDefaultAsync<T>(sql, args, transaction);
    }

    public async Task<IEnumerable<T>> QueryAsync<T>(string sql, object? args = null)
    {
        await BeforeStatementAsync();
        using var span = Span(sql);
        return await connection.QueryAsync<T>(sql, args, transaction);
    }

    /// <summary>Several statements in one command (one round trip on PostgreSQL), read in order.</summary>
    public async Task<SqlMapper.GridReader> QueryMultipleAsync(string sql, object? args = null)
    {
        await BeforeStatementAsync();
        using var span = Span(sql);
        return await connection.QueryMultipleAsync(sql, args, transaction);
    }

    public async Task<T> ExecuteScalarAsync<T>(string sql, object? args = null)
    {
        await BeforeStatementAsync();
        using var span = Span(sql);
        return (await connection.ExecuteScalarAsync<T>(sql, args, transaction))!;
    }

    public async Task<int> ExecuteAsync(string sql, object? args = null)
    {
        await BeforeStatementAsync();
        using var span = Span(sql);
        return await connection.ExecuteAsync(sql, args, transaction);
    }

    /// <summary>A span for a SQLite statement when traced (Npgsql traces PostgreSQL's statements itself).</summary>
    private Activity? Span(string sql) => Db.Kind == DatabaseKind.Sqlite ? RescindTraces.Statement(sql) : null;

    private Task BeforeStatementAsync() =>
        batch.HasStateWrites ? batch.SendAsync(connection, transaction, CancellationToken.None) : Task.CompletedTask;

    /// <summary>Runs a conditional write that must touch exactly <paramref name="expected"/> rows; anything else
    /// means a concurrent writer got there first and the whole transaction is retried.</summary>
    public async Task ExecuteExpectingAsync(int expected, string sql, object? args = null)
    {
        await BeforeStatementAsync();
        using var span = Span(sql);
        var n = await connection.ExecuteAsync(sql, args, transaction);
        if (n != expected)
        {
            throw new ConcurrencyConflictException($"expected {expected} row(s), changed {n}");
        }
    }

    /// <summary>A point where a test may inject a failure (see <see cref="IFaultInjector"/>).</summary>
    public ValueTask CheckpointAsync(string name) => faults.AtAsync(name, CancellationToken.None);

    /// <remarks>The audit row and the outbox event are deferred writes (<see cref="DeferAsync"/>): on PostgreSQL
    /// they leave with the transaction's other deferred writes in one round trip just before COMMIT.</remarks>
    public async Task RecordAsync(Change change)
    {
        await faults.AtAsync($"record:{change.ResourceType}:{change.Action}", CancellationToken.None);
        var ctx = Context;
        var args = new
        {
            ctx.AccountId,
            change.Api,
            change.ResourceType,
            change.ResourceId,
            change.Action,
            change.From,
            change.To,
            ActorKind = ctx.Actor.Kind,
            ActorId = ctx.Actor.Id,
            ctx.RequestId,
            Key = ctx.Idempotency?.Key,
            change.Reason,
            At = NowMs,
            EventId = change.EventType is null ? null : Ids.New("evt_", clock),
            change.EventType,
            Payload = change.EventPayload ?? "{}",
        };
        await DeferAsync(InsertAudit, args);
        if (change.EventType is not null)
        {
            await DeferAsync(InsertOutbox, args);
        }
        Recorded.Add(change);
    }

    /// <summary>
    /// A write that nothing later in the transaction reads back and whose row count nobody checks (audit rows,
    /// outbox events, the stored idempotent answer). SQLite runs it now (in-process, nothing to save); PostgreSQL
    /// queues it and sends every queued write as one batch right before COMMIT (or before the next statement, when
    /// a deferred state write is queued too), in order, so it is still part of the same transaction and fails it
    /// the same way.
    /// </summary>
    public async Task DeferAsync(string sql, object args)
    {
        if (Db.Kind != DatabaseKind.Postgres)
        {
            using var span = Span(sql);
            await connection.ExecuteAsync(sql, args, transaction);
            return;
        }
        batch.Add(sql, args, null);
    }

    /// <summary>
    /// <see cref="ExecuteExpectingAsync"/> for a state write of a row this transaction already holds locked
    /// (<c>FOR UPDATE</c>), so that the count can only miss if the caller's version check does: on PostgreSQL it
    /// joins the deferred writes, and its row count is checked when they are sent, still
    /// before COMMIT, so a miss throws the same <see cref="ConcurrencyConflictException"/> and the whole
    /// transaction is retried. They are sent at COMMIT, or before the next statement of this unit of work if one
    /// comes first (read-your-writes holds). That saves the cancel path one round trip. SQLite runs it at once.
    /// </summary>
    public async Task DeferExpectingAsync(int expected, string sql, object args)
    {
        if (Db.Kind != DatabaseKind.Postgres)
        {
            await ExecuteExpectingAsync(expected, sql, args);
            return;
        }
        batch.Add(sql, args, expected);
    }

    private readonly PreCommitBatch batch = new();

    private const string InsertAudit =
        """
        INSERT INTO audit_log (account_id, api, resource_type, resource_id, action, from_state, to_state,
                               actor_kind, actor_id, request_id, idempotency_key, reason, at)
        VALUES (@AccountId, @Api, @ResourceType, @ResourceId, @Action, @From, @To,
                @ActorKind, @ActorId, @RequestId, @Key, @Reason, @At)
        """;

    private const string InsertOutbox =
        """
        INSERT INTO outbox (event_id, account_id, api, event_type, resource_type, resource_id, payload, created_at)
        VALUES (@EventId, @AccountId, @Api, @EventType, @ResourceType, @ResourceId, @Payload, @At)
        """;

    internal async Task CommitAsync(CancellationToken ct)
    {
        await batch.SendAsync(connection, transaction, ct);
        using var span = Span("COMMIT");
        await transaction.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (!ownsTransaction)
        {
            return;
        }
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
