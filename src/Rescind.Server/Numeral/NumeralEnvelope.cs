using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Server.Http;

namespace Rescind.Server.Numeral;

/// <summary>
/// Numeral's error envelope <c>{"code": status, "type": "CODE", "message": "…"}</c> [doc], and the one place where
/// the core's outcomes become Numeral's statuses and codes.
/// </summary>
public sealed class NumeralEnvelope : IErrorEnvelope
{
    public static NumeralEnvelope Instance { get; } = new();

    public (string Code, string Message) Read(string body) => ErrorBodies.Read(body, "type", "message");

    public const string InvalidRequest = "INVALID_REQUEST";
    public const string InvalidApiVersion = "INVALID_API_VERSION";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string TestmodeNotSupported = "TESTMODE_NOT_SUPPORTED";
    public const string RequestNotFound = "CERTIFICATE_REQUEST_NOT_FOUND";
    public const string CustomerNotFound = "CUSTOMER_NOT_FOUND";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE";

    public StoredResponse Error(int status, string code, string message) =>
        new(status, JsonSerializer.Serialize(new ErrorBody(status, code, message), NumeralJson.Options));

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => Unauthorized,
        SharedFailure.NotFound => "NOT_FOUND",
        SharedFailure.MethodNotAllowed => "METHOD_NOT_ALLOWED",
        SharedFailure.PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        SharedFailure.RateLimited => "RATE_LIMITED",
        SharedFailure.Unavailable => "SERVICE_UNAVAILABLE",
        SharedFailure.MalformedJson => InvalidRequest,
        _ => "INTERNAL_ERROR",
    };

    public static StoredResponse Fail(int status, string code, string message) => Instance.Error(status, code, message);

    public static StoredResponse Invalid(FieldError e) => Fail(400, InvalidRequest, e.Message);

    public static StoredResponse NotFound(string id) =>
        Fail(404, RequestNotFound, $"No certificate request {Quote(id)} exists in this account.");

    /// <summary>A refusal from the lifecycle table, in Numeral's words.</summary>
    public static StoredResponse Refused(Decision.Refused r) => r.Code switch
    {
        NumeralRules.AlreadyFulfilled => Fail(409, r.Code, "The certificate request has already been fulfilled; retrieve the resulting certificate instead."),
        NumeralRules.RequestInvalid => Fail(409, r.Code, "The certificate request is in the terminal invalid state."),
        NumeralRules.NotProcessing => Fail(409, r.Code, $"The certificate request is not being processed (it is {NumeralRules.Requests.Project(r.State)})."),
        _ => Fail(409, r.Code, $"The certificate request is {NumeralRules.Requests.Project(r.State)} and cannot take this action."),
    };

    public static IdempotencyPolicy IdempotencyPolicy(TimeSpan retention) => new()
    {
        Retention = retention,
        OnMismatch = _ => Fail(422, IdempotencyKeyReused, "This Idempotency-Key was already used with a different request."),
        InFlight = Fail(409, IdempotencyKeyInUse, "A request with this Idempotency-Key is still being processed; retry shortly."),
    };

    private static string Quote(string id) => id.Length > 80 ? "'" + id[..80] + "…'" : "'" + id + "'";

    private sealed record ErrorBody(int Code, string Type, string Message);
}
