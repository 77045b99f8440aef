using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.GoCardless;

/// <summary>
/// The hosted page behind a flow's <c>authorisation_url</c>, where the payer completes the request's actions
/// [ours: Rescind serves it at /gocardless/flows/{id}; no access token, the unguessable flow id is the capability].
/// <code>
/// GET  /gocardless/flows/{id}                         HTML: the request's actions and a form per pending one
/// POST /gocardless/flows/{id}/actions/{action}        the payer completes collect_customer_details,
///                                                     collect_bank_account, confirm_payer_details or bank_authorisation
///                                                     (JSON {"data": {…}} or an HTML form); 200 with the request
/// </code>
/// An expired or cancelled request's flow says the link has expired (410) and accepts nothing.
/// </summary>
public static class GoCardlessFlowPage
{
    public static readonly string[] PayerActions =
        [GoCardlessRules.CollectCustomerDetails, GoCardlessRules.CollectBankAccount, GoCardlessRules.ConfirmPayerDetails, GoCardlessRules.BankAuthorisation];

    public static IEndpointRouteBuilder MapGoCardlessFlowPage(this IEndpointRouteBuilder app)
    {
        var page = app.MapGroup("/gocardless/flows").WithGroupName(GoCardlessStore.Api);
        page.MapGet("/{id}", ShowAsync).Produces<string>(200, "text/html").Produces<string>(404, "text/html").Produces<string>(410, "text/html");
        page.MapPost("/{id}/actions/{action}", CompleteAsync)
            .Accepts<BillingRequestActionBody>(isOptional: true, "application/json", "application/x-www-form-urlencoded")
            .Produces<BillingRequestEnvelope>(200)
            .WithMetadata(GoCardlessApi.Error(400), GoCardlessApi.Error(404), GoCardlessApi.Error(410), GoCardlessApi.Error(413), GoCardlessApi.Error(422));
        return app;
    }

    private static async Task<IResult> ShowAsync(string id, Database db, TimeProvider clock, CancellationToken ct)
    {
        var flow = GoCardlessRules.LooksLike(id, "BRF") ? await GoCardlessStore.GetFlowAsync(db, null, null, id, ct) : null;
        if (flow is null)
        {
            return Html(404, "Not found", "<p>This payment link does not exist.</p>");
        }
        if (GoCardlessRules.FlowState(flow.State, flow.ExpiresAt, Time.ToUnixMs(clock.GetUtcNow())) == GoCardlessRules.FlowExpired)
        {
            return Html(410, "Link expired", "<p>This link has expired. Please ask the merchant for a new one.</p>");
        }
        var request = (await GoCardlessStore.GetRequestAsync(db, null, null, flow.BillingRequestId, ct))!;
        var sb = new StringBuilder();
        sb.Append(CultureInfo(request)).Append("<ul>");
        foreach (var a in GoCardlessJson.Actions(request.Actions))
        {
            sb.Append("<li>").Append(WebUtility.HtmlEncode(a.Type)).Append(": ").Append(a.Status);
            if (!a.Completed && PayerActions.Contains(a.Type))
            {
                sb.Append($" <form method=\"post\" action=\"/gocardless/flows/{flow.Id}/actions/{a.Type}\"><button>Complete</button></form>");
            }
            sb.Append("</li>");
        }
        sb.Append("</ul>");
        return Html(200, "Set up your payment", sb.ToString());
    }

    private static string CultureInfo(BillingRequestRow r) =>
        $"<p>Billing request {WebUtility.HtmlEncode(r.Id)} is <strong>{WebUtility.HtmlEncode(r.Status)}</strong>.</p>";

    private static async Task<IResult> CompleteAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var rid = RequestIds.Of(http);
        if (!PayerActions.Contains(action))
        {
            return GoCardlessEnvelope.Usage(404, "path_not_found", "The payer cannot complete that action.", rid).ToResult();
        }
        var flow = GoCardlessRules.LooksLike(id, "BRF") ? await GoCardlessStore.GetFlowAsync(db, null, null, id, ct) : null;
        if (flow is null)
        {
            return GoCardlessEnvelope.NotFound(id, rid).ToResult();
        }
        System.Text.Json.Nodes.JsonObject data;
        if (http.Request.HasFormContentType || http.Request.ContentLength is null or 0)
        {
            data = GoCardlessSimulation.DefaultData(action); // a form button on the page: the simulated payer's details
        }
        else
        {
            var read = await JsonBody.ReadAsync(http.Request, options.Value.MaxBodyBytes, ct);
            using var doc = read.Document;
            if (doc is null)
            {
                return GoCardlessEnvelope.Usage(400, "invalid_json", read.Message!, rid).ToResult();
            }
            var payload = doc.RootElement.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : doc.RootElement;
            var (parsed, error) = GoCardlessInput.ActionData(action, payload);
            if (parsed is null)
            {
                return GoCardlessEnvelope.Invalid(error!.Error, error.Pointer, rid).ToResult();
            }
            data = parsed;
        }
        var ctx = new OperationContext(flow.AccountId, GoCardlessStore.ApiFor(flow.Mode), new Actor("payer", flow.Id), rid);
        var caller = new Caller(flow.AccountId, flow.Mode, "payer");
        var answer = await coordinator.ExecuteAsync(ctx, (uow, _) => GoCardlessCommands.ActAsync(uow, caller, flow.BillingRequestId, action, data, viaFlow: flow.Id),
            o => GoCardlessEnvelope.Request(o, rid), ct);
        return answer.ToResult();
    }

    private static IResult Html(int status, string title, string body) => Results.Content(
        $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>",
        "text/html; charset=utf-8", Encoding.UTF8, status);
}
