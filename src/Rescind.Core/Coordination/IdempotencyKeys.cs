using Dapper;
using Rescind.Core.Storage;

namespace Rescind.Core.Coordination;

/// <summary>
/// Idempotency keys: a unique row per (account, API, key) holding the request's fingerprint and the answer the
/// API rendered, written in the same transaction as the effect. Same key and request: the stored answer; another
/// request: the API's mismatch answer; still in flight: its in-flight answer; expired: free again.
/// </summary>
internal static class IdempotencyKeys
{
    /// <summary>
    /// The replay fast path: a key whose answer is already committed is answered from a plain read, without a
    /// write transaction (on SQLite, without queuing for the single writer). A key that is absent, expired or still
    /// in flight (its row is not committed, so not visible here) goes the normal way, where the claim decides.
    /// </summary>
    internal static async Task<IdempotencyRecord?> StoredAsync(Database db, TimeProvider clock, OperationContext context, IdempotencyRequest idem, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<IdempotencyRow>(new CommandDefinition(
            SelectKey + " AND response_status <> 0 AND expires_at > @Now", new { context.AccountId, context.Api, idem.Mode, idem.Key, Now = Time.ToUnixMs(clock.GetUtcNow()) }, cancellationToken: ct));
        return row?.ToRecord();
    }

    internal static StoredResponse Answer(IdempotencyRequest idem, IdempotencyRecord seen) =>
        string.Equals(seen.Fingerprint, idem.Fingerprint, StringComparison.Ordinal)
            ? idem.Policy.OnRepeat(seen)
            : idem.Policy.OnMismatch(seen);

    internal static async Task<StoredResponse> WithKeyAsync<T>(
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
            WHERE account_id = @AccountId AND api = @Api AND mode = @Mode AND key = @Key
            """,
            new
            {
                response.Status,
                response.Body,
                ResourceId = uow.Recorded.Count > 0 ? uow.Recorded[0].ResourceId : null,
                context.AccountId,
                context.Api,
                idem.Mode,
                idem.Key,
            });
        return response;
    }

    private const string SelectKey =
        """
        SELECT key, fingerprint, response_status,
               response_body, resource_id, created_at
        FROM idempotency WHERE account_id = @AccountId AND api = @Api AND mode = @Mode AND key = @Key
        """;

    /// <summary>
    /// Inserts the key's row (status 0 = in flight until this transaction stores the response), or returns the
    /// record already there. The unique index decides between concurrent claimants: the loser waits for the
    /// winner's commit and then sees its stored response. An expired key is free again, as documented per API: the
    /// same statement takes its row over, so a claim is one round trip.
    /// </summary>
    private static async Task<IdempotencyRecord?> ClaimKeyAsync(UnitOfWork uow, string accountId, string api, IdempotencyRequest idem)
    {
        // The clock itself, not the transaction's Now: a claim comes before the work's row locks, and reading Now
        // here would fix the transaction's time before any lock wait.
        var nowMs = Time.ToUnixMs(uow.Clock.GetUtcNow());
        var args = new
        {
            AccountId = accountId,
            Api = api,
            idem.Mode,
            idem.Key,
            idem.Fingerprint,
            Now = nowMs,
            ExpiresAt = nowMs + (long)idem.Policy.Retention.TotalMilliseconds,
        };
        var claimed = await uow.ExecuteAsync(
            """
            INSERT INTO idempotency (account_id, api, mode, key, fingerprint, response_status, response_body, created_at, expires_at)
            VALUES (@AccountId, @Api, @Mode, @Key, @Fingerprint, 0, '', @Now, @ExpiresAt)
            ON CONFLICT (account_id, api, mode, key) DO UPDATE
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
