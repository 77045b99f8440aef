using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Server.Http;

namespace Rescind.Server.DigiCert;

/// <summary>
/// DigiCert's error envelope <c>{"errors":[{"code":"…","message":"…"}]}</c> [doc], and the one place where the
/// core's outcomes become DigiCert's statuses and codes.
/// </summary>
public sealed class DigiCertEnvelope : IErrorEnvelope
{
    public static DigiCertEnvelope Instance { get; } = new();

    public const string InvalidApiKey = "access_denied|invalid_api_key";
    public const string OrderNotFound = "not_found|order";
    public const string RequestNotFound = "not_found|request";
    public const string ProductNotFound = "not_found|product";
    public const string BadRequestFormat = "bad_request_format";

    public StoredResponse Error(int status, string code, string message) =>
        new(status, JsonSerializer.Serialize(new DigiCertErrorBody([new DigiCertError(code, message)]), DigiCertJson.Options));

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => InvalidApiKey,
        SharedFailure.NotFound => "not_found|route",
        SharedFailure.MethodNotAllowed => "method_not_allowed",
        SharedFailure.PayloadTooLarge => "request_too_large",
        SharedFailure.RateLimited => "request_limit_exceeded",
        SharedFailure.Unavailable => "service_unavailable",
        SharedFailure.MalformedJson => BadRequestFormat,
        SharedFailure.InvalidText => BadRequestFormat,
        _ => "internal_error",
    };

    public static StoredResponse Fail(int status, string code, string message) => Instance.Error(status, code, message);

    public static StoredResponse Missing(string field) => Fail(400, "missing_param|" + field, $"{field} is required.");

    public static StoredResponse InvalidParam(string field, string message) => Fail(400, "invalid_param|" + field, message);

    public static StoredResponse NotFound(string id) => Fail(404, OrderNotFound, $"Order {Quote(id)} was not found.");

    public static StoredResponse RequestMissing(string id) => Fail(404, RequestNotFound, $"Request {Quote(id)} was not found.");

    public static StoredResponse NoContent { get; } = new(204, "");

    /// <summary>Our code for an approval of a request that is not a new_request [ours].</summary>
    public const string InvalidRequestType = "invalid_type|request";

    /// <summary>A cancel of a pending order without its note [doc: the note is required for cancellations only].</summary>
    public const string MissingNote = "missing_param|note";

    /// <summary>
    /// A refusal with what DigiCert's message names: the refused command and, where the message points at what to
    /// do instead, an id (the issued order to revoke, the pending approval request to reject, the order whose
    /// reissue to cancel). Both travel in <see cref="Rescind.Core.Coordination.Refusal.Detail"/> as
    /// "command" or "command id", written here and read by <see cref="Describe"/> only.
    /// </summary>
    public static Refusal Refusal(string code, string? state, string command, long? pointsTo = null) =>
        new(code, state, pointsTo is { } id ? command + " " + DigiCertCommands.Rid(id) : command);

    /// <summary>A refusal in DigiCert's words: its status, code and message. Every refusal is a 400 [doc].</summary>
    public static (int Status, string Code, string Message) Describe(Refusal r)
    {
        var detail = (r.Detail ?? "").Split(' ', 2);
        var command = detail[0];
        var id = detail.Length > 1 ? detail[1] : null;
        var message = (r.Code, r.State, command) switch
        {
            (InvalidRequestType, _, _) =>
                $"This is a {r.State} request; it needs no approval and completes when its certificate is validated or generated. Reject it, or cancel the reissue with PUT /services/v2/order/certificate/{id}/status.",
            (MissingNote, _, _) => "note is required to cancel an order.",
            (DigiCertRules.InvalidRequestStatus, _, _) => $"The request is {r.State} and has already been processed.",
            (_, DigiCertRules.NeedsApproval, DigiCertRules.Cancel) =>
                "The order is needs_approval: it has not been placed yet and cannot be canceled. The approver must reject the request instead"
                + (id is not null ? $" (PUT /services/v2/request/{id}/status with status rejected)." : "."),
            (_, DigiCertRules.Issued, DigiCertRules.Cancel) =>
                $"The order is issued and cannot be canceled; revoke the certificate instead (PUT /services/v2/order/certificate/{id}/revoke).",
            (_, DigiCertRules.Canceled, DigiCertRules.Cancel) => "The order is already canceled; a cancel cannot be repeated or undone.",
            (_, _, DigiCertRules.Cancel) => $"The order is {r.State} and cannot be canceled.",
            (_, DigiCertRules.ReissuePending, DigiCertRules.Revoke) => "The order has a pending reissue; cancel the reissue before revoking the certificate.",
            _ => $"The order is {r.State} and cannot be {Past(command)}.",
        };
        return (400, r.Code, message);
    }

    public static StoredResponse Refused(Refusal r)
    {
        var (status, code, message) = Describe(r);
        return Fail(status, code, message);
    }

    // Rendering: the one place where the outcome of each DigiCert command becomes its status and body.

    /// <summary>A placed order or a reissue: 201 with the order id and its new request [doc].</summary>
    public static StoredResponse Placed(Outcome<DigiCertCommands.Placed> outcome) => outcome switch
    {
        Outcome<DigiCertCommands.Placed>.Done { Value: var p } =>
            new(201, DigiCertJson.Serialize(new CreatedOrder(p.Order.Id, [new CreatedRequest(p.Request.Id, p.Request.Status)]))),
        _ => Otherwise(outcome),
    };

    /// <summary>A cancel answers 204 without a body [doc], also for an order its approver already rejected [ours].</summary>
    public static StoredResponse Canceled(Outcome<DigiCertCommands.OrderView> outcome) => outcome switch
    {
        Outcome<DigiCertCommands.OrderView>.Done or Outcome<DigiCertCommands.OrderView>.AlreadyDone => NoContent,
        _ => Otherwise(outcome),
    };

    /// <summary>An approval or rejection answers 204, also when the request already was so [doc; ours: the repeat].</summary>
    public static StoredResponse RequestProcessed(Outcome<RequestRow> outcome) => outcome switch
    {
        Outcome<RequestRow>.Done or Outcome<RequestRow>.AlreadyDone => NoContent,
        _ => Otherwise(outcome),
    };

    /// <summary>A revoke answers 201 with the revoke request [doc].</summary>
    public static StoredResponse Revoked(Outcome<RequestRow> outcome) => outcome switch
    {
        Outcome<RequestRow>.Done { Value: var r } => new(201, DigiCertJson.Serialize(DigiCertJson.Request(r))),
        _ => Otherwise(outcome),
    };

    /// <summary>An event of the outside world: 200 with the order as it is now (also when it already was so).</summary>
    public static StoredResponse Order(Outcome<DigiCertCommands.OrderView> outcome) => outcome switch
    {
        Outcome<DigiCertCommands.OrderView>.Done { Value: var v } => OrderInfo(v),
        Outcome<DigiCertCommands.OrderView>.AlreadyDone { Value: var v } => OrderInfo(v),
        _ => Otherwise(outcome),
    };

    private static StoredResponse OrderInfo(DigiCertCommands.OrderView v) => new(200, DigiCertJson.Serialize(DigiCertJson.Order(v.Order, v.Requests)));

    /// <summary>The answers every command shares: the refusal, or the missing order (or request).</summary>
    private static StoredResponse Otherwise<T>(Outcome<T> outcome) => outcome switch
    {
        Outcome<T>.Refused r => Refused(r.Reason),
        Outcome<T>.NotFound { Kind: DigiCertStore.RequestType } n => RequestMissing(n.Id),
        Outcome<T>.NotFound n => NotFound(n.Id),
        _ => throw new InvalidOperationException($"DigiCert has no such outcome here: {outcome}"),
    };

    private static string Past(string command) => command switch
    {
        DigiCertRules.Approve or DigiCertRules.ApproveToPickup => "approved",
        DigiCertRules.Reject => "rejected",
        DigiCertRules.Validate => "validated",
        DigiCertRules.Generate => "generated",
        DigiCertRules.Reissue => "reissued",
        DigiCertRules.Revoke => "revoked",
        DigiCertRules.Expire => "expired",
        _ => command,
    };

    private static string Quote(string id) => id.Length > 40 ? "'" + id[..40] + "…'" : "'" + id + "'";

}

/// <summary>DigiCert's error body <c>{"errors":[{"code":"…","message":"…"}]}</c> [doc].</summary>
public sealed record DigiCertErrorBody(IReadOnlyList<DigiCertError> Errors);

public sealed record DigiCertError(string Code, string Message);
