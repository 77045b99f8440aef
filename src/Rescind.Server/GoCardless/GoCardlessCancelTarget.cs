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
        (services, accountId, ct) => CountAsync(services, "gc_billing_requests", GoCardlessRules.States, accountId, ct),
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


    private static async Task<CancelOutcome> CancelAsync(UnitOfWork uow, IServiceProvider services, string id, string? reason)
    {
        var outcome = await GoCardlessCommands.CancelAsync(uow, uow.Context.AccountId, id);
        return CancelOutcomes.From(uow, outcome, v => Detail(v.Request, v.Flows, uow.NowMs), GoCardlessEnvelope.Describe, Notes(uow.Recorded));
    }

    /// <summary>Which flows expire with the request (their links stop working).</summary>
    private static IReadOnlyList<string> Notes(IReadOnlyList<Change> recorded) =>
        [.. recorded.Where(c => c.ResourceType == GoCardlessStore.Flows && c.Action == GoCardlessRules.Expire)
            .Select(c => $"Billing request flow {c.ResourceId} expires: its link accepts nothing more.")];


    /// <summary>GoCardless mandates, with their payments as children (the cancel takes those still pending
    /// submission with it).</summary>
    public static CancelTarget Mandates { get; } = new(
        GoCardlessStore.Api,
        GoCardlessStore.Mandates,
        "Mandate",
        GoCardlessRules.MandateStates,
        [GoCardlessRules.PendingCustomerApproval, GoCardlessRules.PendingSubmission, GoCardlessRules.Submitted],
        ReasonRequired: false,
        id => GoCardlessRules.LooksLike(id, "MD"),
        FindMandateAsync,
        (services, q, ct) => ListAsync<MandateRow>(services, "gc_mandates", q, MandateSummary, ct),
        (services, accountId, ct) => CountAsync(services, "gc_mandates", GoCardlessRules.MandateStates, accountId, ct),
        (uow, services, id, reason) => CancelResourceAsync(uow, "gc_mandates", id,
            (caller, u) => GoCardlessResourceCommands.MandateAsync(u, caller, id, GoCardlessRules.Cancel),
            async (u, row) => MandateDetail(row, [.. await u.QueryAsync<PaymentRow>(PaymentsOf, new { mandateId = row.Id })])));

    /// <summary>GoCardless payments; only one still pending submission can be cancelled.</summary>
    public static CancelTarget Payments { get; } = new(
        GoCardlessStore.Api,
        GoCardlessStore.Payments,
        "Payment",
        GoCardlessRules.PaymentStates,
        [GoCardlessRules.PendingCustomerApproval, GoCardlessRules.PendingSubmission],
        ReasonRequired: false,
        id => GoCardlessRules.LooksLike(id, "PM"),
        FindPaymentAsync,
        (services, q, ct) => ListAsync<PaymentRow>(services, "gc_payments", q, PaymentSummary, ct),
        (services, accountId, ct) => CountAsync(services, "gc_payments", GoCardlessRules.PaymentStates, accountId, ct),
        (uow, services, id, reason) => CancelResourceAsync(uow, "gc_payments", id,
            (caller, u) => GoCardlessResourceCommands.PaymentAsync(u, caller, id, GoCardlessRules.Cancel),
            (_, row) => Task.FromResult(PaymentDetail(row))));

    private static async Task<ResourceDetail?> FindMandateAsync(IServiceProvider services, string? accountId, string id, CancellationToken ct)
    {
        var db = services.GetRequiredService<Database>();
        var row = await FindAnyModeAsync<MandateRow>(db, "gc_mandates", accountId, id, ct);
        return row is null ? null : MandateDetail(row, await PaymentsOfAsync(db, row.Id, ct));
    }

    private static async Task<ResourceDetail?> FindPaymentAsync(IServiceProvider services, string? accountId, string id, CancellationToken ct)
    {
        var row = await FindAnyModeAsync<PaymentRow>(services.GetRequiredService<Database>(), "gc_payments", accountId, id, ct);
        return row is null ? null : PaymentDetail(row);
    }

    private static async Task<T?> FindAnyModeAsync<T>(Database db, string table, string? accountId, string id, CancellationToken ct)
        where T : class
    {
        var rows = await GoCardlessStore.ListAnyModeAsync<T>(db, table, accountId, null, id, null, 1, ct);
        return rows.FirstOrDefault(r => r switch { MandateRow m => m.Id == id, PaymentRow p => p.Id == id, _ => false });
    }

    private static async Task<IReadOnlyList<PaymentRow>> PaymentsOfAsync(Database db, string mandateId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return [.. await connection.QueryAsync<PaymentRow>(new CommandDefinition(PaymentsOf, new { mandateId }, cancellationToken: ct))];
    }

    /// <summary>A mandate's payments, oldest first (read in the cancel's transaction, they show its cascade).</summary>
    private const string PaymentsOf =
        "SELECT id, account_id, mode, status, mandate_id, customer_id, creditor_id, billing_request_id, created_at, updated_at, version, body FROM gc_payments WHERE mandate_id = @mandateId ORDER BY created_at, id";

    private static async Task<IReadOnlyList<ResourceSummary>> ListAsync<T>(IServiceProvider services, string table, ResourceQuery q, Func<T, ResourceSummary> summary, CancellationToken ct) =>
        [.. (await GoCardlessStore.ListAnyModeAsync<T>(services.GetRequiredService<Database>(), table, q.AccountId, q.State, q.Search, q.After, q.Limit, ct)).Select(summary)];

    private static async Task<IReadOnlyDictionary<string, long>> CountAsync(IServiceProvider services, string table, IReadOnlyList<string> states, string? accountId, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<Database>().OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Status, long Count)>(
            $"SELECT status, COUNT(*) AS Count FROM {table} {(accountId is null ? "" : "WHERE account_id = @accountId")} GROUP BY status",
            new { accountId });
        return states.ToDictionary(s => s, s => rows.Where(r => r.Status == s).Sum(r => r.Count));
    }

    /// <summary>The API's cancel of a mandate or payment in the caller's transaction, in the mode the resource lives in.</summary>
    private static async Task<CancelOutcome> CancelResourceAsync<T>(
        UnitOfWork uow, string table, string id, Func<Caller, UnitOfWork, Task<Outcome<T>>> cancel, Func<UnitOfWork, T, Task<ResourceDetail>> detail)
    {
        var mode = await uow.QuerySingleOrDefaultAsync<string>(
            $"SELECT mode FROM {table} WHERE id = @id" + (uow.Context.AccountId is null ? "" : " AND account_id = @accountId"), new { id, accountId = uow.Context.AccountId });
        var account = await uow.QuerySingleOrDefaultAsync<string>($"SELECT account_id FROM {table} WHERE id = @id", new { id });
        var outcome = mode is null || account is null ? Outcome<T>.Missing(id) : await cancel(new Caller(account, mode, "api"), uow);
        ResourceDetail? after = null;
        if (outcome is Outcome<T>.Done done)
        {
            after = await detail(uow, done.Value);
        }
        return CancelOutcomes.From(uow, outcome, _ => after!, GoCardlessEnvelope.Describe,
            [.. uow.Recorded.Where(c => c.ResourceType == GoCardlessStore.Payments && c.Reason == "mandate cancelled").Select(c => $"Payment {c.ResourceId} is cancelled with its mandate.")]);
    }

    private static ResourceDetail MandateDetail(MandateRow row, IReadOnlyList<PaymentRow> payments) =>
        new(MandateSummary(row), [.. payments.Select(PaymentSummary)], GoCardlessJson.Wrap(GoCardlessStore.Mandates, GoCardlessJson.Mandate(row)));

    private static ResourceDetail PaymentDetail(PaymentRow row) =>
        new(PaymentSummary(row), [], GoCardlessJson.Wrap(GoCardlessStore.Payments, GoCardlessJson.Payment(row)));

    private static ResourceSummary MandateSummary(MandateRow row) =>
        new(GoCardlessStore.Api, GoCardlessStore.Mandates, row.Id, row.AccountId, Mode(row.Mode), row.Status, row.Reference, row.CreatedAt, row.UpdatedAt);

    private static ResourceSummary PaymentSummary(PaymentRow row) =>
        new(GoCardlessStore.Api, GoCardlessStore.Payments, row.Id, row.AccountId, Mode(row.Mode), row.Status, row.BillingRequestId, row.CreatedAt, row.UpdatedAt);

    private static string Mode(string mode) => mode == GoCardlessStore.Live ? "live" : "test";

    private static ResourceDetail Detail(BillingRequestRow row, IReadOnlyList<FlowRow> flows, long now) =>
        new(Summary(row), [.. flows.Select(f => new ResourceSummary(GoCardlessStore.Api, GoCardlessStore.Flows, f.Id, f.AccountId, Mode(f.Mode),
            GoCardlessRules.FlowState(f.State, f.ExpiresAt, now), null, f.CreatedAt, f.CreatedAt))],
            GoCardlessJson.Wrap(GoCardlessStore.BillingRequests, GoCardlessJson.BillingRequest(row)));

    private static ResourceSummary Summary(BillingRequestRow row) =>
        new(GoCardlessStore.Api, GoCardlessStore.BillingRequests, row.Id, row.AccountId, Mode(row.Mode), row.Status, row.CustomerId, row.CreatedAt, row.UpdatedAt);
}
