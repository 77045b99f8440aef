using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.DigiCert;

/// <summary>
/// DigiCert CertCentral Services API v2: certificate orders, their approval requests, and the audit log.
/// <code>
/// POST /services/v2/order/certificate/{product_name_id}        place an order (TLS or client certificate)
/// GET  /services/v2/order/certificate                          list orders: filters[…], sort, offset, limit
/// GET  /services/v2/order/certificate/{order_id}               order info (also by serial number or thumbprint)
/// PUT  /services/v2/order/certificate/{order_id}/status        cancel {status: canceled, note}
/// POST /services/v2/order/certificate/{order_id}/reissue       reissue an issued order
/// PUT  /services/v2/order/certificate/{order_id}/revoke        revoke an issued order
/// GET  /services/v2/request                                    list requests: status, offset, limit
/// GET  /services/v2/request/{request_id}                       request info
/// PUT  /services/v2/request/{request_id}/status                approve or reject {status, processor_comment}
/// GET  /services/v2/audit-log                                  audit log: filters[order_id], filters[date_from|date_to], offset, limit
/// GET  /services/v2/certificate/…/download/…                   certificate download (DigiCertDownloads)
/// *    /services/v2/user…, /services/v2/key/user/{user_id}      users and keys (DigiCertUsers)
/// *    /services/v2/webhook…                                    the account's webhook (DigiCertWebhookConfig)
/// </code>
/// </summary>
public static class DigiCertApi
{
    private const int MaxNote = 900; // the audit reason holds the note as JSON within 2000 characters

    public static IEndpointRouteBuilder MapDigiCert(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/services/v2").WithGroupName(DigiCertStore.Api).RequireCaller(Credentials)
            .Parameters(ParameterDoc.Header("X-DC-DEVKEY", required: true, "The account's API key."))
            .WithMetadata(Error(401), Error(403), Error(429))
            .AddEndpointFilter(DigiCertUsers.Filter);
        v2.MapPost("/order/certificate/{product_name_id}", CreateOrderAsync)
            .Accepts<NewOrderBody>("application/json").Produces<CreatedOrder>(201).WithMetadata(Error(400), Error(404), Error(413))
            .WithMetadata(new Coverage.ServedValues("product_name_id", [.. DigiCertRules.Products.Keys]));
        v2.MapGet("/order/certificate", ListOrdersAsync)
            .Parameters([.. OrderQuery.Filters.Select(f => Query($"filters[{f}]")), Query("sort"), Query("offset", "integer"), Query("limit", "integer")])
            .Produces<OrderList>(200).WithMetadata(Error(400));
        v2.MapGet("/order/certificate/{order_id}", GetOrderAsync).Produces<OrderObject>(200).WithMetadata(Error(404));
        v2.MapPut("/order/certificate/{order_id}/status", UpdateOrderStatusAsync)
            .Accepts<OrderStatusBody>("application/json").Produces(204).WithMetadata(Error(400), Error(404), Error(413));
        v2.MapPost("/order/certificate/{order_id}/reissue", ReissueAsync)
            .Accepts<ReissueBody>(isOptional: true, "application/json").Produces<CreatedOrder>(201).WithMetadata(Error(400), Error(404), Error(413));
        v2.MapPut("/order/certificate/{order_id}/revoke", RevokeAsync)
            .Accepts<RevokeBody>(isOptional: true, "application/json").Produces<RequestObject>(201).WithMetadata(Error(400), Error(404), Error(413));
        v2.MapGet("/request", ListRequestsAsync)
            .Parameters(Query("status"), Query("filters[status]"), Query("type"), Query("filters[type]"), Query("offset", "integer"), Query("limit", "integer"))
            .Produces<RequestList>(200).WithMetadata(Error(400));
        v2.MapGet("/request/{request_id}", GetRequestAsync).Produces<RequestObject>(200).WithMetadata(Error(404));
        v2.MapPut("/request/{request_id}/status", UpdateRequestStatusAsync)
            .Accepts<RequestStatusBody>("application/json").Produces(204).WithMetadata(Error(400), Error(404), Error(413));
        v2.MapGet("/audit-log", AuditLogAsync)
            .Parameters(Query("filters[order_id]", "integer"), Query("filters[date_from]"), Query("filters[date_to]"), Query("offset", "integer"), Query("limit", "integer"))
            .Produces<AuditLog>(200).WithMetadata(Error(400), Error(404));
        DigiCertDownloads.Map(v2);
        DigiCertUsers.Map(v2);
        DigiCertWebhookConfig.Map(v2);
        return app;
    }

