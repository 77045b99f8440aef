using System.Text.Json.Nodes;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
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
/// </code>
/// Answers are GoCardless's object or GoCardless's envelope.
/// </summary>
public static class GoCardlessSimulation
{
    public static RouteGroupBuilder MapGoCardlessSimulation(this RouteGroupBuilder group)
    {
        group.MapPost("/billing_requests/{id}/actions/{action}", PayerAsync);
        group.MapPost("/billing_requests/{id}/cancel", (string id, HttpContext http, Coordinator c, Database db, CancellationToken ct) => GoCardlessAsync(id, GoCardlessRules.Cancel, http, c, db, ct));
        group.MapPost("/billing_requests/{id}/fulfilling", (string id, HttpContext http, Coordinator c, Database db, CancellationToken ct) => GoCardlessAsync(id, GoCardlessRules.StartFulfilling, http, c, db, ct));
        group.MapPost("/billing_requests/{id}/fulfil", (string id, HttpContext http, Coordinator c, Database db, CancellationToken ct) => GoCardlessAsync(id, GoCardlessRules.Fulfil, http, c, db, ct));
        group.MapPost("/billing_request_flows/{id}/abandon", AbandonAsync);
        return group;
    }

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
            ["account_holder_name"] = "PAT PAYER", ["account_number"] = "55779911", ["branch_code"] = "200000", ["country_code"] = "GB",
        },
        _ => [],
    };

    private static async Task<IResult> PayerAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        if (!GoCardlessFlowPage.PayerActions.Contains(action))
        {
            return GoCardlessEnvelope.Usage(404, "path_not_found", "The payer cannot complete that action.", RequestIds.Of(http)).ToResult();
        }
        var row = GoCardlessRules.LooksLike(id, "BRQ") ? await GoCardlessStore.GetRequestAsync(db, null, null, id, ct) : null;
        if (row is null)
        {
            return GoCardlessEnvelope.NotFound(id, RequestIds.Of(http)).ToResult();
        }
        var ctx = new OperationContext(row.AccountId, GoCardlessStore.ApiFor(row.Mode), OperatorApi.Actor(http), RequestIds.Of(http));
        return (await GoCardlessCommands.ActAsync(coordinator, ctx, new Caller(row.AccountId, row.Mode, "payer"), id, action, DefaultData(action), ct)).ToResult();
    }

    private static async Task<IResult> GoCardlessAsync(string id, string command, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        var row = GoCardlessRules.LooksLike(id, "BRQ") ? await GoCardlessStore.GetRequestAsync(db, null, null, id, ct) : null;
        if (row is null)
        {
            return GoCardlessEnvelope.NotFound(id, RequestIds.Of(http)).ToResult();
        }
        var ctx = new OperationContext(row.AccountId, GoCardlessStore.ApiFor(row.Mode), OperatorApi.Actor(http), RequestIds.Of(http));
        return (await GoCardlessCommands.ActAsync(coordinator, ctx, new Caller(row.AccountId, row.Mode, "gocardless"), id, command, [], ct)).ToResult();
    }

    private static async Task<IResult> AbandonAsync(string id, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        var flow = GoCardlessRules.LooksLike(id, "BRF") ? await GoCardlessStore.GetFlowAsync(db, null, null, id, ct) : null;
        if (flow is null)
        {
            return GoCardlessEnvelope.NotFound(id, RequestIds.Of(http)).ToResult();
        }
        var ctx = new OperationContext(flow.AccountId, GoCardlessStore.ApiFor(flow.Mode), OperatorApi.Actor(http), RequestIds.Of(http));
        return (await GoCardlessCommands.ExpireFlowAsync(coordinator, ctx, id, abandoned: true, ct)).ToResult();
    }
}
