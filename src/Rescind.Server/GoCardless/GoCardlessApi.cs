using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.GoCardless;

/// <summary>
/// GoCardless's billing requests API (GoCardless-Version 2015-07-06), at the root as the official client calls it.
/// <code>
/// POST /billing_requests                                  create            201 {"billing_requests": …}
/// GET  /billing_requests                                  list (status, customer, created_at[..], after, before, limit)
/// GET  /billing_requests/{id}                             get
/// POST /billing_requests/{id}/actions/{action}            collect_customer_details, collect_bank_account,
///                                                         confirm_payer_details, fulfil, cancel, notify, fallback
/// POST /billing_request_flows                             create a flow (authorisation_url, 7 days)
/// GET  /billing_request_flows/{id}                        get a flow [ours]
/// POST /billing_request_flows/{id}/actions/initialise     fresh session token
/// GET/POST /customers, GET /customers/{id}                customers
/// GET  /creditors, GET /creditors/{id}                    the account's default creditor
/// GET  /events, GET /events/{id}                          events from the outbox
/// GET  /customer_bank_accounts(/{id})                     bank accounts collect_bank_account took (customer, enabled)
/// GET  /mandates(/{id})                                   mandates fulfil created (customer, customer_bank_account,
///                                                         creditor, status, reference, scheme)
/// GET  /payments(/{id})                                   payments fulfil created (customer, mandate, creditor, status,
///                                                         currency, scheme, subscription, charge_date[..])
/// POST /mandates/{id}/actions/cancel                      cancel a mandate and its pending_submission payments
/// POST /payments/{id}/actions/cancel                      cancel a payment still pending_submission
/// </code>
/// Live and sandbox access tokens of one account see separate data.
/// </summary>
public static class GoCardlessApi
{
    public const string Version = "2015-07-06";

    public static readonly string[] Prefixes =
    [
        "/billing_requests", "/billing_request_flows", "/customers", "/customer_bank_accounts", "/mandates", "/payments", "/creditors", "/events", "/gocardless",
    ];

    public static IEndpointRouteBuilder MapGoCardless(this IEndpointRouteBuilder app)
    {
        var gc = app.MapGroup("").WithGroupName(GoCardlessStore.Api).RequireCaller(Credentials).AddEndpointFilter(VersionAsync)
            .Parameters(ParameterDoc.Header("GoCardless-Version", required: true, $"The API version; this API serves {Version}."))
            .WithMetadata(Error(400), Error(401), Error(429));
        gc.MapPost("/billing_requests", CreateBillingRequestAsync).Creating<BillingRequestsBody, BillingRequestEnvelope>();
        gc.MapGet("/billing_requests", ListBillingRequestsAsync).Listing(Query("status"), Query("customer")).Produces<BillingRequestList>(200);
        gc.MapGet("/billing_requests/{id}", GetBillingRequestAsync).Produces<BillingRequestEnvelope>(200).WithMetadata(Error(404));
        gc.MapPost("/billing_requests/{id}/actions/{action}", ActAsync).Acting<BillingRequestActionBody, BillingRequestEnvelope>()
            .WithMetadata(new Coverage.ServedValues("action", Actions));
        gc.MapPost("/billing_request_flows", CreateFlowAsync).Creating<BillingRequestFlowsBody, FlowEnvelope>();
        gc.MapGet("/billing_request_flows/{id}", GetFlowAsync).Produces<FlowEnvelope>(200).WithMetadata(Error(404));
        gc.MapPost("/billing_request_flows/{id}/actions/initialise", InitialiseFlowAsync).Acting<InitialiseFlowBody, FlowEnvelope>();
        gc.MapPost("/customers", CreateCustomerAsync).Creating<CustomersBody, CustomerEnvelope>();
        gc.MapGet("/customers", ListCustomersAsync).Listing().Produces<CustomerList>(200);
        gc.MapGet("/customers/{id}", GetCustomerAsync).Produces<CustomerEnvelope>(200).WithMetadata(Error(404));
        gc.MapGet("/customer_bank_accounts", ListBankAccountsAsync).Listing(Query("customer"), Query("enabled", "boolean")).Produces<CustomerBankAccountList>(200);
        gc.MapGet("/customer_bank_accounts/{id}", GetBankAccountAsync).Produces<CustomerBankAccountEnvelope>(200).WithMetadata(Error(404));
        gc.MapGet("/mandates", ListMandatesAsync)
            .Listing(Query("customer"), Query("customer_bank_account"), Query("creditor"), Query("status"), Query("reference"), Query("scheme")).Produces<MandateList>(200);
        gc.MapGet("/mandates/{id}", GetMandateAsync).Produces<MandateEnvelope>(200).WithMetadata(Error(404));
        gc.MapPost("/mandates/{id}/actions/cancel", CancelMandateAsync).Acting<CancelActionBody, MandateEnvelope>();
        gc.MapGet("/payments", ListPaymentsAsync).Listing(Query("customer"), Query("mandate"), Query("creditor"), Query("status"), Query("currency"), Query("scheme"),
            Query("subscription"), Query("charge_date[gt]"), Query("charge_date[gte]"), Query("charge_date[lt]"), Query("charge_date[lte]")).Produces<PaymentList>(200);
        gc.MapGet("/payments/{id}", GetPaymentAsync).Produces<PaymentEnvelope>(200).WithMetadata(Error(404));
        gc.MapPost("/payments/{id}/actions/cancel", CancelPaymentAsync).Acting<CancelActionBody, PaymentEnvelope>();
        gc.MapGet("/creditors", ListCreditorsAsync).Listing().Produces<CreditorList>(200);
        gc.MapGet("/creditors/{id}", GetCreditorAsync).Produces<CreditorEnvelope>(200).WithMetadata(Error(404));
        gc.MapGet("/events", ListEventsAsync).Listing(Query("resource_type"), Query("action"), Query("billing_request"), Query("mandate"), Query("payment")).Produces<EventList>(200);
        gc.MapGet("/events/{id}", GetEventAsync).Produces<EventEnvelope>(200).WithMetadata(Error(404));
        app.MapGoCardlessFlowPage();
        return app;
    }

