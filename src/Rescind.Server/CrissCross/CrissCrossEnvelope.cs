using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Server.Http;

namespace Rescind.Server.CrissCross;

/// <summary>
/// Collect's flat error envelope <c>{"statusCode": status, "error": "CODE", "message": "…"}</c> [doc], and the one
/// place where the core's outcomes become CrissCross statuses and codes.
/// </summary>
public sealed class CrissCrossEnvelope : IErrorEnvelope
{
    public static CrissCrossEnvelope Instance { get; } = new();

    public (string Code, string Message) Read(string body) => ErrorBodies.Read(body, "error", "message");

    public const string InvalidRequest = "INVALID_REQUEST";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string SessionNotFound = "SESSION_NOT_FOUND";
    public const string TransactionNotFound = "TRANSACTION_NOT_FOUND";
    public const string IdempotencyConflict = "IDEMPOTENCY_CONFLICT";
    public const string IdempotencyInFlight = "IDEMPOTENCY_KEY_IN_USE";
    public const string RefundExceedsPaid = "REFUND_EXCEEDS_PAID_AMOUNT";

    public StoredResponse Error(int status, string code, string message) =>
        new(status, JsonSerializer.Serialize(new ErrorBody(status, code, message), CrissCrossJson.Options));

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => Unauthorized,
        SharedFailure.NotFound => "NOT_FOUND",
        SharedFailure.MethodNotAllowed => "METHOD_NOT_ALLOWED",
        SharedFailure.PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        SharedFailure.RateLimited => "TOO_MANY_REQUESTS",
        SharedFailure.Unavailable => "SERVICE_UNAVAILABLE",
        SharedFailure.MalformedJson => InvalidRequest,
        _ => "INTERNAL_SERVER_ERROR",
    };

    public static StoredResponse Fail(int status, string code, string message) => Instance.Error(status, code, message);

    public static StoredResponse Invalid(string message) => Fail(400, InvalidRequest, message);

    public static StoredResponse NoSession(string id) => Fail(404, SessionNotFound, $"No checkout session {Quote(id)} exists for this merchant.");

    public static StoredResponse NoTransaction(string id) => Fail(404, TransactionNotFound, $"No transaction {Quote(id)} exists for this merchant.");

    /// <summary>A refusal from a lifecycle table, in Collect's words (409: "the resource's state does not allow
    /// this action" [doc]).</summary>
    public static StoredResponse Refused(Decision.Refused r) => r.Code switch
    {
        CrissCrossRules.SessionNotCancellable => Fail(409, r.Code, $"The session is {r.State} and cannot be cancelled."),
        CrissCrossRules.SessionLocked => Fail(409, r.Code, $"The session is {r.State}; it is locked against further payment attempts."),
        CrissCrossRules.TransactionInProgress => Fail(409, r.Code, "The session already has an active transaction; wait for it to end."),
        CrissCrossRules.SessionCompleted => Fail(409, r.Code, "The session has already been paid."),
        CrissCrossRules.SessionExpired => Fail(409, r.Code, "The session has expired."),
        CrissCrossRules.TransactionNotInFlight => Fail(409, r.Code, $"The transaction is {r.State} and no longer in flight."),
        CrissCrossRules.TransactionNotCompleted => Fail(409, r.Code, $"The transaction is {r.State}; only a completed transaction can be settled or refunded."),
        CrissCrossRules.TransactionRefunded => Fail(409, r.Code, "The transaction has already been fully refunded."),
        _ => Fail(409, r.Code, $"The resource is {r.State} and does not allow this action."),
    };

    public static IdempotencyPolicy IdempotencyPolicy(TimeSpan retention) => new()
    {
        Retention = retention,
        OnMismatch = _ => Fail(422, IdempotencyConflict, "This Idempotency-Key was already used with a different request."),
        InFlight = Fail(409, IdempotencyInFlight, "A request with this Idempotency-Key is still being processed; retry shortly."),
    };

    private static string Quote(string id) => id.Length > 80 ? "'" + id[..80] + "…'" : "'" + id + "'";

    private sealed record ErrorBody(int StatusCode, string Error, string Message);
}
