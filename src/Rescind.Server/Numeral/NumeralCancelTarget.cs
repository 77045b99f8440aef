using Dapper;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;

namespace Rescind.Server.Numeral;

/// <summary>Numeral's certificate requests for Rescind's own cancellation API and the console.</summary>
public static class NumeralCancelTarget
{
    public static CancelTarget Requests { get; } = new(
        NumeralStore.Api,
        NumeralStore.RequestType,
        "Tax certificate request",
        NumeralRules.PublicStates,
        [NumeralRules.Pending],
        ReasonRequired: false,
        id => Ids.HasUuidSuffix(id, "cert_req_"),
        FindAsync,
        ListAsync,
        CountAsync,
        CancelAsync);

    private static async Task<ResourceDetail?> FindAsync(IServiceProvider services, string? accountId, string id, CancellationToken ct)
    {
        var row = await NumeralStore.GetRequestAsync(services.GetRequiredService<Database>(), accountId, id, ct);
        return row is null ? null : Detail(row, CancelOutcomes.NowMs(services));
    }

    private static async Task<IReadOnlyList<ResourceSummary>> ListAsync(IServiceProvider services, ResourceQuery q, CancellationToken ct)
    {
        var db = services.GetRequiredService<Database>();
        var now = CancelOutcomes.NowMs(services);
        if (q.Search is { } search && Ids.HasUuidSuffix(search, "cert_req_"))
        {
            var row = await NumeralStore.GetRequestAsync(db, q.AccountId, search, ct);
            return row is null || (q.State is not null && Summary(row, now).State != q.State) ? [] : [Summary(row, now)];
        }
        IReadOnlyList<string>? customers = null;
        if (q.Search is not null)
        {
            // Anything else searched is the customer's own reference.
            await using var connection = await db.OpenAsync(ct);
            customers = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT id FROM numeral_customers WHERE reference_customer_id = @Search" + (q.AccountId is null ? "" : " AND account_id = @AccountId"), new { q.Search, q.AccountId }, cancellationToken: ct))).ToList();
            if (customers.Count == 0)
            {
                return [];
            }
        }
        var after = q.After is null ? null : await NumeralStore.CursorAsync(db, q.AccountId, q.After, ct);
        if (q.After is not null && after is null)
        {
            return [];
        }
        var rows = await NumeralStore.ListRequestsAsync(db, new NumeralStore.ListFilter(
            q.AccountId, customers, null, null, null, null, null, after, q.Limit, q.State, now), ct);
        return [.. rows.Select(r => Summary(r, now))];
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountAsync(IServiceProvider services, string? accountId, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        // A pending request past expires_at already counts as invalid, as the API shows it.
        var rows = await connection.QueryAsync<(string Status, long Count)>(
            $"""
            SELECT CASE WHEN status = 'processing' THEN 'pending'
                        WHEN status = 'failed' OR (status = 'pending' AND expires_at <= @now) THEN 'invalid'
                        ELSE status END AS Status, COUNT(*) AS Count
            FROM numeral_requests {(accountId is null ? "" : "WHERE account_id = @accountId")}
            GROUP BY 1
            """,
            new { accountId, now = CancelOutcomes.NowMs(services) });
        return NumeralRules.PublicStates.ToDictionary(s => s, s => rows.Where(r => r.Status == s).Sum(r => r.Count));
    }

    private static async Task<CancelOutcome> CancelAsync(UnitOfWork uow, IServiceProvider services, string id, string? reason)
    {
        var reminders = await uow.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM numeral_reminders WHERE request_id = @id", new { id });
        var outcome = await NumeralCommands.RunAsync(uow, id, NumeralRules.Cancel);
        IReadOnlyList<string> notes = reminders > 0 ? ["The scheduled reminder e-mails to the customer stop."] : [];
        return CancelOutcomes.From(uow, outcome, r => Detail(r.Row, r.Now), NumeralEnvelope.Describe, notes);
    }

    private static ResourceDetail Detail(RequestRow row, long now) =>
        new(Summary(row, now), [], NumeralJson.Serialize(NumeralJson.Request(row, now)));

    // Certificate requests are live-only.
    private static ResourceSummary Summary(RequestRow row, long now) =>
        new(NumeralStore.Api, NumeralStore.RequestType, row.Id, row.AccountId, "live",
            NumeralRules.PublicStatus(row.Status, row.ExpiresAt, now), row.CustomerReference, row.CreatedAt, row.UpdatedAt);
}
