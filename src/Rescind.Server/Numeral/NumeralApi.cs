using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Http;
using Rescind.Server.Hosting;

namespace Rescind.Server.Numeral;

/// <summary>
/// Numeral's tax API (X-API-Version 2026-03-01): customers, certificate requests and exemption certificates.
/// <code>
/// POST   /tax/customers                              create a customer
/// GET    /tax/customers                              list customers, cursor
/// GET    /tax/customers/{id}                         get a customer (?id_type=reference_customer_id)
/// DELETE /tax/customers/{id}                         remove a customer (their requests show customer: null)
/// POST   /tax/certificate-requests                   create a request           live-only
/// GET    /tax/certificate-requests                   list, filtered, cursor      live-only
/// GET    /tax/certificate-requests/{request_id}      get                         live-only
/// DELETE /tax/certificate-requests/{request_id}      cancel                      live-only
/// GET    /tax/certificates                           list, filtered, cursor      live-only
/// GET    /tax/certificates/{certificate_id}          get, with download_url      live-only
/// GET    /tax/certificates/{certificate_id}/document the pre-signed download (no credential: the URL is the capability)
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
            .Accepts<NewCustomerBody>("application/json").Produces<CustomerObject>(200).ProducesErrors(typeof(NumeralErrorBody), 409, 413, 422);
        tax.MapGet("/customers", ListCustomersAsync)
            .Parameters([.. CustomerListParameters.Select(n => ParameterDoc.Query(n, n == "limit" ? "integer" : "string"))])
            .Produces<CustomerList>(200);
        tax.MapGet("/customers/{id}", GetCustomerAsync).Parameters(ParameterDoc.Query("id_type", "string"))
            .Produces<CustomerObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404);
        tax.MapDelete("/customers/{id}", DeleteCustomerAsync).Produces<DeletedCustomerObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404, 409);

        var requests = tax.MapGroup("/certificate-requests").AddEndpointFilter(LiveOnly).ProducesErrors(typeof(NumeralErrorBody), 403);
        requests.MapPost("/", CreateRequestAsync).Parameters(IdempotencyKey)
            .Accepts<NewCertificateRequestBody>("application/json").Produces<CertificateRequestObject>(201)
            .ProducesErrors(typeof(NumeralErrorBody), 404, 409, 413, 422);
        requests.MapGet("/", ListRequestsAsync)
            .Parameters([.. ListParameters.Select(n => ParameterDoc.Query(n, n == "limit" ? "integer" : "string"))])
            .Produces<CertificateRequestList>(200);
        requests.MapGet("/{request_id}", GetRequestAsync).Produces<CertificateRequestObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404);
        requests.MapDelete("/{request_id}", CancelRequestAsync).Produces<CertificateRequestObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404, 409);

        var certificates = tax.MapGroup("/certificates").AddEndpointFilter(LiveOnly).ProducesErrors(typeof(NumeralErrorBody), 403);
        certificates.MapGet("/", ListCertificatesAsync)
            .Parameters([.. CertificateListParameters.Select(n => ParameterDoc.Query(n, n == "limit" ? "integer" : "string"))])
            .Produces<CertificateList>(200);
        certificates.MapGet("/{certificate_id}", GetCertificateAsync).Produces<CertificateObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404);

        // The download URL is pre-signed [doc]: whoever holds it may fetch the document until it expires, with no key.
        app.MapGet(NumeralCertificates.DocumentPath("{certificate_id}"), DownloadAsync).WithGroupName("numeral")
            .Parameters(ParameterDoc.Query("expires", "integer"), ParameterDoc.Query("signature", "string"))
            .Produces<string>(200, "text/plain").ProducesErrors(typeof(NumeralErrorBody), 403, 404, 429);
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

    /// <summary>By Numeral's id, or with <c>id_type=reference_customer_id</c> by the merchant's own [doc].</summary>
    private static async Task<IResult> GetCustomerAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (StrictQuery.Stray(q, ["id_type"]) is { } stray)
        {
            return Bad(stray);
        }
        var idType = StrictQuery.Value(q, "id_type") ?? "id";
        if (idType is not ("id" or "reference_customer_id"))
        {
            return Bad("id_type must be id or reference_customer_id.");
        }
        var p = Principal(http);
        var row = idType == "reference_customer_id"
            ? await NumeralStore.GetCustomerByReferenceAsync(db, p.AccountId!, p.Mode, id, ct)
            : Ids.HasUuidSuffix(id, "cust_") ? await NumeralStore.GetCustomerAsync(db, p.AccountId!, p.Mode, id, ct) : null;
        return row is null
            ? NumeralEnvelope.CustomerMissing().ToResult()
            : new StoredResponse(200, NumeralJson.Serialize(NumeralJson.Customer(row))).ToResult();
    }

    /// <summary>The mode's customers, newest first [ours]; removed ones are not listed [doc]. <c>cursor</c> is the
    /// previous page's <c>last_customer_id</c> [doc]; <c>limit</c> 1–100, default 10 [ours].</summary>
    private static async Task<IResult> ListCustomersAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (StrictQuery.Stray(q, CustomerListParameters) is { } stray)
        {
            return Bad(stray);
        }
        var limit = 10;
        if (!StrictQuery.TryInteger(StrictQuery.Value(q, "limit"), 1, 100, ref limit))
        {
            return Bad("limit must be an integer from 1 to 100.");
        }
        var p = Principal(http);
        (long, string)? after = null;
        if (StrictQuery.Value(q, "cursor") is { } cursor)
        {
            after = Ids.HasUuidSuffix(cursor, "cust_") ? await NumeralStore.CustomerCursorAsync(db, p.AccountId!, p.Mode, cursor, ct) : null;
            if (after is null)
            {
                return Bad("cursor does not name a customer of this account; pass the last_customer_id of a previous page.");
            }
        }
        var rows = await NumeralStore.ListCustomersAsync(db, p.AccountId!, p.Mode, after, limit, ct);
        var page = rows.Take(limit).ToList();
        return new StoredResponse(200, NumeralJson.Serialize(new CustomerList(
            [.. page.Select(NumeralJson.Customer)], rows.Count > limit, page.Count == 0 ? null : page[^1].Id))).ToResult();
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
        var accountId = Principal(http).AccountId!;
        var now = Time.ToUnixMs(clock.GetUtcNow());
        var (f, error) = await ParseListAsync(http, ListParameters, NumeralRules.PublicStates, "cert_req_", "certificate request",
            id => NumeralStore.CursorAsync(db, accountId, id, ct), db, ct);
        if (f is null)
        {
            return error!;
        }
        var rows = f.Customers is [] ? [] : await NumeralStore.ListRequestsAsync(db, new NumeralStore.ListFilter(
            accountId, f.Customers, f.CertificateType, f.Times[0], f.Times[1], f.Times[2], f.Times[3], f.After, f.Limit, f.Status, now), ct);
        var page = rows.Take(f.Limit).ToList();
        var hasMore = rows.Count > f.Limit;
        return new StoredResponse(200, NumeralJson.Serialize(new CertificateRequestList(
            "list", page.Select(r => NumeralJson.Request(r, now)).ToList(), hasMore, hasMore ? page[^1].Id : null))).ToResult();
    }

    /// <summary>Certificates, newest first, with the reference's filters [doc]; live-only.</summary>
    private static async Task<IResult> ListCertificatesAsync(HttpContext http, Database db, TimeProvider clock, CancellationToken ct)
    {
        var accountId = Principal(http).AccountId!;
        var now = Time.ToUnixMs(clock.GetUtcNow());
        var (f, error) = await ParseListAsync(http, CertificateListParameters, NumeralCertificates.PublicStates, "cert_", "exemption certificate",
            id => NumeralStore.CertificateCursorAsync(db, accountId, id, ct), db, ct);
        if (f is null)
        {
            return error!;
        }
        var jurisdiction = StrictQuery.Value(http.Request.Query, "jurisdiction");
        if (jurisdiction is not null && !NumeralCommands.IsJurisdiction(jurisdiction))
        {
            return Bad("jurisdiction must be a jurisdiction identifier such as US-CA.");
        }
        var rows = f.Customers is [] ? [] : await NumeralStore.ListCertificatesAsync(db, new NumeralStore.CertificateFilter(
            accountId, f.Customers, f.CertificateType, jurisdiction, f.Status, NumeralCertificates.Date(now),
            f.Times[0], f.Times[1], f.Times[2], f.Times[3], f.After, f.Limit), ct);
        var page = rows.Take(f.Limit).ToList();
        var hasMore = rows.Count > f.Limit;
        return new StoredResponse(200, NumeralJson.Serialize(new CertificateList(
            "list", page.Select(x => NumeralJson.Certificate(x, now)).ToList(), hasMore, hasMore ? page[^1].Id : null))).ToResult();
    }

    /// <summary>One certificate with a download URL that works for an hour from now [doc].</summary>
    private static async Task<IResult> GetCertificateAsync(string certificate_id, HttpContext http, Database db, TimeProvider clock, CancellationToken ct)
    {
        var row = Ids.HasUuidSuffix(certificate_id, "cert_") ? await NumeralStore.GetCertificateAsync(db, Principal(http).AccountId, certificate_id, ct) : null;
        if (row is null)
        {
            return NumeralEnvelope.CertificateMissing(certificate_id).ToResult();
        }
        var now = clock.GetUtcNow();
        var expires = (now + NumeralCertificates.DownloadLifetime).ToUnixTimeSeconds();
        var url = $"{PublicUrls.Base(http)}{NumeralCertificates.DocumentPath(row.Id)}?{NumeralCertificates.DownloadQuery(row.Id, row.DownloadSecret, expires)}";
        return new StoredResponse(200, NumeralJson.Serialize(NumeralJson.Certificate(row, Time.ToUnixMs(now), url))).ToResult();
    }

    /// <summary>The document behind a download URL: refused once the URL has expired or when its signature does
    /// not match [ours: 403 DOWNLOAD_URL_EXPIRED / DOWNLOAD_URL_INVALID, in Numeral's envelope].</summary>
    private static async Task<IResult> DownloadAsync(string certificate_id, HttpContext http, Database db, TimeProvider clock, CancellationToken ct)
    {
        var q = http.Request.Query;
        var row = Ids.HasUuidSuffix(certificate_id, "cert_") ? await NumeralStore.GetCertificateAsync(db, null, certificate_id, ct) : null;
        if (row is null)
        {
            return NumeralEnvelope.CertificateMissing(certificate_id).ToResult();
        }
        var refused = StrictQuery.Stray(q, ["expires", "signature"]) is null
            ? NumeralCertificates.CheckDownload(row.Id, row.DownloadSecret, StrictQuery.Value(q, "expires"), StrictQuery.Value(q, "signature"), clock.GetUtcNow().ToUnixTimeSeconds())
            : NumeralEnvelope.DownloadUrlInvalid;
        return refused switch
        {
            null => TypedResults.Text(row.Document, "text/plain", System.Text.Encoding.UTF8),
            NumeralEnvelope.DownloadUrlExpired => NumeralEnvelope.Fail(403, refused, "This download URL has expired; read the certificate again for a fresh one.").ToResult(),
            _ => NumeralEnvelope.Fail(403, refused, "This download URL is not valid; use the download_url of the certificate as given.").ToResult(),
        };
    }

    /// <summary>The filters certificate requests and certificates share, read and checked in one order: unknown or
    /// repeated parameters, status, limit, id_type, the time windows, the cursor, then the customer (which may
    /// resolve to none: an empty list, not a 404 [doc]).</summary>
    private sealed record ListQuery(string? Status, int Limit, long?[] Times, (long, string)? After, IReadOnlyList<string>? Customers, string? CertificateType);

    private static async Task<(ListQuery? Query, IResult? Error)> ParseListAsync(
        HttpContext http, string[] parameters, IReadOnlyList<string> statuses, string cursorPrefix, string what,
        Func<string, Task<(long, string)?>> cursorAt, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (StrictQuery.Stray(q, parameters) is { } stray)
        {
            return (null, Bad(stray));
        }
        var status = Param("status");
        if (status is not null && !statuses.Contains(status))
        {
            return (null, Bad($"status must be one of {string.Join(", ", statuses)}."));
        }
        var limit = 10;
        if (!StrictQuery.TryInteger(Param("limit"), 1, 100, ref limit))
        {
            return (null, Bad("limit must be an integer from 1 to 100."));
        }
        // Validated whenever present, with or without customer_id [doc].
        var idType = Param("id_type") ?? "id";
        if (idType is not ("id" or "reference_customer_id"))
        {
            return (null, Bad("id_type must be id or reference_customer_id."));
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
                return (null, Bad($"{timeParams[i]} must be an ISO-8601 UTC timestamp such as 2026-01-31T00:00:00Z."));
            }
            times[i] = Time.ToUnixMs(t);
        }
        (long, string)? after = null;
        if (Param("cursor") is { } cursor)
        {
            after = Ids.HasUuidSuffix(cursor, cursorPrefix) ? await cursorAt(cursor) : null;
            if (after is null)
            {
                return (null, Bad($"cursor does not name a {what} of this account; pass the next_cursor of a previous page."));
            }
        }
        IReadOnlyList<string>? customers = null;
        if (Param("customer_id") is { } customer)
        {
            customers = await NumeralStore.ResolveCustomersAsync(db, Principal(http).AccountId!, idType, customer, ct);
        }
        // The stable identifier or the numeric id [doc]; a type Rescind does not know matches nothing.
        var type = Param("certificate_type_id") is { } typeParam ? NumeralCertificates.TypeOf(typeParam)?.CertificateIdentifier ?? "" : null;
        return (new ListQuery(status, limit, times, after, customers, type), null);

        string? Param(string name) => StrictQuery.Value(q, name);
    }

    private static readonly string[] CustomerListParameters = ["cursor", "limit"];

    private static readonly string[] CertificateListParameters =
        ["status", "customer_id", "id_type", "jurisdiction", "certificate_type_id", "created_after", "created_before", "updated_after", "updated_before", "limit", "cursor"];

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
