using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Server.Http;

namespace Rescind.Server.DigiCert;

/// <summary>
/// DigiCert's error envelope <c>{"errors":[{"code":"…","message":"…"}]}</c> [doc], and the one place where the
/// core's outcomes become DigiCert's statuses and codes.
/// </summary>
public sealed class DigiCertEnvelope : IErrorEnvelope
{
    public static DigiCertEnvelope Instance { get; } = new();

    /// <summary>The first error of <c>{"errors":[{"code","message"}]}</c>.</summary>
    public (string Code, string Message) Read(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var first = doc.RootElement.GetProperty("errors")[0];
        return (first.GetProperty("code").GetString() ?? "", first.GetProperty("message").GetString() ?? "");
    }

    public const string InvalidApiKey = "access_denied|invalid_api_key";
    public const string OrderNotFound = "not_found|order";
    public const string RequestNotFound = "not_found|request";
    public const string ProductNotFound = "not_found|product";
    public const string BadRequestFormat = "bad_request_format";

    public StoredResponse Error(int status, string code, string message) =>
        new(status, JsonSerializer.Serialize(new ErrorBody([new ErrorItem(code, message)]), DigiCertJson.Options));

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => InvalidApiKey,
        SharedFailure.NotFound => "not_found|route",
        SharedFailure.MethodNotAllowed => "method_not_allowed",
        SharedFailure.PayloadTooLarge => "request_too_large",
        SharedFailure.RateLimited => "request_limit_exceeded",
        SharedFailure.Unavailable => "service_unavailable",
        SharedFailure.MalformedJson => BadRequestFormat,
        _ => "internal_error",
    };

    public static StoredResponse Fail(int status, string code, string message) => Instance.Error(status, code, message);

    public static StoredResponse Missing(string field) => Fail(400, "missing_param|" + field, $"{field} is required.");

    public static StoredResponse InvalidParam(string field, string message) => Fail(400, "invalid_param|" + field, message);

    public static StoredResponse NotFound(string id) => Fail(404, OrderNotFound, $"Order {Quote(id)} was not found.");

    public static StoredResponse RequestMissing(string id) => Fail(404, RequestNotFound, $"Request {Quote(id)} was not found.");

    public static StoredResponse NoContent { get; } = new(204, "");

    /// <summary>An order refusal from the lifecycle table, naming the current status and what to do instead.</summary>
    public static StoredResponse Refused(Decision.Refused r, string command, long orderId, long? pendingRequestId = null) => (r.State, command) switch
    {
        (DigiCertRules.NeedsApproval, DigiCertRules.Cancel) => Fail(400, r.Code,
            "The order is needs_approval: it has not been placed yet and cannot be canceled. The approver must reject the request instead"
            + (pendingRequestId is { } id ? $" (PUT /services/v2/request/{id}/status with status rejected)." : ".")),
        (DigiCertRules.Issued, DigiCertRules.Cancel) => Fail(400, r.Code,
            $"The order is issued and cannot be canceled; revoke the certificate instead (PUT /services/v2/order/certificate/{orderId}/revoke)."),
        (DigiCertRules.Canceled, DigiCertRules.Cancel) => Fail(400, r.Code, "The order is already canceled; a cancel cannot be repeated or undone."),
        (_, DigiCertRules.Cancel) => Fail(400, r.Code, $"The order is {r.State} and cannot be canceled."),
        (DigiCertRules.ReissuePending, DigiCertRules.Revoke) => Fail(400, r.Code,
            "The order has a pending reissue; cancel the reissue before revoking the certificate."),
        _ => Fail(400, r.Code, $"The order is {r.State} and cannot be {Past(command)}."),
    };

    public static StoredResponse RequestRefused(Decision.Refused r) =>
        Fail(400, r.Code, $"The request is {r.State} and has already been processed.");

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

    private sealed record ErrorBody(IReadOnlyList<ErrorItem> Errors);

    private sealed record ErrorItem(string Code, string Message);
}
