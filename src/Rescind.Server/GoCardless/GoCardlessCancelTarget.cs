using System.Text.Json;
using Dapper;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;

namespace Rescind.Server.GoCardless;

/// <summary>GoCardless billing requests, with their billing request flows as children, for Rescind's own
/// cancellation API and the console. Sandbox requests are Rescind's test mode.</summary>
public static class GoCardlessCancelTarget
{
    public static CancelTarget BillingRequests { get; } = new(
        GoCardlessStore.Api,
        GoCardlessStore.BillingRequests,
        "Billing request",
        GoCardlessRules.States,
        [GoCardlessRules.Pending, GoCardlessRules.ReadyToFulfil],
        ReasonRequired: false,
        id => GoCardlessRules.LooksLike(id, "BRQ"),
        FindAsync,
        ListAsync,
        CountAsync,
        CancelAsync);

    private static async Task<ResourceDetail?> FindAsync(IServiceProvider services, string? accountId, string id, CancellationToken ct)
    {
        var db = services.GetRequiredService<Database>();
        // With an account the store also wants a mode: a request lives in one of the two.
        var row = accountId is null
            ? await GoCardlessStore.GetRequestAsync(db, null, null, id, ct)
            : await GoCardlessStore.GetRequestAsync(db, accountId, GoCardlessStore.Live, id, ct)
              ?? await GoCardlessStore.GetRequestAsync(db, accountId, GoCardlessStore.Sandbox, id, ct);
        if (row is null)
        {
            return null;
        }
        await using var connection = await db.OpenAsync(ct);
        var flows = (await connection.QueryAsync<FlowRow>(new CommandDefinition(
            "SELECT id, account_id, mode, billing_request_id, state, created_at, expires_at FROM gc_flows WHERE billing_request_id = @id ORDER BY created_at, id", new { id }, cancellationToken: ct))).ToList();
        return Detail(row, flows, CancelOutcomes.NowMs(services));
    }

    private static async Task<IReadOnlyList<ResourceSummary>> ListAsync(IServiceProvider services, ResourceQuery q, CancellationToken ct)
    {
        var rows = await GoCardlessStore.ListRequestsAnyModeAsync(services.GetRequiredService<Database>(), q.AccountId, q.State, q.Search, q.After, q.Limit, ct);
        return [.. rows.Select(Summary)];
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountAsync(IServiceProvider services, string? accountId, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Status, long Count)>(
            $"SELECT status, COUNT(*) AS Count FROM gc_billing_requests {(accountId is null ? "" : "WHERE account_id = @accountId")} GROUP BY status",
            new { accountId });
        return GoCardlessRules.States.ToDictionary(s => s, s => rows.Where(r => r.Status == s).Sum(r => r.Count));
    }

    private static async Task<CancelOutcome> CancelAsync(UnitOfWork uow, IServiceProvider services, string id, string? reason)
    {
        var outcome = await GoCardlessCommands.CancelAsync(uow, uow.Context.AccountId, id);
        return CancelOutcomes.From(uow, outcome, v => Detail(v.Request, v.Flows, uow.NowMs), GoCardlessEnvelope.Describe, Notes(uow.Recorded));
    }

    /// <summary>Which flows expire with the request (their links stop working).</summary>
    private static IReadOnlyList<string> Notes(IReadOnlyList<Change> recorded) =>
        [.. recorded.Where(c => c.ResourceType == GoCardlessStore.Flows && c.Action == GoCardlessRules.Expire)
            .Select(c => $"Billing request flow {c.ResourceId} expires: its link accepts nothing more.")];


    private static string Mode(string mode) => mode == GoCardlessStore.Live ? "live" : "test";

    private static ResourceDetail Detail(BillingRequestRow row, IReadOnlyList<FlowRow> flows, long now) =>
        new(Summary(row), [.. flows.Select(f => new ResourceSummary(GoCardlessStore.Api, GoCardlessStore.Flows, f.Id, f.AccountId, Mode(f.Mode),
            GoCardlessRules.FlowState(f.State, f.ExpiresAt, now), null, f.CreatedAt, f.CreatedAt))],
            GoCardlessJson.Wrap(GoCardlessStore.BillingRequests, GoCardlessJson.BillingRequest(row)));

    private static ResourceSummary Summary(BillingRequestRow row) =>
        new(GoCardlessStore.Api, GoCardlessStore.BillingRequests, row.Id, row.AccountId, Mode(row.Mode), row.Status, row.CustomerId, row.CreatedAt, row.UpdatedAt);
}
