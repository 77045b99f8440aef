using System.Globalization;
using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;

namespace Rescind.Server.DigiCert;

/// <summary>DigiCert's certificate orders for Rescind's own cancellation API and the console. Their states are the
/// order statuses the API shows; DigiCert's console filters "Pending" and "Emailed to Recipient" are
/// <c>pending</c> and <c>waiting_pickup</c>.</summary>
public static class DigiCertCancelTarget
{
    public static CancelTarget Orders { get; } = new(
        DigiCertStore.Api,
        DigiCertStore.OrderType,
        "Certificate order",
        DigiCertRules.OrderStatuses,
        [DigiCertRules.NeedsApproval, DigiCertRules.Pending, DigiCertRules.WaitingPickup, DigiCertRules.ReissuePending],
        ReasonRequired: true,
        id => TryId(id, out _),
        FindAsync,
        ListAsync,
        CountAsync,
        CancelAsync);

    /// <summary>Order ids are plain positive numbers without sign or leading zero (as the API prints them).</summary>
    private static bool TryId(string id, out long value) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0
        && value.ToString(CultureInfo.InvariantCulture) == id;

    private static async Task<ResourceDetail?> FindAsync(IServiceProvider services, string? accountId, string id, CancellationToken ct)
    {
        if (!TryId(id, out var orderId))
        {
            return null;
        }
        var db = services.GetRequiredService<Database>();
        var row = await DigiCertStore.GetOrderAsync(db, accountId, orderId, ct);
        return row is null ? null : Detail(row, await DigiCertStore.RequestsOfOrderAsync(db, orderId, ct));
    }

    private static async Task<IReadOnlyList<ResourceSummary>> ListAsync(IServiceProvider services, ResourceQuery q, CancellationToken ct)
    {
        long? after = null;
        if (q.After is not null)
        {
            if (!TryId(q.After, out var a))
            {
                return [];
            }
            after = a;
        }
        var rows = await DigiCertStore.ListOrdersAfterAsync(services.GetRequiredService<Database>(), q.AccountId, q.State, q.Search, after, q.Limit, ct);
        return [.. rows.Select(Summary)];
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountAsync(IServiceProvider services, string? accountId, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Status, long Count)>(
            $"SELECT status, COUNT(*) AS Count FROM digicert_orders {(accountId is null ? "" : "WHERE account_id = @accountId")} GROUP BY status",
            new { accountId });
        return DigiCertRules.OrderStatuses.ToDictionary(s => s, s => rows.Where(r => r.Status == s).Sum(r => r.Count));
    }

    /// <summary>The reason is DigiCert's note, which a pending order's cancel needs and a reissue's does not [doc];
    /// the command decides, as for the vendor route.</summary>
    private static async Task<CancelOutcome> CancelAsync(UnitOfWork uow, IServiceProvider services, string id, string? reason)
    {
        if (!TryId(id, out var orderId))
        {
            return new CancelOutcome.NotFound();
        }
        var outcome = await DigiCertCommands.CancelAsync(uow, orderId, string.IsNullOrWhiteSpace(reason) ? null : reason, withRequests: true);
        var notes = outcome is Outcome<DigiCertCommands.OrderView>.Done { Value: var after } ? Notes(after.Order) : [];
        return CancelOutcomes.From(uow, outcome, v => Detail(v.Order, v.Requests), DigiCertEnvelope.Describe, notes);
    }

    /// <summary>What else the cancel did, read from the order after it: a cancel ends in canceled, except that of a
    /// pending reissue, which returns the order to issued.</summary>
    private static IReadOnlyList<string> Notes(OrderRow after) => after switch
    {
        { Status: DigiCertRules.Issued } =>
            ["The pending reissue request is rejected; the order returns to issued and keeps its current certificate."],
        { RefundRequired: not 0 } =>
            ["The order was paid from the account balance: it is marked refund_required."],
        _ => [],
    };

    private static ResourceDetail Detail(OrderRow row, IEnumerable<RequestRow> requests)
    {
        var list = requests.ToList();
        return new(Summary(row), [.. list.Select(r => RequestSummary(row, r))], DigiCertJson.Serialize(DigiCertJson.Order(row, list)));
    }

    // CertCentral has no test mode [doc]: every order is live.
    private static ResourceSummary Summary(OrderRow row) =>
        new(DigiCertStore.Api, DigiCertStore.OrderType, row.Id.ToString(CultureInfo.InvariantCulture), row.AccountId, "live",
            row.Status, row.CommonName, row.DateCreated, row.DateUpdated);

    private static ResourceSummary RequestSummary(OrderRow order, RequestRow r) =>
        new(DigiCertStore.Api, DigiCertStore.RequestType, r.Id.ToString(CultureInfo.InvariantCulture), order.AccountId, "live",
            r.Status, r.Type, r.Date, r.DateProcessed ?? r.Date);
}