    // ---- the OpenAPI document: what each route reads and answers beyond its handler's signature ----

    /// <summary>An error status answered in GoCardless's envelope, for the OpenAPI documents.</summary>
    public static ProducesResponseTypeMetadata Error(int status) => new(status, typeof(GoCardlessErrorBody), ["application/json"]);

    private static ParameterDoc Query(string name, string type = "string") => ParameterDoc.Query(name, type);

    private static readonly ParameterDoc IdempotencyKey =
        ParameterDoc.Header(RequestKeys.Header, description: "Makes a retry safe: the same key and body answer as the first time (a create: 409 idempotent_creation_conflict naming it).");

    /// <summary>A create: its <c>{"resource": {…}}</c> body, 201, and what a write can refuse.</summary>
    private static RouteHandlerBuilder Creating<TBody, TResult>(this RouteHandlerBuilder route)
        where TBody : notnull =>
        route.Parameters(IdempotencyKey).Accepts<TBody>("application/json").Produces<TResult>(201).WithMetadata(Error(409), Error(413), Error(422));

    /// <summary>An action: an optional <c>{"data": {…}}</c>, 200 with the resource as it is now, and what it can refuse.</summary>
    private static RouteHandlerBuilder Acting<TBody, TResult>(this RouteHandlerBuilder route)
        where TBody : notnull =>
        route.Parameters(IdempotencyKey).Accepts<TBody>(isOptional: true, "application/json").Produces<TResult>(200)
            .WithMetadata(Error(404), Error(409), Error(413), Error(422));

    /// <summary>A list: the paging parameters [sdk], the list's own filters, and 422 for a bad one.</summary>
    private static RouteHandlerBuilder Listing(this RouteHandlerBuilder route, params ParameterDoc[] filters) =>
        route.Parameters([
            Query("limit", "integer"), Query("after"), Query("before"),
            Query("created_at[gt]"), Query("created_at[gte]"), Query("created_at[lt]"), Query("created_at[lte]"), .. filters])
            .WithMetadata(Error(422));

    /// <summary>The access token in <c>Authorization: Bearer</c> [sdk]; live and sandbox tokens name their mode.
    /// Missing or unknown is 401 authentication_failed, before the GoCardless-Version check [ours: that order].</summary>
    public static CredentialScheme Credentials { get; } = new(
        GoCardlessStore.Api,
        async http => await CredentialSchemes.BearerKeyAsync(http, GoCardlessStore.Api) is { AccountId: not null } principal ? principal : null,
        http => GoCardlessEnvelope.Usage(401, "authentication_failed",
            http.Request.Headers.Authorization.ToString().Length == 0 ? "Authentication failed: send Authorization: Bearer <access token>." : "Authentication failed: the access token is not valid.",
            RequestIds.Of(http)));

