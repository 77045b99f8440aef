using System.Text.Json.Nodes;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;
using Rescind.Server.Operator;

namespace Rescind.Server.GoCardless;

/// <summary>
/// The payer's and GoCardless's side, for the operator.
/// <code>
/// POST /operator/gocardless/billing_requests/{id}/actions/{action}   the payer completes an action (default details)
/// POST /operator/gocardless/billing_requests/{id}/cancel             GoCardless cancels (event origin gocardless)
/// POST /operator/gocardless/billing_requests/{id}/fulfilling         GoCardless starts fulfilling (ready_to_fulfil → fulfilling)
/// POST /operator/gocardless/billing_requests/{id}/fulfil             GoCardless finishes fulfilling (→ fulfilled)
/// POST /operator/gocardless/billing_request_flows/{id}/abandon       the payer abandons a flow: it expires now
/// POST /operator/gocardless/mandates/{id}/{submit|activate|fail}     GoCardless moves a mandate on (submitted, active, failed)
/// POST /operator/gocardless/payments/{id}/{submit|confirm}           GoCardless submits a payment to the banks, then confirms it
/// </code>
/// Answers are GoCardless's object or GoCardless's envelope.
/// </summary>
public static class GoCardlessSimulation
{
    public static RouteGroupBuilder MapGoCardlessSimulation(this RouteGroupBuilder group)
    {
        group.MapPost("/billing_requests/{id}/actions/{action}", PayerOverHttpAsync).Simulating<BillingRequestEnvelope>();
        group.MapPost("/billing_requests/{id}/cancel", (string id, HttpContext http, Coordinator c, Database db, CancellationToken ct) => GoCardlessOverHttpAsync(id, GoCardlessRules.Cancel, http, c, db, ct))
            .Simulating<BillingRequestEnvelope>();
        group.MapPost("/billing_requests/{id}/fulfilling", (string id, HttpContext http, Coordinator c, Database db, CancellationToken ct) => GoCardlessOverHttpAsync(id, GoCardlessRules.StartFulfilling, http, c, db, ct))
            .Simulating<BillingRequestEnvelope>();
        group.MapPost("/billing_requests/{id}/fulfil", (string id, HttpContext http, Coordinator c, Database db, CancellationToken ct) => GoCardlessOverHttpAsync(id, GoCardlessRules.Fulfil, http, c, db, ct))
            .Simulating<BillingRequestEnvelope>();
        group.MapPost("/billing_request_flows/{id}/abandon", AbandonOverHttpAsync).Simulating<FlowEnvelope>();
        group.MapPost("/mandates/{id}/{command}", MandateOverHttpAsync).Simulating<MandateEnvelope>().WithMetadata(new Coverage.ServedValues("command", MandateMoves));
        group.MapPost("/payments/{id}/{command}", PaymentOverHttpAsync).Simulating<PaymentEnvelope>().WithMetadata(new Coverage.ServedValues("command", PaymentMoves));
        return group;
    }

    public const string Abandon = "abandon";

    /// <summary>The events of <c>rescind simulate gocardless</c>: the payer's actions, GoCardless's moves, a flow abandoned.</summary>
    public static readonly string[] Actions = [.. GoCardlessFlowPage.PayerActions, GoCardlessRules.Cancel, "fulfilling", GoCardlessRules.Fulfil, Abandon];

    /// <summary><c>rescind simulate gocardless &lt;action&gt; --billing-request ID</c> (<c>abandon --flow ID</c>): the same
    /// events as the operator routes (the verb checks the action).</summary>
    public static async Task<Simulated> RunFromCliAsync(string action, Cli.CliArgs a, IServiceProvider services)
    {
        var coordinator = services.GetRequiredService<Coordinator>();
        var db = services.GetRequiredService<Database>();
        var actor = Actor.Operator(null);
        if (action == Abandon)
        {
            return Simulated.Of(await AbandonAsync(coordinator, db, actor, a.Require("flow"), null, CancellationToken.None), o => GoCardlessEnvelope.Flow(o, null).Body);
        }
        var id = a.Require("billing-request");
        var outcome = GoCardlessFlowPage.PayerActions.Contains(action)
            ? await PayerActsAsync(coordinator, db, actor, id, action, null, CancellationToken.None)
            : await GoCardlessActsAsync(coordinator, db, actor, id, action == "fulfilling" ? GoCardlessRules.StartFulfilling : action, null, CancellationToken.None);
        return Simulated.Of(outcome, o => GoCardlessEnvelope.Request(o, null).Body);
    }