    /// <summary>An error status answered in DigiCert's envelope, for the OpenAPI document.</summary>
    public static ProducesResponseTypeMetadata Error(int status) => new(status, typeof(DigiCertErrorBody), ["application/json"]);

    private static ParameterDoc Query(string name, string type = "string") => ParameterDoc.Query(name, type);

    /// <summary>The API key in <c>X-DC-DEVKEY</c> [doc]; missing or wrong is 401 access_denied|invalid_api_key.</summary>
    public static CredentialScheme Credentials { get; } = new(
        DigiCertStore.Api,
        http => CredentialSchemes.SecretAsync(http, DigiCertStore.Api, http.Request.Headers["X-DC-DEVKEY"].ToString().Trim()),
        http => DigiCertEnvelope.Fail(401, DigiCertEnvelope.InvalidApiKey,
            http.Request.Headers["X-DC-DEVKEY"].ToString().Trim().Length == 0 ? "Missing X-DC-DEVKEY header; send your API key in it." : "The API key is not valid."));

    private static Principal Principal(HttpContext http) => http.Caller();

    private static OperationContext Context(HttpContext http) =>
        new(Principal(http).AccountId, DigiCertStore.Api, Actor.Credential(Principal(http).CredentialId), RequestIds.Of(http));

    /// <summary>A stored answer as an HTTP result; 204 goes out without a body or content type.</summary>
    public static IResult Answer(StoredResponse r) => r.Status == 204 ? Results.NoContent() : r.ToResult();

    /// <summary>DigiCert ids are positive integers; anything else names no order (404).</summary>
    public static bool TryId(string? text, out long id)
    {
        id = 0;
        return text is { Length: > 0 and <= 18 } && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
    }

