using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Webhooks;
using Rescind.Server.Http;
using Microsoft.Extensions.Options;
using Rescind.Server.Hosting;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's notification subscriptions [doc]: where <c>transactions.outbound</c> notifications are sent. A subscription
/// is a Rescind webhook endpoint with api <c>circle</c>, so delivery, retries and the delivery log are the shared ones.
/// <code>
/// POST   /v2/notifications/subscriptions         {endpoint, notificationTypes?} → 201; the endpoint must answer a HEAD
///                                                 request with 2xx first [doc: Circle checks the endpoint]
/// GET    /v2/notifications/subscriptions         the account's subscriptions
/// GET    /v2/notifications/subscriptions/{id}
/// DELETE /v2/notifications/subscriptions/{id}    204
/// </code>
/// </summary>
public static class CircleSubscriptions
{
    private static readonly string[] Types = ["*", "transactions.outbound"];

    public static RouteGroupBuilder MapCircleSubscriptions(this RouteGroupBuilder notifications)
    {
        notifications.MapPost("/subscriptions", CreateAsync)
            .Accepts<SubscriptionRequest>("application/json")
            .Produces<CircleData<Subscription>>(201).CircleErrors(400, 413);
        notifications.MapGet("/subscriptions", ListAsync)
            .Produces<CircleData<IReadOnlyList<Subscription>>>(200);
        notifications.MapGet("/subscriptions/{id}", GetAsync)
            .Produces<CircleData<Subscription>>(200).CircleErrors(400, 404);
        notifications.MapDelete("/subscriptions/{id}", DeleteAsync)
            .Produces(204).CircleErrors(400, 404);
        return notifications;
    }

    private static Principal Principal(HttpContext http) => http.Caller();

    private static async Task<IResult> CreateAsync(HttpContext http, WebhookStore store, OutboundPolicy outbound, IHttpClientFactory httpFactory, TimeProvider clock, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, options.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return CircleEnvelope.Fail(read.Failure == SharedFailure.PayloadTooLarge ? 413 : 400, CircleEnvelope.ParameterInvalid, read.Message!).ToResult();
        }
        var f = new JsonFields(doc.RootElement).Allow("endpoint", "notificationTypes");
        var endpoint = f.String("endpoint", required: true, 2000,
            u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https", "an absolute http(s) URL");
        var types = f.StringArray("notificationTypes", required: false, 10, 64, t => Types.Contains(t), "* or transactions.outbound");
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        // The endpoint check [doc]: a HEAD request that must answer 2xx before the subscription exists, to an address
        // the outbound policy allows. Every failure gets one answer: the status a receiver gave, or whether anything
        // listens, is not told back (a tenant could scan the network with it otherwise).
        if (!await outbound.AllowsUrlAsync(endpoint!, ct))
        {
            return Unreachable();
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var check = await httpFactory.CreateClient(WebhookDispatcher.HttpClientName)
                .SendAsync(new HttpRequestMessage(HttpMethod.Head, endpoint), timeout.Token);
            if (!check.IsSuccessStatusCode)
            {
                return Unreachable();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return Unreachable();
        }
        var p = Principal(http);
        var (created, _) = await store.CreateEndpointAsync(p.AccountId!, CircleStore.Api, endpoint!, null, Actor.Credential(p.CredentialId), ct);
        if (created is null)
        {
            return Unreachable(); // its host resolved elsewhere since the check
        }
        return new StoredResponse(201, CircleJson.Data(Json(created!.Id, created.Url, Time.ToUnixMs(clock.GetUtcNow()), types))).ToResult();

        static IResult Unreachable() =>
            CircleEnvelope.Fail(400, CircleEnvelope.ParameterInvalid,
                "The subscription endpoint could not be verified: it must be a public http(s) URL that answers HEAD and POST with a 2xx status.").ToResult();
    }

    private static async Task<IResult> ListAsync(HttpContext http, WebhookStore store, CancellationToken ct) =>
        new StoredResponse(200, CircleJson.Data<IReadOnlyList<Subscription>>([.. (await MineAsync(http, store, ct)).Select(e => Json(e.Id, e.Url, e.CreatedAt, null))])).ToResult();

    private static async Task<IResult> GetAsync(string id, HttpContext http, WebhookStore store, CancellationToken ct) =>
        CircleWebhookShape.EndpointId(id) is not { } endpointId ? CircleEnvelope.NotUuid.ToResult()
        : (await MineAsync(http, store, ct)).FirstOrDefault(e => e.Id == endpointId) is { } e
            ? new StoredResponse(200, CircleJson.Data(Json(e.Id, e.Url, e.CreatedAt, null))).ToResult()
            : NotFound();

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, WebhookStore store, CancellationToken ct)
    {
        if (CircleWebhookShape.EndpointId(id) is not { } endpointId)
        {
            return CircleEnvelope.NotUuid.ToResult();
        }
        if (!(await MineAsync(http, store, ct)).Any(e => e.Id == endpointId))
        {
            return NotFound(); // another account's subscription is answered like a missing one
        }
        await store.DisableEndpointAsync(endpointId, Actor.Credential(Principal(http).CredentialId), ct);
        return Results.NoContent();
    }

    private static async Task<IEnumerable<EndpointInfo>> MineAsync(HttpContext http, WebhookStore store, CancellationToken ct) =>
        (await store.EndpointsAsync(Principal(http).AccountId, ct)).Where(e => e.Api == CircleStore.Api && e.DisabledAt is null);

    private static IResult NotFound() => CircleEnvelope.Fail(404, CircleEnvelope.NotFound, "Cannot find the subscription.").ToResult();

    private static Subscription Json(string endpointId, string url, long createdAt, IReadOnlyList<string>? types) =>
        new(CircleWebhookShape.SubscriptionId(endpointId), "", url, true, CircleJson.Date(createdAt), CircleJson.Date(createdAt), types ?? ["*"], false);
}
