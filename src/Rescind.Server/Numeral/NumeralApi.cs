using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Http;
using Rescind.Server.Hosting;

namespace Rescind.Server.Numeral;

/// <summary>
/// Numeral's tax API (X-API-Version 2026-03-01): certificate requests and the customers they are for.
/// <code>
/// POST   /tax/customers                              create a customer
/// GET    /tax/customers/{id}                         get a customer
/// DELETE /tax/customers/{id}                         remove a customer (their requests show customer: null)
/// POST   /tax/certificate-requests                   create a request           live-only
/// GET    /tax/certificate-requests                   list, filtered, cursor      live-only
/// GET    /tax/certificate-requests/{request_id}      get                         live-only
/// DELETE /tax/certificate-requests/{request_id}      cancel                      live-only
/// </code>
/// </summary>
public static class NumeralApi
{
    /// <summary><c>Authorization: Bearer sk_live_…</c> or <c>sk_test_…</c> [doc]; anything else is 401 UNAUTHORIZED.</summary>
    public static CredentialScheme Credentials { get; } = new(
        NumeralStore.Api,
        http => CredentialSchemes.BearerKeyAsync(http, NumeralStore.Api),
        http => NumeralEnvelope.Fail(401, NumeralEnvelope.Unauthorized,
            http.Request.Headers.Authorization.ToString().Length == 0 ? "Missing Authorization header; send Authorization: Bearer sk_live_…" : "The API key is not valid."));

