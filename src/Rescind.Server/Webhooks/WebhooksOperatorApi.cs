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
        op.MapPost("/webhook-endpoints", CreateAsync);
        op.MapGet("/webhook-endpoints", ListAsync);
        op.MapDelete("/webhook-endpoints/{id}", DisableAsync);
        op.MapGet("/webhook-deliveries", DeliveriesAsync);
        op.MapGet("/webhook-deliveries/{id:long}/attempts", AttemptsAsync);
        op.MapPost("/webhook-deliveries/{id:long}/redeliver", RedeliverAsync);
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
            _ => Results.Json(new
            {
                id = endpoint!.Id,
                account_id = endpoint.AccountId,
                api = endpoint.Api,
                url = endpoint.Url,
                timeout_ms = endpoint.TimeoutMs,
                secret = endpoint.Secret,
            }, statusCode: 201),
        };
    }

    private static async Task<IResult> ListAsync(HttpContext http, WebhookStore store, CancellationToken ct) =>
        Results.Ok(new
        {
            endpoints = (await store.EndpointsAsync(Opt(http, "account_id"), ct)).Select(e => new
            {
                id = e.Id,
                account_id = e.AccountId,
                api = e.Api,
                url = e.Url,
                timeout_ms = e.TimeoutMs,
                created_at = Time.Iso(e.CreatedAt),
                disabled_at = Time.Iso(e.DisabledAt),
            }),
        });

    private static async Task<IResult> DisableAsync(string id, HttpContext http, WebhookStore store, CancellationToken ct) =>
        await store.DisableEndpointAsync(id, OperatorApi.Actor(http), ct)
            ? Results.Ok(new { id, disabled = true })
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
        return Results.Ok(new
        {
            deliveries = rows.Select(d => new
            {
                id = d.Id,
                event_id = d.EventId,
                endpoint_id = d.EndpointId,
                account_id = d.AccountId,
                status = d.Status,
                attempts = d.Attempts,
                next_attempt_at = d.Status == "pending" ? Time.Iso(d.NextAttemptAt) : null,
                last_status_code = d.LastStatusCode,
                last_error = d.LastError,
                created_at = Time.Iso(d.CreatedAt),
                delivered_at = Time.Iso(d.DeliveredAt),
            }),
        });
    }

    private static async Task<IResult> AttemptsAsync(long id, WebhookStore store, CancellationToken ct) =>
        Results.Ok(new
        {
            attempts = (await store.AttemptsAsync(id, ct)).Select(a => new
            {
                attempt = a.Attempt,
                started_at = Time.Iso(a.StartedAt),
                duration_ms = a.DurationMs,
                status_code = a.StatusCode,
                error = a.Error,
                response_excerpt = a.ResponseExcerpt,
            }),
        });

    private static async Task<IResult> RedeliverAsync(long id, HttpContext http, WebhookStore store, CancellationToken ct) =>
        await store.RedeliverAsync(id, OperatorApi.Actor(http), ct)
            ? Results.Ok(new { id, status = "pending" })
            : OperatorApi.Problem(404, "not_found", "No such delivery.");

    private static string? Opt(HttpContext http, string name) => OperatorApi.Opt(http, name);
}