    /// <summary>The request's JSON body, or the answer to a body that is too large or not JSON.</summary>
    internal static async Task<(JsonDocument? Doc, IResult? Failure)> ReadBodyAsync(HttpContext http, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, options.Value.MaxBodyBytes, ct);
        if (read.Document is not null)
        {
            return (read.Document, null);
        }
        return (null, Answer(read.Failure == SharedFailure.PayloadTooLarge
            ? DigiCertEnvelope.Fail(413, "request_too_large", read.Message!)
            : DigiCertEnvelope.Fail(400, DigiCertEnvelope.BadRequestFormat, read.Message!)));
    }

    private static async Task<IResult> CreateOrderAsync(string product_name_id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        if (!DigiCertRules.Products.TryGetValue(product_name_id, out var product))
        {
            return Answer(DigiCertEnvelope.Fail(404, DigiCertEnvelope.ProductNotFound,
                $"No product '{(product_name_id.Length > 40 ? product_name_id[..40] : product_name_id)}'; use one of {string.Join(", ", DigiCertRules.Products.Keys)}."));
        }
        var (doc, failure) = await ReadBodyAsync(http, options, ct);
        using (doc)
        {
            if (doc is null)
            {
                return failure!;
            }
            var (input, error) = DigiCertOrderBody.Parse(doc.RootElement, product_name_id, product.Type);
            if (input is { SkipApproval: true } && !DigiCertUsers.MaySkipApproval(DigiCertUsers.Of(http).AccessRoleId))
            {
                return Answer(DigiCertUsers.Forbidden("Your access role cannot skip the approval step: the order needs approval by a manager or administrator."));
            }
            return input is null
                ? Answer(error!)
                : Answer(await coordinator.ExecuteAsync(Context(http), (uow, _) => DigiCertCommands.CreateOrderAsync(uow, input), DigiCertEnvelope.Placed, ct));
        }
    }

    /// <summary>Order info by order id, or by the serial number or thumbprint of the order's certificate [doc].</summary>
    private static async Task<IResult> GetOrderAsync(string order_id, HttpContext http, Database db, CancellationToken ct)
    {
        var account = Principal(http).AccountId!;
        var order = TryId(order_id, out var id) ? await DigiCertStore.GetOrderAsync(db, account, id, ct) : null;
        if (order is null && IsCertificateKey(order_id))
        {
            order = await DigiCertStore.GetOrderByCertificateAsync(db, account, order_id, ct);
        }
        return order is null
            ? Answer(DigiCertEnvelope.NotFound(order_id))
            : Answer(new StoredResponse(200, DigiCertJson.Serialize(DigiCertJson.Order(order, await DigiCertStore.RequestsOfOrderAsync(db, order.Id, ct)))));
    }

    /// <summary>A serial number or thumbprint as hex, upper or lower case [ours: the accepted spelling].</summary>
    private static bool IsCertificateKey(string text) => text.Length is >= 16 and <= 64 && text.All(char.IsAsciiHexDigit);

    /// <summary>
    /// <c>{"status": "canceled", "note": "…"}</c> cancels [doc]. The documented <c>renewed</c>/<c>not_renewed</c>
    /// markers are accepted and change nothing; any other status is invalid_param|status [ours]. The note is
    /// required only where the order's cancel needs it (a pending order, not a reissue [doc]), so a missing note is
    /// decided with the order; its type and length are checked before the order is looked up [ours].
    /// </summary>
    private static async Task<IResult> UpdateOrderStatusAsync(string order_id, HttpContext http, Coordinator coordinator, Database db, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var (doc, failure) = await ReadBodyAsync(http, options, ct);
        using (doc)
        {
            if (doc is null)
            {
                return failure!;
            }
            var (status, e1) = DigiCertOrderBody.Str(doc.RootElement, "status", "status", 32, required: true);
            if (e1 is not null)
            {
                return Answer(e1);
            }
            if (status is not ("canceled" or "renewed" or "not_renewed"))
            {
                return Answer(DigiCertEnvelope.InvalidParam("status", "status must be canceled (or the renewed / not_renewed markers)."));
            }
            var (note, e2) = DigiCertOrderBody.Str(doc.RootElement, "note", "note", MaxNote, required: false);
            if (e2 is not null)
            {
                return Answer(e2);
            }
            if (!TryId(order_id, out var id))
            {
                return Answer(DigiCertEnvelope.NotFound(order_id));
            }
            if (status != "canceled")
            {
                // A renewal marker: nothing of ours changes, but the order must exist in this account.
                return await DigiCertStore.GetOrderAsync(db, Principal(http).AccountId, id, ct) is null
                    ? Answer(DigiCertEnvelope.NotFound(order_id))
                    : Results.NoContent();
            }
            return Answer(await coordinator.ExecuteAsync(Context(http), (uow, _) => DigiCertCommands.CancelAsync(uow, id, note), DigiCertEnvelope.Canceled, ct));
        }
    }

    /// <summary>Reissue and revoke take an optional body: none at all is as good as <c>{}</c>.</summary>
    private static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static async Task<IResult> ReissueAsync(string order_id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        string? csr = null;
        string? comments = null;
        if (HasBody(http.Request))
        {
            var (doc, failure) = await ReadBodyAsync(http, options, ct);
            using (doc)
            {
                if (doc is null)
                {
                    return failure!;
                }
                if (doc.RootElement.TryGetProperty("certificate", out var cert) && cert.ValueKind == JsonValueKind.Object)
                {
                    var (c, e) = DigiCertOrderBody.Str(cert, "certificate.csr", "csr", 16000, required: false);
                    if (e is not null)
                    {
                        return Answer(e);
                    }
                    csr = c;
                }
                var (m, e2) = DigiCertOrderBody.Str(doc.RootElement, "comments", "comments", 900, required: false);
                if (e2 is not null)
                {
                    return Answer(e2);
                }
                comments = m;
            }
        }
        return TryId(order_id, out var id)
            ? Answer(await coordinator.ExecuteAsync(Context(http), (uow, _) => DigiCertCommands.ReissueAsync(uow, id, csr, comments), DigiCertEnvelope.Placed, ct))
            : Answer(DigiCertEnvelope.NotFound(order_id));
    }

    private static async Task<IResult> RevokeAsync(string order_id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        string? comments = null;
        if (HasBody(http.Request))
        {
            var (doc, failure) = await ReadBodyAsync(http, options, ct);
            using (doc)
            {
                if (doc is null)
                {
                    return failure!;
                }
                var (m, e) = DigiCertOrderBody.Str(doc.RootElement, "comments", "comments", 900, required: false);
                if (e is not null)
                {
                    return Answer(e);
                }
                comments = m;
            }
        }
        return TryId(order_id, out var id)
            ? Answer(await coordinator.ExecuteAsync(Context(http), (uow, _) => DigiCertCommands.RevokeAsync(uow, id, comments), DigiCertEnvelope.Revoked, ct))
            : Answer(DigiCertEnvelope.NotFound(order_id));
    }

    private static async Task<IResult> ListOrdersAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        var (query, failure) = OrderQuery.Parse(q);
        if (failure is not null)
        {
            return Answer(failure);
        }
        var (offset, limit, error) = Paging(q);
        if (error is not null)
        {
            return Answer(error);
        }
        var (rows, total) = await DigiCertStore.ListOrdersAsync(db, Principal(http).AccountId!, query!, offset, limit, ct);
        return Answer(new StoredResponse(200, DigiCertJson.Serialize(new OrderList([.. rows.Select(o => DigiCertJson.Order(o, null))], new Page(total, limit, offset)))));
    }

    private static async Task<IResult> GetRequestAsync(string request_id, HttpContext http, Database db, CancellationToken ct)
    {
        var row = TryId(request_id, out var id) ? await DigiCertStore.GetRequestAsync(db, Principal(http).AccountId!, id, ct) : null;
        return row is null
            ? Answer(DigiCertEnvelope.RequestMissing(request_id))
            : Answer(new StoredResponse(200, DigiCertJson.Serialize(DigiCertJson.Request(row))));
    }

    private static async Task<IResult> ListRequestsAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (q.Keys.FirstOrDefault(k => k.StartsWith("filters[", StringComparison.Ordinal) && k is not ("filters[status]" or "filters[type]")) is { } unknown)
        {
            // A filter is applied or refused, never ignored [ours].
            var key = unknown.Length > 60 ? unknown[..60] : unknown;
            return Answer(DigiCertEnvelope.InvalidParam(key, $"{key} is not a filter of this list; use filters[status] or filters[type]."));
        }
        var status = Param(q, "status") ?? Param(q, "filters[status]");
        if (status is not null && !DigiCertRules.RequestStatuses.Contains(status))
        {
            return Answer(DigiCertEnvelope.InvalidParam("status", $"status must be one of {string.Join(", ", DigiCertRules.RequestStatuses)}."));
        }
        var type = Param(q, "type") ?? Param(q, "filters[type]");
        if (type is not null && type is not (DigiCertStore.NewRequest or DigiCertStore.ReissueRequest or DigiCertStore.RevokeRequest or "duplicate"))
        {
            return Answer(DigiCertEnvelope.InvalidParam("type", "type must be one of new_request, reissue, revoke, duplicate."));
        }
        var (offset, limit, error) = Paging(q);
        if (error is not null)
        {
            return Answer(error);
        }
        var (rows, total) = await DigiCertStore.ListRequestsAsync(db, new DigiCertStore.RequestFilter(Principal(http).AccountId!, status, type, offset, limit), ct);
        return Answer(new StoredResponse(200, DigiCertJson.Serialize(new RequestList([.. rows.Select(DigiCertJson.Request)], new Page(total, limit, offset)))));
    }

    private static async Task<IResult> UpdateRequestStatusAsync(string request_id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var (doc, failure) = await ReadBodyAsync(http, options, ct);
        using (doc)
        {
            if (doc is null)
            {
                return failure!;
            }
            var (status, e1) = DigiCertOrderBody.Str(doc.RootElement, "status", "status", 32, required: true);
            if (e1 is not null)
            {
                return Answer(e1);
            }
            if (status is not (DigiCertRules.Approved or DigiCertRules.Rejected))
            {
                return Answer(DigiCertEnvelope.InvalidParam("status", "status must be approved or rejected."));
            }
            var (comment, e2) = DigiCertOrderBody.Str(doc.RootElement, "processor_comment", "processor_comment", MaxNote, required: false);
            if (e2 is not null)
            {
                return Answer(e2);
            }
            if (!TryId(request_id, out var id))
            {
                return Answer(DigiCertEnvelope.RequestMissing(request_id));
            }
            if (!DigiCertUsers.MayApprove(DigiCertUsers.Of(http).AccessRoleId))
            {
                // Checked before the request is looked up: this key may not process any request [ours: the order].
                return Answer(DigiCertUsers.Forbidden("Only an administrator or a manager can approve or reject requests."));
            }
            var command = status == DigiCertRules.Approved ? DigiCertRules.Approve : DigiCertRules.Reject;
            return Answer(await coordinator.ExecuteAsync(Context(http), (uow, _) => DigiCertCommands.UpdateRequestStatusAsync(uow, id, command, comment), DigiCertEnvelope.RequestProcessed, ct));
        }
    }

    /// <summary>The account's audit log [doc: Account &gt; Audit logs; path and shape ours]: every DigiCert change with
    /// its user, time, from/to status and note.</summary>
    private static async Task<IResult> AuditLogAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        var accountId = Principal(http).AccountId!;
        IReadOnlyList<string>? resources = null;
        if (Param(q, "filters[order_id]") is { } orderText)
        {
            if (!TryId(orderText, out var orderId) || await DigiCertStore.GetOrderAsync(db, accountId, orderId, ct) is null)
            {
                return Answer(DigiCertEnvelope.NotFound(orderText));
            }
            resources = [DigiCertCommands.Rid(orderId), .. (await DigiCertStore.RequestsOfOrderAsync(db, orderId, ct)).Select(r => DigiCertCommands.Rid(r.Id))];
        }
        var range = new long?[2];
        string[] names = ["filters[date_from]", "filters[date_to]"];
        for (var i = 0; i < 2; i++)
        {
            if (Param(q, names[i]) is not { } text)
            {
                continue;
            }
            if (!Time.TryParseUtc(text, out var t))
            {
                return Answer(DigiCertEnvelope.InvalidParam(names[i], $"{names[i]} must be an ISO-8601 UTC timestamp such as 2026-01-31T00:00:00Z."));
            }
            range[i] = Time.ToUnixMs(t);
        }
        var (offset, limit, error) = Paging(q);
        if (error is not null)
        {
            return Answer(error);
        }
        var (rows, total) = await DigiCertStore.AuditAsync(db, new DigiCertStore.AuditFilter(accountId, resources, range[0], range[1], offset, limit), ct);
        // Entries are dictionaries (an entry carries its reason's fields, nulls written); AuditLogEntry documents them.
        return Answer(new StoredResponse(200, DigiCertJson.Serialize(new
        {
            audit_logs = rows.Select(AuditEntry),
            page = new Page(total, limit, offset),
        })));
    }

    private static Dictionary<string, object?> AuditEntry(AuditRow a)
    {
        var entry = new Dictionary<string, object?>
        {
            ["id"] = a.Id,
            ["date"] = Time.Iso(a.At),
            ["resource_type"] = a.ResourceType,
            ["resource_id"] = long.Parse(a.ResourceId, CultureInfo.InvariantCulture),
            ["action"] = a.Action,
            ["from_status"] = a.FromState,
            ["to_status"] = a.ToState,
            ["user"] = new { kind = a.ActorKind, id = a.ActorId },
            ["request_id"] = a.RequestId,
        };
        if (a.Reason is not null)
        {
            foreach (var p in JsonDocument.Parse(a.Reason).RootElement.EnumerateObject())
            {
                entry[p.Name] = p.Value.Clone();
            }
        }
        return entry;
    }

    /// <summary>Offset paging [doc]: offset ≥ 0, limit 1 to 1000, default 1000 [ours: the bounds].</summary>
    private static (int Offset, int Limit, StoredResponse? Error) Paging(IQueryCollection q)
    {
        var offset = 0;
        var limit = 1000;
        if (!StrictQuery.TryInteger(Param(q, "offset"), 0, int.MaxValue, ref offset))
        {
            return (0, 0, DigiCertEnvelope.InvalidParam("offset", "offset must be a non-negative integer."));
        }
        if (!StrictQuery.TryInteger(Param(q, "limit"), 1, 1000, ref limit))
        {
            return (0, 0, DigiCertEnvelope.InvalidParam("limit", "limit must be an integer from 1 to 1000."));
        }
        return (offset, limit, null);
    }

    private static string? Param(IQueryCollection q, string name) => q.TryGetValue(name, out var v) && v.Count > 0 && v[^1] is { Length: > 0 } s ? s : null;
}
