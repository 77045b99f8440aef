using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Rescind.Core.Storage;

namespace Rescind.Core.Coordination;

/// <summary>
/// Applies a decision: one database transaction holds the state change, the cascade, the audit rows, the outbox
/// events and the idempotency record, or none of them. A lost race is retried from the top, where the work reads
/// the new state and decides again; it is never half-applied. On SQLite (unless turned off) the transactions of
/// concurrent requests are committed together by one writer (<see cref="GroupCommit"/>), each still answered only
/// once its commit is durable.
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

    /// <summary>Runs <paramref name="work"/> in one write transaction, retried from the top on a lost race.</summary>
    public async Task<T> RunAsync<T>(OperationContext context, Func<UnitOfWork, CancellationToken, Task<T>> work, CancellationToken ct)
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
                if (!uow.RollbackOnly)
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
    /// idempotency record, and returns its answer (or, for a key seen before, the answer the API's policy gives).</summary>
    public async Task<StoredResponse> ExecuteAsync(
        OperationContext context,
        Func<UnitOfWork, CancellationToken, Task<StoredResponse>> work,
        CancellationToken ct)
    {
        try
        {
            return await RunAsync(context, (uow, c) => WithKeyAsync(uow, work, c), ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable && context.Idempotency is { } idem)
        {
            // Another request holding the same key has not committed within the lock timeout.
            return idem.Policy.InFlight;
        }
    }

    private static async Task<StoredResponse> WithKeyAsync(
        UnitOfWork uow, Func<UnitOfWork, CancellationToken, Task<StoredResponse>> work, CancellationToken ct)
    {
        var context = uow.Context;
        var idem = context.Idempotency;
        if (idem is null)
        {
            return await work(uow, ct);
        }
        if (uow.Db.Kind == DatabaseKind.Postgres)
        {
            // A concurrent holder of the same key blocks our insert until it commits; bound that wait.
            await uow.ExecuteAsync("SET LOCAL lock_timeout = '10s'");
        }
        var seen = await ClaimKeyAsync(uow, context.AccountId!, context.Api, idem);
        if (seen is not null)
        {
            uow.RollbackOnly = true;
            return string.Equals(seen.Fingerprint, idem.Fingerprint, StringComparison.Ordinal)
                ? idem.Policy.OnRepeat(seen)
                : idem.Policy.OnMismatch(seen);
        }
        var response = await work(uow, ct);
        if (!response.Storable)
        {
            uow.RollbackOnly = true; // the claim goes with it: a retry may try again
            return response;
        }
        await uow.ExecuteAsync(
            """
            UPDATE idempotency SET response_status = @Status, response_body = @Body, resource_id = @ResourceId
            WHERE account_id = @AccountId AND api = @Api AND key = @Key
            """,
            new
            {
                response.Status,
                response.Body,
                ResourceId = uow.Recorded.Count > 0 ? uow.Recorded[0].ResourceId : null,
                context.AccountId,
                context.Api,
                idem.Key,
            });
        return response;
    }

    /// <summary>
    /// Inserts the key's row (status 0 = in flight until this transaction stores the response), or returns the
    /// record already there. The unique index decides between concurrent claimants: the loser waits for the
    /// winner's commit and then sees its stored response.
    /// </summary>
    private static async Task<IdempotencyRecord?> ClaimKeyAsync(UnitOfWork uow, string accountId, string api, IdempotencyRequest idem)
    {
        var args = new
        {
            AccountId = accountId,
            Api = api,
            idem.Key,
            idem.Fingerprint,
            Now = uow.NowMs,
            ExpiresAt = uow.NowMs + (long)idem.Policy.Retention.TotalMilliseconds,
        };
        // An expired key is free again, as documented per API.
        await uow.ExecuteAsync(
            "DELETE FROM idempotency WHERE account_id = @AccountId AND api = @Api AND key = @Key AND expires_at <= @Now",
            args);
        var inserted = await uow.ExecuteAsync(
            """
            INSERT INTO idempotency (account_id, api, key, fingerprint, response_status, response_body, created_at, expires_at)
            VALUES (@AccountId, @Api, @Key, @Fingerprint, 0, '', @Now, @ExpiresAt)
            ON CONFLICT (account_id, api, key) DO NOTHING
            """,
            args);
        if (inserted == 1)
        {
            return null;
        }
        var row = await uow.QuerySingleOrDefaultAsync<IdempotencyRow>(
            """
            SELECT key AS Key, fingerprint AS Fingerprint, response_status AS ResponseStatus,
                   response_body AS ResponseBody, resource_id AS ResourceId, created_at AS CreatedAt
            FROM idempotency WHERE account_id = @AccountId AND api = @Api AND key = @Key
            """,
            args);
        if (row is null)
        {
            throw new ConcurrencyConflictException("idempotency key vanished between insert and read");
        }
        return new IdempotencyRecord(row.Key, row.Fingerprint, new StoredResponse(row.ResponseStatus, row.ResponseBody), row.ResourceId, row.CreatedAt);
    }

    public async ValueTask DisposeAsync()
    {
        if (Group is not null)
        {
            await Group.DisposeAsync();
        }
    }

    private sealed class IdempotencyRow
    {
        public string Key { get; set; } = "";

        public string Fingerprint { get; set; } = "";

        public int ResponseStatus { get; set; }

        public string ResponseBody { get; set; } = "";

        public string? ResourceId { get; set; }

        public long CreatedAt { get; set; }
    }
}