    /// <summary>A simulated event: no fields, the GoCardless object as the event leaves it, GoCardless's envelope
    /// for what it refuses.</summary>
    private static RouteHandlerBuilder Simulating<TResult>(this RouteHandlerBuilder route) =>
        route.Accepts<GoCardlessEventBody>(isOptional: true, "application/json").Produces<TResult>(200)
            .WithMetadata(GoCardlessApi.Error(404), GoCardlessApi.Error(410), GoCardlessApi.Error(422));

    /// <summary>What the simulated payer enters for each action.</summary>
    public static JsonObject DefaultData(string action) => action switch
    {
        GoCardlessRules.CollectCustomerDetails => new JsonObject
        {
            ["customer"] = new JsonObject { ["email"] = "payer@example.com", ["given_name"] = "Pat", ["family_name"] = "Payer" },
            ["customer_billing_detail"] = new JsonObject { ["address_line1"] = "1 Test Street", ["city"] = "London", ["postal_code"] = "E8 3GX", ["country_code"] = "GB" },
        },
        GoCardlessRules.CollectBankAccount => new JsonObject
        {
            ["account_holder_name"] = "PAT PAYER",
            ["account_number"] = "55779911",
            ["branch_code"] = "200000",
            ["country_code"] = "GB",
        },
        _ => [],
    };

    /// <summary>The payer completes <paramref name="action"/> on a request of any account with the default details.</summary>
    public static async Task<Outcome<BillingRequestRow>> PayerActsAsync(Coordinator coordinator, Database db, Actor actor, string id, string action, string? httpRequestId, CancellationToken ct) =>
        await RequestEventAsync(coordinator, db, actor, id, action, "payer", DefaultData(action), httpRequestId, ct);

    /// <summary>GoCardless itself moves a request of any account on (cancel, start fulfilling, fulfil).</summary>
    public static async Task<Outcome<BillingRequestRow>> GoCardlessActsAsync(Coordinator coordinator, Database db, Actor actor, string id, string command, string? httpRequestId, CancellationToken ct) =>
        await RequestEventAsync(coordinator, db, actor, id, command, "gocardless", [], httpRequestId, ct);

    private static async Task<Outcome<BillingRequestRow>> RequestEventAsync(
        Coordinator coordinator, Database db, Actor actor, string id, string command, string origin, JsonObject data, string? httpRequestId, CancellationToken ct)
    {
        var row = GoCardlessRules.LooksLike(id, "BRQ") ? await GoCardlessStore.GetRequestAsync(db, null, null, id, ct) : null;
        if (row is null)
        {
            return Outcome<BillingRequestRow>.Missing(id);
        }
        var ctx = new OperationContext(row.AccountId, GoCardlessStore.ApiFor(row.Mode), actor, httpRequestId);
        var caller = new Caller(row.AccountId, row.Mode, origin);
        return await coordinator.RunAsync(ctx, (uow, _) => GoCardlessCommands.ActAsync(uow, caller, id, command, data), ct);
    }

    /// <summary>The payer abandons a flow of any account: it expires now.</summary>
    public static async Task<Outcome<FlowRow>> AbandonAsync(Coordinator coordinator, Database db, Actor actor, string id, string? httpRequestId, CancellationToken ct)
    {
        var flow = GoCardlessRules.LooksLike(id, "BRF") ? await GoCardlessStore.GetFlowAsync(db, null, null, id, ct) : null;
        if (flow is null)
        {
            return Outcome<FlowRow>.Missing(id);
        }
        var ctx = new OperationContext(flow.AccountId, GoCardlessStore.ApiFor(flow.Mode), actor, httpRequestId);
        return await coordinator.RunAsync(ctx, (uow, _) => GoCardlessCommands.ExpireFlowAsync(uow, id, abandoned: true), ct);
    }