    public static IEndpointRouteBuilder MapNumeral(this IEndpointRouteBuilder app)
    {
        var tax = app.MapGroup("/tax").WithGroupName("numeral").RequireCaller(Credentials).AddEndpointFilter(RequireVersion)
            .Parameters(ParameterDoc.Header("X-API-Version", required: true, $"The API version: {NumeralModule.Version}."))
            .ProducesErrors(typeof(NumeralErrorBody), 400, 401, 429);
        tax.MapPost("/customers", CreateCustomerAsync).Parameters(IdempotencyKey)
            .Accepts<NewCustomerBody>("application/json").Produces<CustomerObject>(201).ProducesErrors(typeof(NumeralErrorBody), 409, 413, 422);
        tax.MapGet("/customers/{id}", GetCustomerAsync).Produces<CustomerObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404);
        tax.MapDelete("/customers/{id}", DeleteCustomerAsync).Produces<DeletedObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404, 409);

        var requests = tax.MapGroup("/certificate-requests").AddEndpointFilter(LiveOnly).ProducesErrors(typeof(NumeralErrorBody), 403);
        requests.MapPost("/", CreateRequestAsync).Parameters(IdempotencyKey)
            .Accepts<NewCertificateRequestBody>("application/json").Produces<CertificateRequestObject>(201)
            .ProducesErrors(typeof(NumeralErrorBody), 404, 409, 413, 422);
        requests.MapGet("/", ListRequestsAsync)
            .Parameters([.. ListParameters.Select(n => ParameterDoc.Query(n, n == "limit" ? "integer" : "string"))])
            .Produces<CertificateRequestList>(200);
        requests.MapGet("/{request_id}", GetRequestAsync).Produces<CertificateRequestObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404);
        requests.MapDelete("/{request_id}", CancelRequestAsync).Produces<CertificateRequestObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404, 409);
        return app;
    }

    /// <summary>The version header, once the key is known (401 first, then 400) [ours: that order].</summary>
    private static ValueTask<object?> RequireVersion(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var version = context.HttpContext.Request.Headers["X-API-Version"].ToString();
        return version == NumeralModule.Version
            ? next(context)
            : ValueTask.FromResult<object?>(NumeralEnvelope.Fail(400, NumeralEnvelope.InvalidApiVersion,
                version.Length == 0
                    ? $"The X-API-Version header is required; this API serves {NumeralModule.Version}."
                    : $"X-API-Version '{(version.Length > 40 ? version[..40] : version)}' is not supported; use {NumeralModule.Version}.").ToResult());
    }

    /// <summary>Certificate-request endpoints are live-only [doc]: any sk_test_ key is refused.</summary>
    private static ValueTask<object?> LiveOnly(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        Principal(context.HttpContext).IsLive
            ? next(context)
            : ValueTask.FromResult<object?>(NumeralEnvelope.Fail(403, NumeralEnvelope.TestmodeNotSupported,
                "Certificate requests are live-only; use an sk_live_ key.").ToResult());

    private static Principal Principal(HttpContext http) => http.Caller();

    private static OperationContext Context(HttpContext http) =>
        new(Principal(http).AccountId, NumeralStore.Api, Actor.Credential(Principal(http).CredentialId), RequestIds.Of(http));

    private static async Task<IResult> CreateCustomerAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<NumeralOptions> numeral, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, options.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return BodyFailure(read);
        }
        var (input, error) = NumeralCommands.ParseNewCustomer(doc.RootElement);
        if (input is null)
        {
            return NumeralEnvelope.Invalid(error!).ToResult();
        }
        var (ctx, keyError) = WithKey(http, Context(http), doc, numeral.Value);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        var mode = Principal(http).Mode;
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => NumeralCommands.CreateCustomerAsync(uow, mode, input), NumeralEnvelope.CustomerCreated, ct)).ToResult();
    }

    private static async Task<IResult> GetCustomerAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var row = Ids.HasUuidSuffix(id, "cust_") ? await NumeralStore.GetCustomerAsync(db, p.AccountId!, p.Mode, id, ct) : null;
        return row is null
            ? NumeralEnvelope.CustomerMissing().ToResult()
            : new StoredResponse(200, NumeralJson.Serialize(NumeralJson.Customer(row))).ToResult();
    }

    private static async Task<IResult> DeleteCustomerAsync(string id, HttpContext http, Coordinator coordinator, CancellationToken ct)
    {
        if (!Ids.HasUuidSuffix(id, "cust_"))
        {
            return NumeralEnvelope.CustomerMissing().ToResult();
        }
        var mode = Principal(http).Mode;
        return (await coordinator.ExecuteAsync(Context(http), (uow, _) => NumeralCommands.DeleteCustomerAsync(uow, mode, id), NumeralEnvelope.CustomerDeleted, ct)).ToResult();
    }

    private static async Task<IResult> CreateRequestAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<NumeralOptions> numeral, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, options.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return BodyFailure(read);
        }
        var (input, error) = NumeralCommands.ParseNewRequest(doc.RootElement);
        if (input is null)
        {
            return NumeralEnvelope.Invalid(error!).ToResult();
        }
        var (ctx, keyError) = WithKey(http, Context(http), doc, numeral.Value);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => NumeralCommands.CreateRequestAsync(uow, input, numeral.Value), NumeralEnvelope.RequestCreated, ct)).ToResult();
    }

    private static async Task<IResult> GetRequestAsync(string request_id, HttpContext http, Database db, TimeProvider clock, CancellationToken ct)
    {
        var row = Ids.HasUuidSuffix(request_id, "cert_req_") ? await NumeralStore.GetRequestAsync(db, Principal(http).AccountId, request_id, ct) : null;
        return row is null
            ? NumeralEnvelope.NotFound(request_id).ToResult()
            : new StoredResponse(200, NumeralJson.Serialize(NumeralJson.Request(row, Time.ToUnixMs(clock.GetUtcNow())))).ToResult();
    }

    private static async Task<IResult> CancelRequestAsync(string request_id, HttpContext http, Coordinator coordinator, CancellationToken ct)
    {
        if (!Ids.HasUuidSuffix(request_id, "cert_req_"))
        {
            return NumeralEnvelope.NotFound(request_id).ToResult();
        }
        return (await coordinator.ExecuteAsync(Context(http), (uow, _) => NumeralCommands.RunAsync(uow, request_id, NumeralRules.Cancel), o => NumeralEnvelope.Request(o), ct)).ToResult();
    }

    private static async Task<IResult> ListRequestsAsync(HttpContext http, Database db, TimeProvider clock, CancellationToken ct)
    {
        var q = http.Request.Query;
        var accountId = Principal(http).AccountId!;
        var now = Time.ToUnixMs(clock.GetUtcNow());
        if (StrictQuery.Stray(q, ListParameters) is { } stray)
        {
            return Bad(stray);
        }
        var status = Param("status");
        if (status is not null && !NumeralRules.PublicStates.Contains(status))
        {
            return Bad("status must be one of pending, fulfilled, canceled, invalid.");
        }
        var limit = 10;
        if (!StrictQuery.TryInteger(Param("limit"), 1, 100, ref limit))
        {
            return Bad("limit must be an integer from 1 to 100.");
        }
        var idType = Param("id_type") ?? "id";
        if (idType is not ("id" or "reference_customer_id"))
        {
            return Bad("id_type must be id or reference_customer_id.");
        }
        var times = new long?[4];
        string[] timeParams = ["created_after", "created_before", "updated_after", "updated_before"];
        for (var i = 0; i < timeParams.Length; i++)
        {
            if (Param(timeParams[i]) is not { } text)
            {
                continue;
            }
            if (!Time.TryParseUtc(text, out var t))
            {
                return Bad($"{timeParams[i]} must be an ISO-8601 UTC timestamp such as 2026-01-31T00:00:00Z.");
            }
            times[i] = Time.ToUnixMs(t);
        }
        (long, string)? after = null;
        if (Param("cursor") is { } cursor)
        {
            after = Ids.HasUuidSuffix(cursor, "cert_req_") ? await NumeralStore.CursorAsync(db, accountId, cursor, ct) : null;
            if (after is null)
            {
                return Bad("cursor does not name a certificate request of this account; pass the next_cursor of a previous page.");
            }
        }
        IReadOnlyList<string>? customers = null;
        if (Param("customer_id") is { } customer)
        {
            customers = await NumeralStore.ResolveCustomersAsync(db, accountId, idType, customer, ct);
            if (customers.Count == 0)
            {
                return Page([], hasMore: false);
            }
        }
        var rows = await NumeralStore.ListRequestsAsync(db, new NumeralStore.ListFilter(
            accountId, customers, Param("certificate_type_id"), times[0], times[1], times[2], times[3], after, limit, status, now), ct);
        return Page(rows.Take(limit).ToList(), rows.Count > limit);

        string? Param(string name) => StrictQuery.Value(q, name);

        IResult Page(IReadOnlyList<RequestRow> page, bool hasMore) => new StoredResponse(200, NumeralJson.Serialize(new CertificateRequestList(
            "list", page.Select(r => NumeralJson.Request(r, now)).ToList(), hasMore, hasMore ? page[^1].Id : null))).ToResult();
    }

    private static readonly ParameterDoc IdempotencyKey =
        ParameterDoc.Header("Idempotency-Key", description: "Optional: the same key and body answer the first response again.");

    private static readonly string[] ListParameters =
        ["status", "customer_id", "id_type", "certificate_type_id", "created_after", "created_before", "updated_after", "updated_before", "limit", "cursor"];

    private static IResult Bad(string message) => NumeralEnvelope.Fail(400, NumeralEnvelope.InvalidRequest, message).ToResult();

    private static IResult BodyFailure(BodyRead read) => read.Failure == SharedFailure.PayloadTooLarge
        ? NumeralEnvelope.Fail(413, "PAYLOAD_TOO_LARGE", read.Message!).ToResult()
        : NumeralEnvelope.Fail(400, NumeralEnvelope.InvalidRequest, read.Message!).ToResult();

    /// <summary>An optional <c>Idempotency-Key</c> on creates [ours]: same key and body → the first answer.</summary>
    private static (OperationContext Context, StoredResponse? Error) WithKey(HttpContext http, OperationContext ctx, System.Text.Json.JsonDocument body, NumeralOptions options) =>
        RequestKeys.Attach(http, ctx, body.RootElement.GetRawText(),
            key => key.Length > 255 || key.Any(char.IsControl)
                ? NumeralEnvelope.Fail(400, NumeralEnvelope.InvalidRequest, "Idempotency-Key must be 1 to 255 printable characters.")
                : null,
            NumeralEnvelope.IdempotencyPolicy(options.IdempotencyRetention));
}
