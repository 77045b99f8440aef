using System.Globalization;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Webhooks;
using Rescind.Server.Http;
using Rescind.Server.Operator;

namespace Rescind.Server.Webhooks;

/// <summary>
/// Webhook endpoints and the delivery log, for the operator (for APIs whose vendor has no endpoint API of its own).
/// <code>
/// POST   /operator/webhook-endpoints                        {account_id, api, url, timeout_ms?} → secret shown once
/// GET    /operator/webhook-endpoints?account_id=            list
/// DELETE /operator/webhook-endpoints/{id}                   disable (pending deliveries are dead-lettered)
/// GET    /operator/webhook-deliveries?endpoint_id&amp;event_id&amp;status&amp;account_id&amp;after&amp;limit
/// GET    /operator/webhook-deliveries/{id}/attempts         every attempt: status, latency, response excerpt, error
/// POST   /operator/webhook-deliveries/{id}/redeliver        queue it again, due now
/// </code>
/// </summary>
public static class WebhooksOperatorApi
{
    public static RouteGroupBuilder MapWebhooks(this RouteGroupBuilder op)
    {
        op.MapPost("/webhook-endpoints", CreateAsync)
            .Accepts<NewWebhookEndpointBody>("application/json").Produces<CreatedWebhookEndpoint>(201).ProducesProblems(400, 404, 413);
        op.MapGet("/webhook-endpoints", ListAsync).Parameters(OperatorApi.Query("account_id")).Produces<WebhookEndpointList>(200);
        op.MapDelete("/webhook-endpoints/{id}", DisableAsync).Produces<DisabledWebhookEndpoint>(200).ProducesProblems(404);
        op.MapGet("/webhook-deliveries", DeliveriesAsync)
            .Parameters(OperatorApi.Query("endpoint_id"), OperatorApi.Query("event_id"), OperatorApi.Query("status"), OperatorApi.Query("account_id"),
                OperatorApi.After, OperatorApi.Limit)
            .Produces<WebhookDeliveryList>(200).ProducesProblems(400);
        op.MapGet("/webhook-deliveries/{id:long}/attempts", AttemptsAsync).Produces<WebhookAttemptList>(200).ProducesProblems(404);
        op.MapPost("/webhook-deliveries/{id:long}/redeliver", RedeliverAsync)
            .AcceptsNoFields().Produces<WebhookRedelivery>(200).ProducesProblems(404);
        return op;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, WebhookStore store, AccountStore accounts, WebhookShapes shapes, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, 16 * 1024, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return OperatorApi.Problem(read.Failure == SharedFailure.PayloadTooLarge ? 413 : 400, "invalid_request", read.Message!);
        }
        var f = new JsonFields(doc.RootElement).Allow("account_id", "api", "url", "timeout_ms");
        var accountId = f.String("account_id", required: true, 64);
        var api = f.String("api", required: true, 32);
        var url = f.String("url", required: true, 2000);
        int? timeout = null;
        if (doc.RootElement.TryGetProperty("timeout_ms", out var t) && t.ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            if (t.ValueKind != System.Text.Json.JsonValueKind.Number || !t.TryGetInt32(out var ms))
            {
                f.Fail("timeout_ms", "timeout_ms must be an integer number of milliseconds.");
            }
            else
            {
                timeout = ms;
            }
        }
        if (!f.Ok)
        {
            return OperatorApi.Problem(400, "invalid_request", f.Error!.Message);
        }
        if (await accounts.FindAccountAsync(accountId!, ct) is null)
        {
            return OperatorApi.Problem(404, "not_found", "No such account.");
        }
        var (endpoint, refusal) = await store.CreateEndpointAsync(accountId!, api!, url!, timeout, OperatorApi.Actor(http), ct);
        return refusal switch
        {
            WebhookStore.Refusal.UnknownApi => OperatorApi.Problem(400, "invalid_request", $"api must be one of: {string.Join(", ", shapes.Apis)}."),
            WebhookStore.Refusal.BadUrl => OperatorApi.Problem(400, "invalid_request", "url must be an absolute http or https URL."),
            WebhookStore.Refusal.BadTimeout => OperatorApi.Problem(400, "invalid_request", "timeout_ms must be 100 to 60000."),
            WebhookStore.Refusal.NotAllowed => OperatorApi.Problem(400, "invalid_request", WebhookStore.NotAllowedMessage),
            _ => OperatorJson.Result(new CreatedWebhookEndpoint(endpoint!.Id, endpoint.AccountId, endpoint.Api, endpoint.Url, endpoint.TimeoutMs, endpoint.Secret), 201),
        };
    }

    private static async Task<IResult> ListAsync(HttpContext http, WebhookStore store, CancellationToken ct) =>
        OperatorJson.Result(new WebhookEndpointList([.. (await store.EndpointsAsync(Opt(http, "account_id"), ct))
            .Select(e => new WebhookEndpointObject(e.Id, e.AccountId, e.Api, e.Url, e.TimeoutMs, Time.Iso(e.CreatedAt), Time.Iso(e.DisabledAt)))]));

    private static async Task<IResult> DisableAsync(string id, HttpContext http, WebhookStore store, CancellationToken ct) =>
        await store.DisableEndpointAsync(id, OperatorApi.Actor(http), ct)
            ? OperatorJson.Result(new DisabledWebhookEndpoint(id, true))
            : OperatorApi.Problem(404, "not_found", "No such enabled endpoint.");

    private static async Task<IResult> DeliveriesAsync(HttpContext http, WebhookStore store, CancellationToken ct)
    {
        if (!OperatorApi.TryPaging(http, out var limit, out var after))
        {
            return OperatorApi.Problem(400, "invalid_request", "limit must be 1 to 1000 and after a delivery id.");
        }
        var status = Opt(http, "status");
        if (status is not (null or "pending" or "delivered" or "dead"))
        {
            return OperatorApi.Problem(400, "invalid_request", "status must be pending, delivered or dead.");
        }
        var rows = await store.DeliveriesAsync(Opt(http, "endpoint_id"), Opt(http, "event_id"), status, Opt(http, "account_id"),
            after, limit, ct);
        return OperatorJson.Result(new WebhookDeliveryList([.. rows.Select(d => new WebhookDeliveryObject(d.Id, d.EventId, d.EndpointId, d.AccountId,
            d.Status, d.Attempts, d.Status == "pending" ? Time.Iso(d.NextAttemptAt) : null, d.LastStatusCode, d.LastError,
            Time.Iso(d.CreatedAt), Time.Iso(d.DeliveredAt)))]));
    }

    private static async Task<IResult> AttemptsAsync(long id, WebhookStore store, CancellationToken ct) =>
        OperatorJson.Result(new WebhookAttemptList([.. (await store.AttemptsAsync(id, ct))
            .Select(a => new WebhookAttemptObject(a.Attempt, Time.Iso(a.StartedAt), a.DurationMs, a.StatusCode, a.Error, a.ResponseExcerpt))]));

    private static async Task<IResult> RedeliverAsync(long id, HttpContext http, WebhookStore store, CancellationToken ct) =>
        await store.RedeliverAsync(id, OperatorApi.Actor(http), ct)
            ? OperatorJson.Result(new WebhookRedelivery(id, "pending"))
            : OperatorApi.Problem(404, "not_found", "No such delivery.");

    private static string? Opt(HttpContext http, string name) => OperatorApi.Opt(http, name);
}
