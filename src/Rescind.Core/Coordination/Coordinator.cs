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
        if (context.Idempotency is { } known && await StoredAsync(context, known, ct) is { } stored)
        {
            return Answer(known, stored);
        }
        try
        {
            return await RunInTransactionAsync(context, (uow, c) => WithKeyAsync(uow, work, render, c), ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable && context.Idempotency is { } idem)
        {
            // Another request holding the same key has not committed within the lock timeout.
            return idem.Policy.InFlight;
        }
    }

    /// <summary>Transitional: a work that still renders its own answer.</summary>
    public Task<StoredResponse> ExecuteAsync(OperationContext context, Func<UnitOfWork, CancellationToken, Task<StoredResponse>> work, CancellationToken ct) =>
        ExecuteAsync(context, work, static r => r, ct);

    /// <summary>
    /// The replay fast path: a key whose answer is already committed is answered from a plain read, without a
    /// write transaction (on SQLite, without queuing for the single writer). A key that is absent, expired or still
    /// in flight (its row is not committed, so not visible here) goes the normal way, where the claim decides.
    /// </summary>
    private async Task<IdempotencyRecord?> StoredAsync(OperationContext context, IdempotencyRequest idem, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<IdempotencyRow>(
            SelectKey + " AND response_status <> 0 AND expires_at > @Now",
            new { context.AccountId, context.Api, idem.Key, Now = Time.ToUnixMs(clock.GetUtcNow()) });
        return row?.ToRecord();
    }

    private static StoredResponse Answer(IdempotencyRequest idem, IdempotencyRecord seen) =>
        string.Equals(seen.Fingerprint, idem.Fingerprint, StringComparison.Ordinal)
            ? idem.Policy.OnRepeat(seen)
            : idem.Policy.OnMismatch(seen);

    private static async Task<StoredResponse> WithKeyAsync<T>(
        UnitOfWork uow, Func<UnitOfWork, CancellationToken, Task<T>> work, Func<T, StoredResponse> render, CancellationToken ct)
    {
        var context = uow.Context;
        var idem = context.Idempotency;
        if (idem is null)
        {
            return render(await work(uow, ct));
        }
        // On PostgreSQL a concurrent holder of the same key blocks the claim until it commits, bounded by the
        // session's lock timeout (Database.LockTimeout).
        var seen = await ClaimKeyAsync(uow, context.AccountId!, context.Api, idem);
        if (seen is not null)
        {
            uow.Discard = true;
            return Answer(idem, seen);
        }
        var response = render(await work(uow, ct));
        if (!response.Storable)
        {
            uow.Discard = true; // the claim goes with it: a retry may try again
            return response;
        }
        await uow.DeferAsync(
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

    private const string SelectKey =
        """
        SELECT key AS Key, fingerprint AS Fingerprint, response_status AS ResponseStatus,
               response_body AS ResponseBody, resource_id AS ResourceId, created_at AS CreatedAt
        FROM idempotency WHERE account_id = @AccountId AND api = @Api AND key = @Key
        """;

    /// <summary>
    /// Inserts the key's row (status 0 = in flight until this transaction stores the response), or returns the
    /// record already there. The unique index decides between concurrent claimants: the loser waits for the
    /// winner's commit and then sees its stored response. An expired key is free again, as documented per API: the
    /// same statement takes its row over, so a claim is one round trip.
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
        var claimed = await uow.ExecuteAsync(
            """
            INSERT INTO idempotency (account_id, api, key, fingerprint, response_status, response_body, created_at, expires_at)
            VALUES (@AccountId, @Api, @Key, @Fingerprint, 0, '', @Now, @ExpiresAt)
            ON CONFLICT (account_id, api, key) DO UPDATE
            SET fingerprint = excluded.fingerprint, response_status = 0, response_body = '', resource_id = NULL,
                created_at = excluded.created_at, expires_at = excluded.expires_at
            WHERE idempotency.expires_at <= @Now
            """,
            args);
        if (claimed == 1)
        {
            return null;
        }
        var row = await uow.QuerySingleOrDefaultAsync<IdempotencyRow>(SelectKey, args);
        if (row is null)
        {
            throw new ConcurrencyConflictException("idempotency key vanished between insert and read");
        }
        return row.ToRecord();
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

        public IdempotencyRecord ToRecord() =>
            new(Key, Fingerprint, new StoredResponse(ResponseStatus, ResponseBody), ResourceId, CreatedAt);
    }
}
