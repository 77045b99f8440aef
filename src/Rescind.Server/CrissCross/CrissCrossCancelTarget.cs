using Dapper;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;

namespace Rescind.Server.CrissCross;

/// <summary>CrissCross Collect's checkout sessions, with their transactions as children, for Rescind's own
/// cancellation API and the console. A cancel that must wait for a provider is pending cancellation, with the
/// transactions that cannot be stopped.</summary>
public static class CrissCrossCancelTarget
{
    public static CancelTarget Sessions { get; } = new(
        CrissCrossStore.Api,
        CrissCrossStore.SessionType,
        "Checkout session",
        CrissCrossRules.SessionStates,
        [CrissCrossRules.Open, CrissCrossRules.Processing, CrissCrossRules.PendingCancellation],
        ReasonRequired: false,
        Ids.IsUuidV7, // as are Circle transaction ids: qualify with crisscross:
        FindAsync,
        ListAsync,
        CountAsync,
        CancelAsync);

    private static async Task<ResourceDetail?> FindAsync(IServiceProvider services, string? accountId, string id, CancellationToken ct)
    {
        var db = services.GetRequiredService<Database>();
        var row = await CrissCrossStore.GetSessionAsync(db, accountId, id, ct);
        return row is null ? null : Detail(services, row, await CrissCrossStore.TransactionsOfAsync(db, [row.Id], ct), CancelOutcomes.NowMs(services));
    }

    private static async Task<IReadOnlyList<ResourceSummary>> ListAsync(IServiceProvider services, ResourceQuery q, CancellationToken ct)
    {
        var db = services.GetRequiredService<Database>();
        var after = q.After is null ? null : await CrissCrossStore.CursorAsync(db, q.AccountId, q.After, ct);
        if (q.After is not null && after is null)
        {
            return [];
        }
        var now = CancelOutcomes.NowMs(services);
        var rows = await CrissCrossStore.ListSessionsAsync(db, q.AccountId, q.State, after, q.Limit, now, ct, q.Search);
        return [.. rows.Select(r => Summary(r, now))];
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountAsync(IServiceProvider services, string? accountId, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        // An open session past expiresAt already counts as expired, as the API shows it.
        var rows = await connection.QueryAsync<(string Status, long Count)>(
            $"""
            SELECT CASE WHEN status = 'OPEN' AND expires_at <= @now THEN 'EXPIRED' ELSE status END AS Status, COUNT(*) AS Count
            FROM crisscross_sessions {(accountId is null ? "" : "WHERE account_id = @accountId")}
            GROUP BY 1
            """,
            new { accountId, now = CancelOutcomes.NowMs(services) });
        return CrissCrossRules.SessionStates.ToDictionary(s => s, s => rows.Where(r => r.Status == s).Sum(r => r.Count));
    }

    private static async Task<CancelOutcome> CancelAsync(UnitOfWork uow, IServiceProvider services, string id, string? reason)
    {
        var options = services.GetRequiredService<IOptions<CrissCrossOptions>>().Value;
        var outcome = await CrissCrossCommands.CancelAsync(uow, id, reason, options);
        return CancelOutcomes.From(uow, outcome, v => Detail(services, v.Session, v.Transactions, v.Now), CrissCrossEnvelope.Describe, Notes(uow.Recorded));
    }

    /// <summary>The cascade in words: which in-flight transactions this cancel stopped.</summary>
    private static IReadOnlyList<string> Notes(IReadOnlyList<Change> recorded) =>
        [.. recorded.Where(c => c.ResourceType == CrissCrossStore.TransactionType && c.Action == CrissCrossRules.Cancel)
            .Select(c => $"In-flight transaction {c.ResourceId} is cancelled with its provider ({c.From} to {c.To}).")];

    private static ResourceDetail Detail(IServiceProvider services, SessionRow row, IReadOnlyList<TransactionRow> transactions, long now)
    {
        var options = services.GetRequiredService<IOptions<CrissCrossOptions>>().Value;
        return new(Summary(row, now), [.. transactions.Select(TransactionSummary)],
            CrissCrossJson.Serialize(CrissCrossJson.Session(row, transactions, now, options.PaymentLinkBase)));
    }

    // Collect credentials are live only [ours], so every session is live.
    private static ResourceSummary Summary(SessionRow row, long now) =>
        new(CrissCrossStore.Api, CrissCrossStore.SessionType, row.Id, row.AccountId, "live",
            CrissCrossRules.PublicStatus(row.Status, row.ExpiresAt, now), row.MerchantReference, row.CreatedAt, row.UpdatedAt);

    private static ResourceSummary TransactionSummary(TransactionRow t) =>
        new(CrissCrossStore.Api, CrissCrossStore.TransactionType, t.Id, t.AccountId, "live", t.Status, t.Provider, t.CreatedAt, t.UpdatedAt);
}