    private static async Task<IResult> PayerOverHttpAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        var rid = RequestIds.Of(http);
        if (!GoCardlessFlowPage.PayerActions.Contains(action))
        {
            return GoCardlessEnvelope.Usage(404, "path_not_found", "The payer cannot complete that action.", rid).ToResult();
        }
        return GoCardlessEnvelope.Request(await PayerActsAsync(coordinator, db, OperatorApi.Actor(http), id, action, rid, ct), rid).ToResult();
    }

    private static async Task<IResult> GoCardlessOverHttpAsync(string id, string command, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        var rid = RequestIds.Of(http);
        return GoCardlessEnvelope.Request(await GoCardlessActsAsync(coordinator, db, OperatorApi.Actor(http), id, command, rid, ct), rid).ToResult();
    }

    public static readonly string[] MandateMoves = [GoCardlessRules.Submit, GoCardlessRules.Activate, GoCardlessRules.Fail];

    public static readonly string[] PaymentMoves = [GoCardlessRules.Submit, GoCardlessRules.Confirm];

    /// <summary>GoCardless moves a mandate of any account on (event origin gocardless).</summary>
    public static Task<Outcome<MandateRow>> MoveMandateAsync(Coordinator coordinator, Database db, Actor actor, string id, string command, string? httpRequestId, CancellationToken ct) =>
        MoveAsync(coordinator, db, actor, id, "MD", "gc_mandates", (uow, caller) => GoCardlessResourceCommands.MandateAsync(uow, caller, id, command), httpRequestId, ct);

    /// <summary>GoCardless moves a payment of any account on: submission to the banks, confirmation.</summary>
    public static Task<Outcome<PaymentRow>> MovePaymentAsync(Coordinator coordinator, Database db, Actor actor, string id, string command, string? httpRequestId, CancellationToken ct) =>
        MoveAsync(coordinator, db, actor, id, "PM", "gc_payments", (uow, caller) => GoCardlessResourceCommands.PaymentAsync(uow, caller, id, command), httpRequestId, ct);

    private static async Task<Outcome<T>> MoveAsync<T>(
        Coordinator coordinator, Database db, Actor actor, string id, string prefix, string table, Func<UnitOfWork, Caller, Task<Outcome<T>>> work, string? httpRequestId, CancellationToken ct)
    {
        var owner = GoCardlessRules.LooksLike(id, prefix) ? await GoCardlessStore.OwnerAsync(db, table, id, ct) : null;
        if (owner is not { } o)
        {
            return Outcome<T>.Missing(id);
        }
        var ctx = new OperationContext(o.AccountId, GoCardlessStore.ApiFor(o.Mode), actor, httpRequestId);
        return await coordinator.RunAsync(ctx, (uow, _) => work(uow, new Caller(o.AccountId, o.Mode, "gocardless")), ct);
    }

    private static async Task<IResult> MandateOverHttpAsync(string id, string command, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        var rid = RequestIds.Of(http);
        return !MandateMoves.Contains(command)
            ? GoCardlessEnvelope.Usage(404, "path_not_found", "GoCardless has no such mandate event.", rid).ToResult()
            : GoCardlessEnvelope.Mandate(await MoveMandateAsync(coordinator, db, OperatorApi.Actor(http), id, command, rid, ct), rid).ToResult();
    }

    private static async Task<IResult> PaymentOverHttpAsync(string id, string command, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        var rid = RequestIds.Of(http);
        return !PaymentMoves.Contains(command)
            ? GoCardlessEnvelope.Usage(404, "path_not_found", "GoCardless has no such payment event.", rid).ToResult()
            : GoCardlessEnvelope.Payment(await MovePaymentAsync(coordinator, db, OperatorApi.Actor(http), id, command, rid, ct), rid).ToResult();
    }

    private static async Task<IResult> AbandonOverHttpAsync(string id, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        var rid = RequestIds.Of(http);
        return GoCardlessEnvelope.Flow(await AbandonAsync(coordinator, db, OperatorApi.Actor(http), id, rid, ct), rid).ToResult();
    }
}
