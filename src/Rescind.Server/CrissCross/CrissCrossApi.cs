using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.CrissCross;

/// <summary>
/// CrissCross Collect: checkout sessions, their payment attempts, refunds and the cancellations report.
/// <code>
/// POST /v1/auth/oauth2/token                 client credentials → bearer token (no bearer needed)
/// POST /v1/checkout/session                  create a session
/// GET  /v1/checkout/session/{sessionId}      get a session with its transactions
/// POST /v1/checkout/session/cancel           cancel a session, cascading to its in-flight transactions
/// GET  /v1/checkout/sessions                 list (status, limit, cursor)
/// POST /v1/payment                           start a payment attempt on a session
/// GET  /v1/payment/{transactionId}           payment status
/// POST /v1/payment/authorize                 submit the payer's authorisation for a transaction
/// POST /v1/payment/refunds                   full or partial refund
/// GET  /v1/payment/refunds/{transactionId}   a refund (its own transaction id)
/// GET  /v1/reports/cancellations             cancelled sessions by reason (from, to)
/// </code>
/// </summary>
public static class CrissCrossApi
{
    /// <summary>The audit row of a bearer token issued: credential use, not a resource's history.</summary>
    public static readonly Rescind.Core.Jobs.CredentialAuditRows TokenAudit = new(CrissCrossStore.Api, "oauth.token", "token.issued");


    public static IEndpointRouteBuilder MapCrissCross(this IEndpointRouteBuilder app)
    {
        // Every status the API answers, in Collect's envelope for the errors (the shared ones too: 401, 413).
        app.MapPost("/v1/auth/oauth2/token", TokenAsync).WithGroupName(CrissCrossStore.Api)
            .Accepts<TokenRequest>("application/x-www-form-urlencoded", "application/json")
            .Produces<TokenResponse>(200)
            .Produces<CrissCrossEnvelope.OAuthErrorBody>(400)
            .Produces<CrissCrossEnvelope.OAuthErrorBody>(401)
            .Errors(413);
        var v1 = app.MapGroup("/v1").WithGroupName(CrissCrossStore.Api).RequireCaller(Credentials)
            .Errors(401);
        v1.MapPost("/checkout/session", CreateSessionAsync)
            .Accepts<CreateSessionRequest>("application/json").Keyed()
            .Produces<SessionCreatedResult>(201)
            .Errors(403);
        v1.MapPost("/checkout/session/cancel", CancelSessionAsync)
            .Accepts<CancelSessionRequest>("application/json").Keyed()
            .Produces<CancelResult>(200)
            .Errors(404);
        v1.MapGet("/checkout/session/{sessionId}", GetSessionAsync)
            .Produces<CheckoutSession>(200)
            .Errors(404);
        v1.MapGet("/checkout/sessions", ListSessionsAsync)
            .Parameters(
                ParameterDoc.Query("status", description: "one of " + string.Join(", ", CrissCrossRules.SessionStates)),
                ParameterDoc.Query("limit", "integer", "1 to 200, default 20"),
                ParameterDoc.Query("cursor", description: "the nextCursor of the previous page"))
            .Produces<SessionList>(200)
            .Errors(400);
        v1.MapPost("/payment", PayAsync)
            .Accepts<PaymentRequest>("application/json").Keyed()
            .Produces<PaymentStatus>(201)
            .Errors(404);
        v1.MapPost("/payment/refunds", RefundAsync)
            .Accepts<VendorRefundRequest>("application/json").Keyed()
            .Produces<RefundRecord>(202)
            .Produces<RefundResult>(201)
            .Errors(404);
        v1.MapGet("/payment/refunds/{transactionId}", GetRefundAsync)
            .Produces<RefundRecord>(200)
            .Errors(404);
        v1.MapPost("/payment/authorize", AuthorizeAsync)
            .Accepts<AuthorizeRequest>("application/json").Keyed()
            .Produces<AuthorizeResult>(200)
            .Errors(404);
        v1.MapGet("/payment/available-methods", AvailableMethodsAsync)
            .Parameters(new ParameterDoc("sessionId", Microsoft.OpenApi.ParameterLocation.Query, Required: true, Description: "the checkout session the payer pays"))
            .Produces<AvailableMethods>(200)
            .Errors(400, 404);
        // The id catch-all leaves the documented literal paths under /payment alone, so another method on one of
        // them is a 405 rather than a transaction lookup.
        v1.MapGet("/payment/{transactionId:" + PaymentIdConstraint.Name + "}", GetPaymentAsync)
            .Produces<PaymentStatus>(200)
            .Errors(404);
        v1.MapGet("/reports/cancellations", CancellationsReportAsync)
            .Parameters(
                ParameterDoc.Query("from", description: "ISO-8601 in UTC with Z, inclusive"),
                ParameterDoc.Query("to", description: "ISO-8601 in UTC with Z, exclusive"))
            .Produces<CancellationsReport>(200)
            .Errors(400);
        return app;
    }

