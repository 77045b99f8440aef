using Dapper;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's outbound transactions for Rescind's own cancellation API and the console. Cancel is best effort: after
/// broadcast it submits a replacement transaction that races the original, which Rescind reports as pending
/// cancellation until one of the two is mined. Circle's own route needs a single-use entity-secret ciphertext;
/// through Rescind's own API the account's Rescind key is the authority, so this cancel runs without one [ours].
/// </summary>
public static class CircleCancelTarget
{
    public static CancelTarget Transactions { get; } = new(
        CircleStore.Api,
        CircleStore.TransactionType,
        "Wallet transaction",
        CircleRules.PublicStates,
        [CircleRules.Initiated, CircleRules.Queued, CircleRules.Cleared, CircleRules.Sent, CircleRules.Stuck],
        ReasonRequired: false,
        Ids.IsUuidV7, // as are CrissCross session ids: qualify with circle:
        FindAsync,
        ListAsync,
        CountAsync,
        CancelAsync);

    private static async Task<ResourceDetail?> FindAsync(IServiceProvider services, string? accountId, string id, CancellationToken ct)
    {
        var row = await CircleStore.GetTransactionAsync(services.GetRequiredService<Database>(), accountId, null, id, ct);
        return row is null ? null : Detail(row);
    }

    private static async Task<IReadOnlyList<ResourceSummary>> ListAsync(IServiceProvider services, ResourceQuery q, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        var where = "1 = 1"
            + (q.AccountId is null ? "" : " AND account_id = @AccountId")
            // CANCEL_PENDING shows as SENT [ours], so it is found under SENT.
            + (q.State is null ? "" : q.State == CircleRules.Sent ? " AND state IN ('SENT', 'CANCEL_PENDING')" : " AND state = @State")
            + (q.Search is null ? "" : " AND (id = @Search OR ref_id = @Search OR tx_hash = @Search)");
        long? at = null;
        if (q.After is not null)
        {
            at = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition("SELECT created_at FROM circle_transactions WHERE id = @After", new { q.After }, cancellationToken: ct));
            if (at is null)
            {
                return [];
            }
            where += " AND (created_at < @At OR (created_at = @At AND id < @After))";
        }
        var rows = await connection.QueryAsync<TransactionRow>(new CommandDefinition(
            $"SELECT {CircleStore.TransactionColumns} FROM circle_transactions WHERE {where} ORDER BY created_at DESC, id DESC LIMIT @Take", new { q.AccountId, q.State, q.Search, q.After, At = at, Take = q.Limit + 1 }, cancellationToken: ct));
        return [.. rows.Select(Summary)];
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountAsync(IServiceProvider services, string? accountId, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        var rows = await connection.QueryAsync<(string State, long Count)>(
            $"""
            SELECT CASE WHEN state = 'CANCEL_PENDING' THEN 'SENT' ELSE state END AS State, COUNT(*) AS Count
            FROM circle_transactions {(accountId is null ? "" : "WHERE account_id = @accountId")} GROUP BY 1
            """,
            new { accountId });
        return CircleRules.PublicStates.ToDictionary(s => s, s => rows.Where(r => r.State == s).Sum(r => r.Count));
    }

    private static async Task<CancelOutcome> CancelAsync(UnitOfWork uow, IServiceProvider services, string id, string? reason)
    {
        // One read under lock names the transaction (of this account), its mode and its state.
        if (await CircleStore.LockTransactionAsync(uow, id) is not { } row || row.AccountId != uow.Context.AccountId)
        {
            return new CancelOutcome.NotFound();
        }
        if (row.State == CircleRules.Cancelled)
        {
            // Circle refuses a cancel of a cancelled transaction (155215); in one vocabulary it is already canceled.
            return new CancelOutcome.AlreadyCanceled(Detail(row));
        }
        var outcome = await CircleCommands.ActAsync(uow, row.Mode, null, id, CircleRules.Cancel);
        if (outcome is Outcome<TransactionRow>.AlreadyDone { Value: { State: CircleRules.Replacing } racing })
        {
            // Asked again while its replacement races: in Rescind's words the cancel is still pending.
            outcome = Outcome.Deferred(racing, [racing.Id]);
        }
        // The original is on the chain and cannot be recalled: it may still be mined before the replacement.
        IReadOnlyList<string> notes = outcome is Outcome<TransactionRow>.Deferred
            ? ["A replacement transaction (same nonce, zero value, higher fee) races the original; the cancel settles when one of them is mined."]
            : [];
        return CancelOutcomes.From(uow, outcome, Detail, CircleEnvelope.Describe, notes);
    }

    private static ResourceDetail Detail(TransactionRow row) =>
        new(Summary(row), [], CircleJson.Data(new TransactionData(CircleJson.Transaction(row))));

    private static ResourceSummary Summary(TransactionRow row) =>
        new(CircleStore.Api, CircleStore.TransactionType, row.Id, row.AccountId, row.Mode,
            CircleRules.Transactions.Project(row.State), row.RefId, row.CreatedAt, row.UpdatedAt);
}