    /// <summary>GoCardless-Version must name the version this API serves (400) [sdk].</summary>
    private static async ValueTask<object?> VersionAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var version = http.Request.Headers["GoCardless-Version"].ToString();
        if (version != Version)
        {
            return (version.Length == 0
                ? GoCardlessEnvelope.Usage(400, "version_required", $"The GoCardless-Version header is required; this API serves {Version}.", RequestIds.Of(http))
                : GoCardlessEnvelope.Usage(400, "version_not_found", $"GoCardless-Version '{(version.Length > 40 ? version[..40] : version)}' is not supported; use {Version}.", RequestIds.Of(http))).ToResult();
        }
        return await next(context);
    }

    private static Principal Principal(HttpContext http) => http.Caller();

    private static Caller Caller(HttpContext http) => new(Principal(http).AccountId!, Principal(http).Mode, "api");

    private static OperationContext Context(HttpContext http) =>
        new(Principal(http).AccountId, GoCardlessStore.ApiFor(Principal(http).Mode), Actor.Credential(Principal(http).CredentialId), RequestIds.Of(http));

    private static string Rid(HttpContext http) => RequestIds.Of(http);

    /// <summary>Reads a POST body and the object under <paramref name="key"/>. Actions accept an empty body as
    /// <c>{"data": {}}</c> [ours].</summary>
    private static async Task<(JsonDocument? Doc, JsonElement Payload, IResult? Failure)> ReadAsync(HttpContext http, string key, bool emptyOk, long maxBytes, CancellationToken ct)
    {
        if (emptyOk && http.Request.ContentLength == 0)
        {
            var empty = JsonDocument.Parse("{}");
            return (empty, empty.RootElement, null);
        }
        var read = await JsonBody.ReadAsync(http.Request, maxBytes, ct);
        if (read.Document is null)
        {
            if (emptyOk && read.Message?.Contains("empty", StringComparison.Ordinal) == true)
            {
                var empty = JsonDocument.Parse("{}");
                return (empty, empty.RootElement, null);
            }
            return (null, default, (read.Failure == SharedFailure.PayloadTooLarge
                ? GoCardlessEnvelope.Usage(413, "request_entity_too_large", read.Message!, Rid(http))
                : GoCardlessEnvelope.Usage(400, "invalid_json", read.Message!, Rid(http))).ToResult());
        }
        var root = read.Document.RootElement;
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name != key)
            {
                var found = p.Name.Length > 40 ? p.Name[..40] : p.Name;
                read.Document.Dispose();
                return (null, default, GoCardlessEnvelope.Usage(400, "invalid_document_structure",
                    $"The request body must be a JSON object with a single '{key}' key; found '{found}'.", Rid(http)).ToResult());
            }
        }
        if (!root.TryGetProperty(key, out var payload) || payload.ValueKind != JsonValueKind.Object)
        {
            if (emptyOk && !root.TryGetProperty(key, out _))
            {
                var empty = JsonDocument.Parse("{}");
                read.Document.Dispose();
                return (empty, empty.RootElement, null);
            }
            read.Document.Dispose();
            return (null, default, GoCardlessEnvelope.Usage(400, "invalid_document_structure",
                $"The request body must be a JSON object with a '{key}' object.", Rid(http)).ToResult());
        }
        return (read.Document, payload, null);
    }

    /// <summary>Runs a command in the coordinator and renders its outcome. Every POST may carry an Idempotency-Key
    /// (the official client always sends one) [sdk].</summary>
    private static async Task<IResult> RunAsync<T>(
        HttpContext http, Coordinator coordinator, JsonElement payload, GoCardlessOptions options,
        Func<UnitOfWork, Task<Outcome<T>>> work, Func<Outcome<T>, string?, StoredResponse> render, CancellationToken ct)
    {
        var rid = Rid(http);
        var (ctx, keyError) = RequestKeys.Attach(http, Context(http), payload.GetRawText(), key => CheckKey(key, rid),
            GoCardlessEnvelope.Policy(options.IdempotencyRetention, rid));
        return (keyError ?? await coordinator.ExecuteAsync(ctx, (uow, _) => work(uow), o => render(o, rid), ct)).ToResult();
    }

    private static StoredResponse? CheckKey(string key, string rid) =>
        key.Length > 128 ? GoCardlessEnvelope.Usage(400, "idempotency_key_too_long", "Idempotency-Key must be at most 128 characters.", rid)
        : key.Any(char.IsControl) ? GoCardlessEnvelope.Usage(400, "invalid_idempotency_key", "Idempotency-Key must be printable characters.", rid)
        : null;

    private static IResult Invalid(HttpContext http, Invalid e) => GoCardlessEnvelope.Invalid(e.Error, e.Pointer, Rid(http)).ToResult();

    // ---- billing requests -----------------------------------------------------------------------------------

    private static async Task<IResult> CreateBillingRequestAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc, CancellationToken ct)
    {
        var (doc, payload, failure) = await ReadAsync(http, GoCardlessStore.BillingRequests, false, options.Value.MaxBodyBytes, ct);
        using var _ = doc;
        if (failure is not null)
        {
            return failure;
        }
        var (input, error) = GoCardlessInput.BillingRequest(payload);
        if (input is null)
        {
            return Invalid(http, error!);
        }
        var caller = Caller(http);
        return await RunAsync(http, coordinator, payload, gc.Value, uow => GoCardlessCommands.CreateBillingRequestAsync(uow, caller, input), GoCardlessEnvelope.Created, ct);
    }

    private static async Task<IResult> GetBillingRequestAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var row = GoCardlessRules.LooksLike(id, "BRQ") ? await GoCardlessStore.GetRequestAsync(db, p.AccountId, p.Mode, id, ct) : null;
        return row is null
            ? GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult()
            : new StoredResponse(200, GoCardlessJson.Wrap(GoCardlessStore.BillingRequests, GoCardlessJson.BillingRequest(row))).ToResult();
    }

    public static readonly string[] Actions =
    [
        GoCardlessRules.CollectCustomerDetails, GoCardlessRules.CollectBankAccount, GoCardlessRules.ConfirmPayerDetails,
        GoCardlessRules.Fulfil, GoCardlessRules.Cancel, GoCardlessRules.Notify, GoCardlessRules.Fallback,
    ];

    private static async Task<IResult> ActAsync(string id, string action, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc, CancellationToken ct)
    {
        if (!Actions.Contains(action))
        {
            return GoCardlessEnvelope.Usage(404, "path_not_found", $"Billing requests have no action '{(action.Length > 40 ? action[..40] : action)}'.", Rid(http)).ToResult();
        }
        var (doc, payload, failure) = await ReadAsync(http, "data", true, options.Value.MaxBodyBytes, ct);
        using var _ = doc;
        if (failure is not null)
        {
            return failure;
        }
        var (data, error) = GoCardlessInput.ActionData(action, payload);
        if (data is null)
        {
            return Invalid(http, error!);
        }
        if (!GoCardlessRules.LooksLike(id, "BRQ"))
        {
            return GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult();
        }
        var caller = Caller(http);
        return await RunAsync(http, coordinator, payload, gc.Value, uow => GoCardlessCommands.ActAsync(uow, caller, id, action, data), GoCardlessEnvelope.Request, ct);
    }

    private static async Task<IResult> ListBillingRequestsAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var q = ListQuery.Parse(http.Request.Query, ["status", "customer"]);
        if (q.Error is not null)
        {
            return Invalid(http, q.Error);
        }
        var status = q.Value("status");
        if (status is not null && !GoCardlessRules.States.Contains(status))
        {
            return Invalid(http, new(new("status", "must be one of " + string.Join(", ", GoCardlessRules.States)), "/status"));
        }
        var page = await GoCardlessStore.ListRequestsAsync(db, p.AccountId!, p.Mode, status, q.Value("customer"), q.Created, q.Page, ct);
        return Paged(http, q, GoCardlessStore.BillingRequests, page, GoCardlessJson.BillingRequest, r => r.Id);
    }

    /// <summary>A page of a list in GoCardless's shape, its cursors the ids of its first and last items; an unknown
    /// cursor is 422 naming it.</summary>
    private static IResult Paged<T>(HttpContext http, ListQuery q, string key, (IReadOnlyList<T> Rows, bool Older, bool Newer)? page, Func<T, System.Text.Json.Nodes.JsonObject> render, Func<T, string> id)
    {
        if (page is not { } pg)
        {
            return Invalid(http, new(new(q.Page.After is null ? "before" : "after", "is not a cursor of this list"), "/cursor"));
        }
        return new StoredResponse(200, GoCardlessJson.List(key, pg.Rows.Select(render),
            pg.Newer && pg.Rows.Count > 0 ? id(pg.Rows[0]) : null, pg.Older && pg.Rows.Count > 0 ? id(pg.Rows[^1]) : null, q.Page.Limit)).ToResult();
    }

    /// <summary>GET of one resource of the caller's account and mode: an id without the resource's prefix, or
    /// another account's or mode's, is 404 resource_not_found.</summary>
    private static async Task<IResult> FindAsync<T>(HttpContext http, string id, string prefix, string key, Func<Principal, Task<T?>> read, Func<T, System.Text.Json.Nodes.JsonObject> render)
        where T : class
    {
        var row = GoCardlessRules.LooksLike(id, prefix) ? await read(Principal(http)) : null;
        return row is null
            ? GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult()
            : new StoredResponse(200, GoCardlessJson.Wrap(key, render(row))).ToResult();
    }

    // ---- flows ----------------------------------------------------------------------------------------------

    private static async Task<IResult> CreateFlowAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc, CancellationToken ct)
    {
        var (doc, payload, failure) = await ReadAsync(http, GoCardlessStore.Flows, false, options.Value.MaxBodyBytes, ct);
        using var _ = doc;
        if (failure is not null)
        {
            return failure;
        }
        var (input, error) = GoCardlessInput.Flow(payload);
        if (input is null)
        {
            return Invalid(http, error!);
        }
        var caller = Caller(http);
        var pageBase = gc.Value.PublicUrl ?? PublicUrls.Base(http);
        return await RunAsync(http, coordinator, payload, gc.Value, uow => GoCardlessCommands.CreateFlowAsync(uow, caller, input, pageBase), GoCardlessEnvelope.FlowCreated, ct);
    }

    private static async Task<IResult> GetFlowAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var row = GoCardlessRules.LooksLike(id, "BRF") ? await GoCardlessStore.GetFlowAsync(db, p.AccountId, p.Mode, id, ct) : null;
        return row is null
            ? GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult()
            : new StoredResponse(200, GoCardlessJson.Wrap(GoCardlessStore.Flows, GoCardlessJson.Flow(row))).ToResult();
    }

    private static async Task<IResult> InitialiseFlowAsync(string id, HttpContext http, Coordinator coordinator, Database db, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc, CancellationToken ct)
    {
        var (doc, payload, failure) = await ReadAsync(http, "data", true, options.Value.MaxBodyBytes, ct);
        using var _ = doc;
        if (failure is not null)
        {
            return failure;
        }
        var p = Principal(http);
        var row = GoCardlessRules.LooksLike(id, "BRF") ? await GoCardlessStore.GetFlowAsync(db, p.AccountId, p.Mode, id, ct) : null;
        if (row is null)
        {
            return GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult();
        }
        var caller = Caller(http);
        return await RunAsync(http, coordinator, payload, gc.Value, uow => GoCardlessCommands.InitialiseFlowAsync(uow, caller, row), GoCardlessEnvelope.Flow, ct);
    }

    // ---- customers and creditors ----------------------------------------------------------------------------

    private static async Task<IResult> CreateCustomerAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc, CancellationToken ct)
    {
        var (doc, payload, failure) = await ReadAsync(http, GoCardlessStore.Customers, false, options.Value.MaxBodyBytes, ct);
        using var _ = doc;
        if (failure is not null)
        {
            return failure;
        }
        var (fields, error) = GoCardlessInput.Customer(payload);
        if (fields is null)
        {
            return Invalid(http, error!);
        }
        var caller = Caller(http);
        return await RunAsync(http, coordinator, payload, gc.Value, uow => GoCardlessCommands.CreateCustomerAsync(uow, caller, fields), GoCardlessEnvelope.CustomerCreated, ct);
    }

    private static Task<IResult> GetCustomerAsync(string id, HttpContext http, Database db, CancellationToken ct) =>
        FindAsync(http, id, "CU", GoCardlessStore.Customers, p => GoCardlessStore.GetCustomerAsync(db, p.AccountId!, p.Mode, id, ct), GoCardlessJson.Customer);

    private static async Task<IResult> ListCustomersAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var q = ListQuery.Parse(http.Request.Query, []);
        if (q.Error is not null)
        {
            return Invalid(http, q.Error);
        }
        return Paged(http, q, GoCardlessStore.Customers, await GoCardlessStore.ListCustomersAsync(db, p.AccountId!, p.Mode, q.Created, q.Page, ct), GoCardlessJson.Customer, r => r.Id);
    }

    // ---- customer bank accounts, mandates, payments -------------------------------------------------------------

    private static Task<IResult> GetBankAccountAsync(string id, HttpContext http, Database db, CancellationToken ct) =>
        FindAsync(http, id, "BA", GoCardlessStore.BankAccounts, p => GoCardlessStore.GetBankAccountAsync(db, p.AccountId!, p.Mode, id, ct), GoCardlessJson.BankAccount);

    private static Task<IResult> GetMandateAsync(string id, HttpContext http, Database db, CancellationToken ct) =>
        FindAsync(http, id, "MD", GoCardlessStore.Mandates, p => GoCardlessStore.GetMandateAsync(db, p.AccountId!, p.Mode, id, ct), GoCardlessJson.Mandate);

    private static Task<IResult> GetPaymentAsync(string id, HttpContext http, Database db, CancellationToken ct) =>
        FindAsync(http, id, "PM", GoCardlessStore.Payments, p => GoCardlessStore.GetPaymentAsync(db, p.AccountId!, p.Mode, id, ct), GoCardlessJson.Payment);

    private static Task<IResult> CancelMandateAsync(string id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc, CancellationToken ct) =>
        CancelAsync(http, id, "MD", coordinator, options, gc, (uow, caller, metadata) => GoCardlessResourceCommands.MandateAsync(uow, caller, id, GoCardlessRules.Cancel, metadata), GoCardlessEnvelope.Mandate, ct);

    private static Task<IResult> CancelPaymentAsync(string id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc, CancellationToken ct) =>
        CancelAsync(http, id, "PM", coordinator, options, gc, (uow, caller, metadata) => GoCardlessResourceCommands.PaymentAsync(uow, caller, id, GoCardlessRules.Cancel, metadata), GoCardlessEnvelope.Payment, ct);

    /// <summary>A mandate's or payment's cancel: an optional <c>{"data": {"metadata": …}}</c>, then the command in the
    /// coordinator under the request's Idempotency-Key.</summary>
    private static async Task<IResult> CancelAsync<T>(
        HttpContext http, string id, string prefix, Coordinator coordinator, IOptions<RescindOptions> options, IOptions<GoCardlessOptions> gc,
        Func<UnitOfWork, Caller, System.Text.Json.Nodes.JsonObject?, Task<Outcome<T>>> work, Func<Outcome<T>, string?, StoredResponse> render, CancellationToken ct)
    {
        var (doc, payload, failure) = await ReadAsync(http, "data", true, options.Value.MaxBodyBytes, ct);
        using var _ = doc;
        if (failure is not null)
        {
            return failure;
        }
        var (metadata, error) = GoCardlessInput.CancelData(payload);
        if (error is not null)
        {
            return Invalid(http, error);
        }
        if (!GoCardlessRules.LooksLike(id, prefix))
        {
            return GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult();
        }
        var caller = Caller(http);
        return await RunAsync(http, coordinator, payload, gc.Value, uow => work(uow, caller, metadata), render, ct);
    }

    private static async Task<IResult> ListBankAccountsAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var q = ListQuery.Parse(http.Request.Query, ["customer", "enabled"]);
        if (q.Error is not null)
        {
            return Invalid(http, q.Error);
        }
        var enabledText = q.Value("enabled");
        if (enabledText is not (null or "true" or "false"))
        {
            return Invalid(http, new(new("enabled", "must be true or false"), "/enabled"));
        }
        bool? enabled = enabledText is null ? null : enabledText == "true";
        var page = await GoCardlessStore.ListBankAccountsAsync(db, p.AccountId!, p.Mode, q.Value("customer"), enabled, q.Created, q.Page, ct);
        return Paged(http, q, GoCardlessStore.BankAccounts, page, GoCardlessJson.BankAccount, r => r.Id);
    }

    private static async Task<IResult> ListMandatesAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var q = ListQuery.Parse(http.Request.Query, ["customer", "customer_bank_account", "creditor", "status", "reference", "scheme"]);
        if (q.Error is not null)
        {
            return Invalid(http, q.Error);
        }
        // The official client sends a list of statuses comma-separated [sdk].
        var statuses = q.Value("status")?.Split(',');
        if (statuses?.FirstOrDefault(x => !GoCardlessRules.MandateStates.Contains(x)) is not null)
        {
            return Invalid(http, new(new("status", "must be one or more of " + string.Join(", ", GoCardlessRules.MandateStates)), "/status"));
        }
        var page = await GoCardlessStore.ListMandatesAsync(db, p.AccountId!, p.Mode, q.Value("customer"), q.Value("customer_bank_account"), q.Value("creditor"),
            statuses, q.Value("reference"), q.Value("scheme")?.Split(','), q.Created, q.Page, ct);
        return Paged(http, q, GoCardlessStore.Mandates, page, GoCardlessJson.Mandate, r => r.Id);
    }

    private static readonly Dictionary<string, string> ChargeDateOps = new(StringComparer.Ordinal)
    {
        ["charge_date[gt]"] = ">",
        ["charge_date[gte]"] = ">=",
        ["charge_date[lt]"] = "<",
        ["charge_date[lte]"] = "<=",
    };

    /// <summary>The payments list takes one status, one currency and one scheme, unlike the mandates list [sdk:
    /// PaymentListRequest]; charge_date bounds are dates (YYYY-MM-DD) [doc].</summary>
    private static async Task<IResult> ListPaymentsAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var q = ListQuery.Parse(http.Request.Query, ["customer", "mandate", "creditor", "status", "currency", "scheme", "subscription", .. ChargeDateOps.Keys]);
        if (q.Error is not null)
        {
            return Invalid(http, q.Error);
        }
        var status = q.Value("status");
        if (status is not null && !GoCardlessRules.PaymentStates.Contains(status))
        {
            return Invalid(http, new(new("status", "must be one of " + string.Join(", ", GoCardlessRules.PaymentStates)), "/status"));
        }
        var currency = q.Value("currency");
        if (currency is not null && !GoCardlessInput.MandateCurrencies.Contains(currency))
        {
            return Invalid(http, new(new("currency", "must be one of " + string.Join(", ", GoCardlessInput.MandateCurrencies)), "/currency"));
        }
        var chargeDate = new List<(string, string)>();
        foreach (var (name, op) in ChargeDateOps)
        {
            if (q.Value(name) is { } date)
            {
                if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
                {
                    return Invalid(http, new(new(name, "must be a date such as 2026-01-31"), "/" + name));
                }
                chargeDate.Add((op, date));
            }
        }
        var filter = new PaymentFilter(q.Value("customer"), q.Value("mandate"), q.Value("creditor"), status, currency, q.Value("scheme"), q.Value("subscription"), chargeDate);
        var page = await GoCardlessStore.ListPaymentsAsync(db, p.AccountId!, p.Mode, filter, q.Created, q.Page, ct);
        return Paged(http, q, GoCardlessStore.Payments, page, GoCardlessJson.Payment, r => r.Id);
    }

    /// <summary>The default creditor exists from the account's first GoCardless call that needs it [ours].</summary>
    private static async Task<CreditorRow> CreditorAsync(HttpContext http, Database db, Coordinator coordinator, CancellationToken ct)
    {
        var p = Principal(http);
        return await GoCardlessStore.FindCreditorAsync(db, p.AccountId!, p.Mode, ct)
            ?? await coordinator.RunAsync(Context(http), (uow, _) => GoCardlessStore.EnsureCreditorAsync(uow, p.AccountId!, p.Mode), ct);
    }

    private static async Task<IResult> ListCreditorsAsync(HttpContext http, Database db, Coordinator coordinator, CancellationToken ct)
    {
        var q = ListQuery.Parse(http.Request.Query, []);
        if (q.Error is not null)
        {
            return Invalid(http, q.Error);
        }
        var creditor = await CreditorAsync(http, db, coordinator, ct);
        var items = q.Page.After is null && q.Page.Before is null ? [GoCardlessJson.Creditor(creditor)] : Array.Empty<System.Text.Json.Nodes.JsonObject>();
        return new StoredResponse(200, GoCardlessJson.List("creditors", items, null, null, q.Page.Limit)).ToResult();
    }

    private static async Task<IResult> GetCreditorAsync(string id, HttpContext http, Database db, Coordinator coordinator, CancellationToken ct)
    {
        var creditor = await CreditorAsync(http, db, coordinator, ct);
        return creditor.Id != id
            ? GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult()
            : new StoredResponse(200, GoCardlessJson.Wrap("creditors", GoCardlessJson.Creditor(creditor))).ToResult();
    }

    // ---- events ---------------------------------------------------------------------------------------------

    private static async Task<IResult> ListEventsAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var q = ListQuery.Parse(http.Request.Query, ["resource_type", "action", .. EventFilters.Keys]);
        if (q.Error is not null)
        {
            return Invalid(http, q.Error);
        }
        string[] types = [GoCardlessStore.BillingRequests, GoCardlessStore.Mandates, GoCardlessStore.Payments];
        var resourceType = q.Value("resource_type");
        if (resourceType is not null && !types.Contains(resourceType))
        {
            return Invalid(http, new(new("resource_type", "must be one of " + string.Join(", ", types)), "/resource_type"));
        }
        // One resource filter at most, and it names the resource type [ours, as GoCardless takes one].
        var filters = EventFilters.Where(f => q.Value(f.Key) is not null).ToList();
        if (filters.Count > 1)
        {
            return Invalid(http, new(new(filters[1].Key, "cannot be combined with " + filters[0].Key), "/" + filters[1].Key));
        }
        string? resourceId = null;
        if (filters.Count == 1)
        {
            if (resourceType is not null && resourceType != filters[0].Value)
            {
                return Invalid(http, new(new("resource_type", "must be " + filters[0].Value + " with " + filters[0].Key), "/resource_type"));
            }
            resourceType = filters[0].Value;
            resourceId = q.Value(filters[0].Key);
        }
        long? after = null, before = null;
        if (q.Page.After is { } a && (after = GoCardlessRules.OutboxId(a)) is null)
        {
            return Invalid(http, new(new("after", "is not an event id"), "/after"));
        }
        if (q.Page.Before is { } b && (before = GoCardlessRules.OutboxId(b)) is null)
        {
            return Invalid(http, new(new("before", "is not an event id"), "/before"));
        }
        var (rows, older, newer) = await GoCardlessStore.ListEventsAsync(db, p.AccountId!, p.Mode, resourceType, q.Value("action"), resourceId,
            q.Created, after, before, q.Page.Limit, ct);
        return new StoredResponse(200, GoCardlessJson.List("events", rows.Select(GoCardlessJson.Event),
            newer && rows.Count > 0 ? GoCardlessRules.EventId(rows[0].Id) : null,
            older && rows.Count > 0 ? GoCardlessRules.EventId(rows[^1].Id) : null, q.Page.Limit)).ToResult();
    }

    /// <summary>The events list's resource filters and the resource type each names [sdk].</summary>
    private static readonly Dictionary<string, string> EventFilters = new(StringComparer.Ordinal)
    {
        ["billing_request"] = GoCardlessStore.BillingRequests,
        ["mandate"] = GoCardlessStore.Mandates,
        ["payment"] = GoCardlessStore.Payments,
    };

    private static async Task<IResult> GetEventAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        var p = Principal(http);
        var row = GoCardlessRules.OutboxId(id) is { } n ? await GoCardlessStore.GetEventAsync(db, p.AccountId!, p.Mode, n, ct) : null;
        return row is null
            ? GoCardlessEnvelope.NotFound(id, Rid(http)).ToResult()
            : new StoredResponse(200, GoCardlessJson.Wrap("events", GoCardlessJson.Event(row))).ToResult();
    }
}