    public sealed record Caller(string AccountId, string CredentialId);

    /// <summary>Bearer tokens from the token endpoint, unexpired, whose client credential is not revoked [doc: 401 otherwise].</summary>
    public static CredentialScheme Credentials { get; } = new(CrissCrossStore.Api, ResolveTokenAsync, http =>
        CrissCrossEnvelope.Fail(401, CrissCrossEnvelope.Unauthorized,
            http.Request.Headers.Authorization.ToString().Length == 0
                ? "Missing Authorization header; send Authorization: Bearer <access_token> from POST /v1/auth/oauth2/token."
                : "The access token is invalid or has expired."));

    private static async ValueTask<Principal?> ResolveTokenAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length is <= 7 or >= 600)
        {
            return null;
        }
        var db = http.RequestServices.GetRequiredService<Database>();
        var now = Time.ToUnixMs(http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        await using var connection = await db.OpenAsync(http.RequestAborted);
        var caller = await connection.QuerySingleOrDefaultAsync<Caller>(
            """
            SELECT t.account_id, t.credential_id
            FROM crisscross_tokens t JOIN credentials c ON c.id = t.credential_id
            WHERE t.hash = @hash AND t.expires_at > @now AND c.revoked_at IS NULL
            """,
            new { hash = Ids.Sha256Hex(header[7..].Trim()), now });
        return caller is null ? null : new Principal(caller.CredentialId, caller.AccountId, CrissCrossStore.Api, "live");
    }

    private static Caller Of(HttpContext http)
    {
        var p = http.Caller();
        return new Caller(p.AccountId!, p.CredentialId);
    }

    private static OperationContext Context(HttpContext http) =>
        new(Of(http).AccountId, CrissCrossStore.Api, Actor.Credential(Of(http).CredentialId), RequestIds.Of(http));

    /// <summary>OAuth2 client credentials [doc]: form or JSON body, <c>client_id</c>/<c>client_secret</c> or
    /// <c>merchantId</c>/<c>clientSecret</c>, or HTTP Basic. The client id is the merchant (account) id or the
    /// credential's id [ours].</summary>
    private static async Task<IResult> TokenAsync(HttpContext http, AccountStore accounts, Coordinator coordinator, IOptions<CrissCrossOptions> options, IOptions<RescindOptions> rescind, CancellationToken ct)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (http.Request.HasFormContentType)
        {
            try
            {
                var (form, tooLarge) = await JsonBody.ReadFormAsync(http.Request, rescind.Value.MaxBodyBytes, ct);
                if (form is null)
                {
                    return BodyFailure(tooLarge!);
                }
                foreach (var (k, v) in form)
                {
                    fields[k] = v.ToString();
                }
            }
            catch (InvalidDataException e)
            {
                return OAuth(http, 400, CrissCrossEnvelope.OAuthInvalidRequest, $"The form body could not be read: {e.Message}");
            }
        }
        else if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var read = await JsonBody.ReadAsync(http.Request, rescind.Value.MaxBodyBytes, ct);
            using var doc = read.Document;
            if (doc is null)
            {
                return read.Failure == SharedFailure.PayloadTooLarge
                    ? BodyFailure(read)
                    : OAuth(http, 400, CrissCrossEnvelope.OAuthInvalidRequest, read.Message!);
            }
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return OAuth(http, 400, CrissCrossEnvelope.OAuthInvalidRequest, "The body must be a JSON object.");
            }
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    return OAuth(http, 400, CrissCrossEnvelope.OAuthInvalidRequest, $"{p.Name} must be a string.");
                }
                fields[p.Name] = p.Value.GetString()!;
            }
        }
        var basic = http.Request.Headers.Authorization.ToString();
        if (basic.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(basic[6..].Trim())).Split(':', 2);
                if (pair.Length == 2)
                {
                    fields.TryAdd("client_id", Uri.UnescapeDataString(pair[0]));
                    fields.TryAdd("client_secret", Uri.UnescapeDataString(pair[1]));
                }
            }
            catch (FormatException)
            {
                return OAuth(http, 401, CrissCrossEnvelope.OAuthInvalidClient, "The Basic credentials are not valid base64.");
            }
        }
        if (fields.TryGetValue("grant_type", out var grant) && grant != "client_credentials")
        {
            return OAuth(http, 400, CrissCrossEnvelope.OAuthUnsupportedGrantType, "Only the client_credentials grant is supported.");
        }
        var clientId = fields.GetValueOrDefault("client_id") ?? fields.GetValueOrDefault("merchantId");
        var secret = fields.GetValueOrDefault("client_secret") ?? fields.GetValueOrDefault("clientSecret");
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
        {
            return OAuth(http, 400, CrissCrossEnvelope.OAuthInvalidRequest, "client_id and client_secret (or merchantId and clientSecret) are required.");
        }
        var principal = await accounts.AuthenticateAsync(CrissCrossStore.Api, secret, ct);
        if (principal?.AccountId is null || (!NamesMerchant(clientId, principal.AccountId) && clientId != principal.CredentialId))
        {
            return OAuth(http, 401, CrissCrossEnvelope.OAuthInvalidClient, "The client credentials are not valid.");
        }
        var token = "cct_" + Ids.Secret(40);
        var lifetime = options.Value.TokenLifetime;
        await coordinator.RunAsync(new OperationContext(principal.AccountId, CrissCrossStore.Api, Actor.Credential(principal.CredentialId), RequestIds.Of(http)),
            async (uow, _) =>
            {
                await uow.ExecuteAsync(
                    "INSERT INTO crisscross_tokens (hash, account_id, credential_id, created_at, expires_at) VALUES (@hash, @AccountId, @CredentialId, @Now, @expiresAt)",
                    new { hash = Ids.Sha256Hex(token), principal.AccountId, principal.CredentialId, Now = uow.NowMs, expiresAt = checked(uow.NowMs + (long)lifetime.TotalMilliseconds) });
                await uow.RecordAsync(new Change(CrissCrossStore.Api, TokenAudit.ResourceType, principal.CredentialId, TokenAudit.Action, null, null,
                    Reason: $"expires in {(long)lifetime.TotalSeconds} s"));
                return 0;
            }, ct);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Text(JsonSerializer.Serialize(new TokenResponse(token, "Bearer", (long)lifetime.TotalSeconds)), "application/json", Encoding.UTF8, 200);
    }

    private static async Task<IResult> CreateSessionAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> rescind, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, rescind.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return BodyFailure(read);
        }
        var root = doc.RootElement;
        var f = new JsonFields(root).Allow("merchantId", "merchantReference", "amount", "currency", "integrationType", "payerDetails",
            "redirectUrl", "paymentAttributes", "expiresInSeconds");
        var merchantId = f.String("merchantId", required: true, 64);
        var reference = f.String("merchantReference", required: true, 255, IsText, TextFormat);
        var amount = f.Integer("amount", required: true, 1, MaxAmount);
        var currency = f.String("currency", required: true, 3, c => c.Length == 3 && c.All(char.IsAsciiLetterUpper), "an ISO 4217 code such as KES");
        var integration = f.String("integrationType", required: true, 16, t => CrissCrossRules.IntegrationTypes.Contains(t),
            "one of " + string.Join(", ", CrissCrossRules.IntegrationTypes));
        var payer = f.Object("payerDetails", required: true);
        var redirect = f.String("redirectUrl", required: false, 2048,
            u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http", "an absolute http(s) URL");
        var attributes = f.StringMap("paymentAttributes", required: false, MaxAttributes, 64, 1000);
        var expiresIn = f.Integer("expiresInSeconds", required: false, 60, 7 * 24 * 3600);
        if (f.Ok)
        {
            PayerDetails(f, root.GetProperty("payerDetails"));
        }
        if (!f.Ok)
        {
            return Bad(f.Error!.Message);
        }
        if (!NamesMerchant(merchantId!, Of(http).AccountId))
        {
            return CrissCrossEnvelope.Fail(403, CrissCrossEnvelope.Forbidden,
                "merchantId does not name the merchant this access token was issued to.").ToResult();
        }
        var ctx = WithKey(http, Context(http), doc, options.Value, out var keyError);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        var input = new NewSession(reference!, amount!.Value, currency!, payer!, redirect, (int?)expiresIn, merchantId!, integration!, attributes);
        var o = options.Value;
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => CrissCrossCommands.CreateSessionAsync(uow, input, o),
            outcome => CrissCrossEnvelope.SessionCreated(outcome, o.PaymentLinkBase), ct)).ToResult();
    }

    private static async Task<IResult> GetSessionAsync(string sessionId, HttpContext http, Database db, TimeProvider clock, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        var row = IsUuid(sessionId) ? await CrissCrossStore.GetSessionAsync(db, Of(http).AccountId, sessionId, ct) : null;
        if (row is null)
        {
            return CrissCrossEnvelope.NoSession(sessionId).ToResult();
        }
        var transactions = await CrissCrossStore.TransactionsOfAsync(db, [row.Id], ct);
        return Ok(CrissCrossJson.Session(row, transactions, Time.ToUnixMs(clock.GetUtcNow()), options.Value.PaymentLinkBase));
    }

    private static async Task<IResult> CancelSessionAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> rescind, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, rescind.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return BodyFailure(read);
        }
        var f = new JsonFields(doc.RootElement).Allow("sessionId", "reason");
        var sessionId = f.String("sessionId", required: true, 36, IsUuid, "a UUID");
        var reason = f.String("reason", required: false, 1000, IsText, TextFormat);
        if (!f.Ok)
        {
            return Bad(f.Error!.Message);
        }
        var ctx = WithKey(http, Context(http), doc, options.Value, out var keyError);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        var o = options.Value;
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => CrissCrossCommands.CancelAsync(uow, sessionId!, reason, o),
            CrissCrossEnvelope.Cancelled, ct)).ToResult();
    }

    private static readonly string[] ListParameters = ["status", "limit", "cursor"];

    private static async Task<IResult> ListSessionsAsync(HttpContext http, Database db, TimeProvider clock, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (UnknownOrRepeated(q, ListParameters) is { } problem)
        {
            return Bad(problem);
        }
        var accountId = Of(http).AccountId;
        var now = Time.ToUnixMs(clock.GetUtcNow());
        var status = Param(q, "status");
        if (status is not null && !CrissCrossRules.SessionStates.Contains(status))
        {
            return Bad($"status must be one of {string.Join(", ", CrissCrossRules.SessionStates)}.");
        }
        var limit = 20;
        if (!StrictQuery.TryInteger(Param(q, "limit"), 1, 200, ref limit))
        {
            return Bad("limit must be an integer from 1 to 200.");
        }
        (long, string)? after = null;
        if (Param(q, "cursor") is { } cursor)
        {
            after = IsUuid(cursor) ? await CrissCrossStore.CursorAsync(db, accountId, cursor, ct) : null;
            if (after is null)
            {
                return Bad("cursor does not name a session of this merchant; pass the nextCursor of a previous page.");
            }
        }
        var rows = await CrissCrossStore.ListSessionsAsync(db, accountId, status, after, limit, now, ct);
        var page = rows.Take(limit).ToList();
        var transactions = (await CrissCrossStore.TransactionsOfAsync(db, page.Select(s => s.Id).ToList(), ct)).ToLookup(t => t.SessionId);
        var hasMore = rows.Count > limit;
        return Ok(new SessionList(
            page.Select(s => CrissCrossJson.Session(s, transactions[s.Id].ToList(), now, options.Value.PaymentLinkBase)).ToList(),
            hasMore ? page[^1].Id : null,
            hasMore));
    }

    private static async Task<IResult> PayAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> rescind, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, rescind.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return BodyFailure(read);
        }
        var root = doc.RootElement;
        var f = new JsonFields(root).Allow("sessionId", "paymentMethodId", "paymentDetails", "attributes", "signature", "provider", "paymentMethod");
        var sessionId = f.String("sessionId", required: true, 36, IsUuid, "a UUID");
        // Rescind's earlier {provider, paymentMethod} is still read, as the vendor's {paymentMethodId, paymentDetails} [ours].
        var legacy = root.TryGetProperty("provider", out _) || root.TryGetProperty("paymentMethod", out _);
        if (legacy && (root.TryGetProperty("paymentMethodId", out _) || root.TryGetProperty("paymentDetails", out _)))
        {
            f.Fail("paymentMethodId", "Send paymentMethodId and paymentDetails, or the earlier provider and paymentMethod, not both.");
        }
        var provider = f.String(legacy ? "provider" : "paymentMethodId", required: true, 32, p => CrissCrossRules.PaymentMethodId(p) is not null,
            string.Join(", ", CrissCrossRules.Providers.Select(p => p.Name)) + " (mobile_money and bank_transfer are read as mobilemoney and banktransfer)");
        var method = legacy ? f.Object("paymentMethod", required: false) ?? "{}" : f.Object("paymentDetails", required: true);
        var attributes = f.StringMap("attributes", required: false, MaxAttributes, 64, 1000);
        f.String("signature", required: false, 1024); // the hosted checkout's signature: accepted, not checked [ours]
        if (f.Ok && !legacy && CrissCrossRules.PaymentMethodId(provider!) == CrissCrossRules.MobileMoney)
        {
            MobileMoneyDetails(f, root.GetProperty("paymentDetails"));
        }
        if (!f.Ok)
        {
            return Bad(f.Error!.Message);
        }
        var ctx = WithKey(http, Context(http), doc, options.Value, out var keyError);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        var input = new NewPayment(sessionId!, CrissCrossRules.PaymentMethodId(provider!)!, method!, attributes);
        var o = options.Value;
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => CrissCrossCommands.PayAsync(uow, input, o), CrissCrossEnvelope.PaymentStarted, ct)).ToResult();
    }

    private static readonly string[] AvailableMethodsParameters = ["sessionId"];

    /// <summary>The payment methods and, for mobile money, the operators the session's payer may use [doc: the
    /// operators follow payerDetails.location; ours: the shape of the list].</summary>
    private static async Task<IResult> AvailableMethodsAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (UnknownOrRepeated(q, AvailableMethodsParameters) is { } problem)
        {
            return Bad(problem);
        }
        var sessionId = Param(q, "sessionId");
        if (sessionId is null || !IsUuid(sessionId))
        {
            return Bad("sessionId is required: the UUID of a checkout session.");
        }
        var row = await CrissCrossStore.GetSessionAsync(db, Of(http).AccountId, sessionId, ct);
        if (row is null)
        {
            return CrissCrossEnvelope.NoSession(sessionId).ToResult();
        }
        return Ok(CrissCrossJson.Methods(row));
    }

    private static async Task<IResult> GetPaymentAsync(string transactionId, HttpContext http, Database db, CancellationToken ct)
    {
        var row = IsUuid(transactionId) ? await CrissCrossStore.GetTransactionAsync(db, Of(http).AccountId, transactionId, ct) : null;
        return row is null ? CrissCrossEnvelope.NoTransaction(transactionId).ToResult() : Ok(CrissCrossJson.Payment(row));
    }

    /// <summary>The payer's authorisation for a transaction that asks for one [doc: {transactionId,
    /// authorizationData?}; its fields follow the authState, so they are stored as given].</summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> rescind, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, rescind.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return BodyFailure(read);
        }
        var f = new JsonFields(doc.RootElement).Allow("transactionId", "authorizationData");
        var transactionId = f.String("transactionId", required: true, 36, IsUuid, "a UUID");
        var data = f.Object("authorizationData", required: false);
        if (!f.Ok)
        {
            return Bad(f.Error!.Message);
        }
        var ctx = WithKey(http, Context(http), doc, options.Value, out var keyError);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => CrissCrossCommands.AuthorizeAsync(uow, transactionId!, data),
            CrissCrossEnvelope.Authorized, ct)).ToResult();
    }

    /// <summary>A refund by the transaction id its create answered [doc: "Retrieve a Refund", polled with the returned
    /// transactionId; ours: the path, which the vendor's pages do not print].</summary>
    private static async Task<IResult> GetRefundAsync(string transactionId, HttpContext http, Database db, CancellationToken ct)
    {
        var row = IsUuid(transactionId) ? await CrissCrossStore.GetRefundAsync(db, Of(http).AccountId, transactionId, ct) : null;
        return row is null ? CrissCrossEnvelope.NoRefund(transactionId).ToResult() : Ok(CrissCrossJson.RefundOf(row));
    }

    private static async Task<IResult> RefundAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> rescind, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, rescind.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return BodyFailure(read);
        }
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Object && !root.TryGetProperty("transactionId", out _) && !root.TryGetProperty("amount", out _))
        {
            return await VendorRefundAsync(http, doc, coordinator, options.Value, ct);
        }
        // Rescind's earlier {transactionId, amount?}, refunded at once [ours].
        var f = new JsonFields(root).Allow("transactionId", "amount");
        var transactionId = f.String("transactionId", required: true, 36, IsUuid, "a UUID");
        var amount = f.Integer("amount", required: false, 1, long.MaxValue);
        if (!f.Ok)
        {
            return Bad(f.Error!.Message);
        }
        var ctx = WithKey(http, Context(http), doc, options.Value, out var keyError);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => CrissCrossCommands.RefundAsync(uow, transactionId!, amount), CrissCrossEnvelope.Refund, ct)).ToResult();
    }

    /// <summary>The vendor's refund {sessionId, refundValue{amount, currency}, originalTransactionId?, reason?},
    /// answered 202 PENDING [doc].</summary>
    private static async Task<IResult> VendorRefundAsync(HttpContext http, JsonDocument doc, Coordinator coordinator, CrissCrossOptions options, CancellationToken ct)
    {
        var root = doc.RootElement;
        var f = new JsonFields(root).Allow("sessionId", "refundValue", "originalTransactionId", "reason");
        var sessionId = f.String("sessionId", required: true, 36, IsUuid, "a UUID");
        f.Object("refundValue", required: true);
        long? amount = null;
        string? currency = null;
        if (f.Ok)
        {
            var v = new JsonFields(root.GetProperty("refundValue")).Allow("amount", "currency");
            amount = v.Integer("amount", required: true, 1, MaxAmount);
            currency = v.String("currency", required: true, 3, c => c.Length == 3 && c.All(char.IsAsciiLetterUpper), "an ISO 4217 code such as KES");
            if (v.Error is { } e)
            {
                f.Fail("refundValue." + e.Field, "refundValue." + e.Message);
            }
        }
        var original = f.String("originalTransactionId", required: false, 36, IsUuid, "a UUID");
        var reason = f.String("reason", required: false, 1000, IsText, TextFormat);
        if (!f.Ok)
        {
            return Bad(f.Error!.Message);
        }
        var ctx = WithKey(http, Context(http), doc, options, out var keyError);
        if (keyError is not null)
        {
            return keyError.ToResult();
        }
        return (await coordinator.ExecuteAsync(ctx, (uow, _) => CrissCrossCommands.RequestRefundAsync(uow, sessionId!, original, amount!.Value, currency!, reason),
            CrissCrossEnvelope.RefundAccepted, ct)).ToResult();
    }

    private static readonly string[] ReportParameters = ["from", "to"];

    /// <summary>Sessions whose cancel was accepted in [from, to), grouped by reason [ours].</summary>
    private static async Task<IResult> CancellationsReportAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (UnknownOrRepeated(q, ReportParameters) is { } problem)
        {
            return Bad(problem);
        }
        var bounds = new long?[2];
        for (var i = 0; i < 2; i++)
        {
            if (Param(q, ReportParameters[i]) is not { } text)
            {
                continue;
            }
            if (!TryUtc(text, out var t))
            {
                return Bad($"{ReportParameters[i]} must be an ISO-8601 timestamp in UTC with Z, such as 2026-01-31T00:00:00Z.");
            }
            bounds[i] = Time.ToUnixMs(t);
        }
        if (bounds[0] is { } from && bounds[1] is { } to && to <= from)
        {
            return Bad("to must be after from.");
        }
        var groups = await CrissCrossStore.CancellationsByReasonAsync(db, Of(http).AccountId, bounds[0], bounds[1], ct);
        return Ok(new CancellationsReport(
            Time.Iso(bounds[0]),
            Time.Iso(bounds[1]),
            groups.Sum(g => g.Sessions),
            [.. groups.Select(g => new CancellationReason(g.Reason, g.Sessions, g.Cancelled, g.PendingCancellation))]));
    }

    /// <summary>Declares Collect's error envelope for each of <paramref name="statuses"/>.</summary>
    private static TBuilder Errors<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(CrissCrossEnvelope.ErrorBody), ["application/json"]));
        }
        return builder;
    }

    /// <summary>A write that reads a JSON body and takes an optional <c>Idempotency-Key</c>: 400 for the body or
    /// the key, 413 for a body over the limit, 409 while the key's first request runs, 422 for the key with another body.</summary>
    private static RouteHandlerBuilder Keyed(this RouteHandlerBuilder builder) => builder
        .Parameters(ParameterDoc.Header("Idempotency-Key", description: "a UUID; the same key and body answer as the first time"))
        .Errors(400, 409, 413, 422);

    /// <summary>UTC with a trailing Z only [doc: any other offset is a 400].</summary>
    public static bool TryUtc(string text, out DateTimeOffset value)
    {
        value = default;
        return text.EndsWith('Z') && Time.TryParseUtc(text, out value);
    }

    private const string TextFormat = "text without control characters";

    /// <summary>The largest amount in minor units [doc: 1 to 10^12].</summary>
    public const long MaxAmount = 1_000_000_000_000;

    /// <summary>How many entries a <c>paymentAttributes</c> or <c>attributes</c> map may have [ours].</summary>
    private const int MaxAttributes = 50;

    /// <summary>The payer fields the vendor documents, checked where given (every one optional, unknown ones stored
    /// as given) [doc: emailAddress, location, fullName, phoneNumber; ours: which are required].</summary>
    private static void PayerDetails(JsonFields f, JsonElement payer)
    {
        var p = new JsonFields(payer);
        p.String("emailAddress", required: false, 254, e => e.Contains('@', StringComparison.Ordinal) && IsText(e), "an email address");
        p.String("location", required: false, 3, c => c.Length == 3 && c.All(char.IsAsciiLetterUpper), "an ISO 3166-1 alpha-3 country code such as KEN");
        p.String("fullName", required: false, 255, IsText, TextFormat);
        p.String("phoneNumber", required: false, 32, IsPhone, "a phone number such as +254700000001");
        if (p.Error is { } e)
        {
            f.Fail("payerDetails." + e.Field, "payerDetails." + e.Message);
        }
    }

    /// <summary>A mobile-money payment names the payer's wallet [doc: the phone number and the operator, inside
    /// paymentDetails; ours: both required, other fields stored as given].</summary>
    private static void MobileMoneyDetails(JsonFields f, JsonElement details)
    {
        var d = new JsonFields(details);
        d.String("phoneNumber", required: true, 32, IsPhone, "a phone number such as +254700000001");
        d.String("operator", required: true, 16, o => CrissCrossRules.Operators.Contains(o), "one of " + string.Join(", ", CrissCrossRules.Operators));
        if (d.Error is { } e)
        {
            f.Fail("paymentDetails." + e.Field, "paymentDetails." + e.Message);
        }
    }

    /// <summary>Digits with an optional leading + (local or international format) [doc: both are accepted].</summary>
    private static bool IsPhone(string s) => s.Length >= 6 && s.TrimStart('+').All(char.IsAsciiDigit) && s.LastIndexOf('+') <= 0;

    /// <summary>The merchant as the vendor writes it (a bare UUID) or as Rescind issues it (<c>acct_…</c>) [ours].</summary>
    public static bool NamesMerchant(string given, string accountId) =>
        given == accountId || (IsUuid(given) && "acct_" + given.ToLowerInvariant() == accountId);

    /// <summary>Free text we store: no control characters but tab and line breaks (PostgreSQL cannot store NUL at
    /// all, and SQLite would keep what PostgreSQL refuses) [ours].</summary>
    private static bool IsText(string s) => !s.Any(c => char.IsControl(c) && c is not ('\t' or '\n' or '\r'));

    public static bool IsUuid(string? s) => s is { Length: 36 } && Guid.TryParseExact(s, "D", out _);

    private static string? UnknownOrRepeated(IQueryCollection q, string[] known) => StrictQuery.Stray(q, known);

    private static string? Param(IQueryCollection q, string name) => StrictQuery.Value(q, name);

    private static IResult Ok<T>(T body) => new StoredResponse(200, CrissCrossJson.Serialize(body)).ToResult();

    private static IResult Bad(string message) => CrissCrossEnvelope.Invalid(message).ToResult();

    /// <summary>A token-endpoint failure as RFC 6749 section 5.2 has it [doc: the error-codes page]: not cached, and a
    /// 401 to a client that authenticated with HTTP Basic names the scheme.</summary>
    private static IResult OAuth(HttpContext http, int status, string error, string description)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        if (status == 401 && http.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"crisscross\"";
        }
        return CrissCrossEnvelope.OAuthError(status, error, description).ToResult();
    }

    private static IResult BodyFailure(BodyRead read) => read.Failure == SharedFailure.PayloadTooLarge
        ? CrissCrossEnvelope.Fail(413, "PAYLOAD_TOO_LARGE", read.Message!).ToResult()
        : Bad(read.Message!);

    /// <summary>An optional <c>Idempotency-Key</c> (a UUID) on every POST [doc]: same key and body → the first
    /// answer; different body → 422; first still running → 409.</summary>
    private static OperationContext WithKey(HttpContext http, OperationContext ctx, JsonDocument body, CrissCrossOptions options, out StoredResponse? error)
    {
        (ctx, error) = RequestKeys.Attach(http, ctx, body.RootElement.GetRawText(),
            key => IsUuid(key) ? null : CrissCrossEnvelope.Invalid("Idempotency-Key must be a UUID (v4), e.g. 3f1c2b7e-8d4a-4c7e-9f0b-2a6d5e4c3b21."),
            CrissCrossEnvelope.IdempotencyPolicy(options.IdempotencyRetention), key => key.ToLowerInvariant());
        return ctx;
    }
}

/// <summary>A transaction id in <c>/v1/payment/{transactionId}</c>: anything but the documented literal paths under
/// <c>/v1/payment</c> (<c>refunds</c>, <c>authorize</c>, <c>available-methods</c>), which their own routes serve.</summary>
public sealed class PaymentIdConstraint : IRouteConstraint
{
    public const string Name = "crisscrossPaymentId";

    private static readonly string[] Reserved = ["refunds", "authorize", "available-methods"];

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var v) && v is string s && !Reserved.Contains(s, StringComparer.OrdinalIgnoreCase);
}