/// <summary>The common list parameters: limit (1–500, default 50), after, before, created_at[gt|gte|lt|lte] [sdk].</summary>
public sealed class ListQuery
{
    public PageQuery Page { get; private init; } = new(50, null, null);

    public IReadOnlyList<(string Op, long At)> Created { get; private init; } = [];

    public Invalid? Error { get; private init; }

    private Dictionary<string, string> Values { get; init; } = [];

    public string? Value(string name) => Values.TryGetValue(name, out var v) ? v : null;

    private static readonly Dictionary<string, string> CreatedOps = new(StringComparer.Ordinal)
    {
        ["created_at[gt]"] = ">",
        ["created_at[gte]"] = ">=",
        ["created_at[lt]"] = "<",
        ["created_at[lte]"] = "<=",
    };

    public static ListQuery Parse(IQueryCollection query, string[] filters)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var created = new List<(string, long)>();
        foreach (var (name, value) in query)
        {
            if (value.Count > 1)
            {
                return Fail(name, "is given more than once");
            }
            var text = value.ToString();
            if (CreatedOps.TryGetValue(name, out var op))
            {
                if (!Time.TryParseUtc(text, out var at))
                {
                    return Fail(name, "must be an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z");
                }
                created.Add((op, Time.ToUnixMs(at)));
            }
            else if (name is "limit" or "after" or "before" || filters.Contains(name))
            {
                values[name] = text;
            }
            else
            {
                return Fail(name, "is not a recognised parameter");
            }
        }
        var limit = 50;
        if (!StrictQuery.TryInteger(values.GetValueOrDefault("limit"), 1, 500, ref limit))
        {
            return Fail("limit", "must be a whole number from 1 to 500");
        }
        if (values.ContainsKey("after") && values.ContainsKey("before"))
        {
            return Fail("after", "cannot be combined with before");
        }
        return new ListQuery
        {
            Page = new PageQuery(limit, values.GetValueOrDefault("after"), values.GetValueOrDefault("before")),
            Created = created,
            Values = values,
        };

        static ListQuery Fail(string name, string message) => new() { Error = new(new(name, message), "/" + name) };
    }
}
