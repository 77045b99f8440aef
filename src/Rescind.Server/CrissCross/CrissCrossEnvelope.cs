using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Server.Http;

namespace Rescind.Server.CrissCross;

/// <summary>
/// Collect's flat error envelope <c>{"statusCode": status, "error": "CODE", "message": "…"}</c> [doc], and the one
/// place where the core's outcomes become CrissCross statuses and codes.
/// </summary>
public sealed class CrissCrossEnvelope : IErrorEnvelope
{
    public static CrissCrossEnvelope Instance { get; } = new();

    public const string InvalidRequest = "INVALID_REQUEST";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string SessionNotFound = "SESSION_NOT_FOUND";
    public const string TransactionNotFound = "TRANSACTION_NOT_FOUND";
    public const string RefundNotFound = "REFUND_NOT_FOUND";
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
        SharedFailure.InvalidText => InvalidRequest,
        _ => "INTERNAL_SERVER_ERROR",
    };

    public static StoredResponse Fail(int status, string code, string message) => Instance.Error(status, code, message);

    // The token endpoint's errors [RFC 6749 section 5.2; doc: its own envelope, not Collect's]. invalid_grant names a
    // grant that is not valid, and the client-credentials grant has none besides the client's own credentials
    // (invalid_client), so Rescind never answers it [ours].
    public const string OAuthInvalidRequest = "invalid_request";
    public const string OAuthInvalidClient = "invalid_client";
    public const string OAuthInvalidGrant = "invalid_grant";
    public const string OAuthUnsupportedGrantType = "unsupported_grant_type";

    public static StoredResponse OAuthError(int status, string error, string description) =>
        new(status, JsonSerializer.Serialize(new OAuthErrorBody(error, description)));

    public static StoredResponse Invalid(string message) => Fail(400, InvalidRequest, message);

    public static StoredResponse NoSession(string id) => Fail(404, SessionNotFound, $"No checkout session {Quote(id)} exists for this merchant.");

    public static StoredResponse NoRefund(string id) => Fail(404, RefundNotFound, $"No refund {Quote(id)} exists for this merchant.");

    public static StoredResponse NoTransaction(string id) => Fail(404, TransactionNotFound, $"No transaction {Quote(id)} exists for this merchant.");

    /// <summary>A refusal in Collect's words: its status, error code and message (409: "the resource's state does
    /// not allow this action" [doc]; a refund beyond what was paid is a 400 whose message the command wrote).</summary>
    public static (int Status, string Code, string Message) Describe(Refusal r) => r.Code switch
    {
        CrissCrossRules.SessionNotCancellable => (409, r.Code, $"The session is {r.State} and cannot be cancelled."),
        CrissCrossRules.SessionLocked => (409, r.Code, $"The session is {r.State}; it is locked against further payment attempts."),
        CrissCrossRules.TransactionInProgress => (409, r.Code, "The session already has an active transaction; wait for it to end."),
        CrissCrossRules.SessionCompleted => (409, r.Code, "The session has already been paid."),
        CrissCrossRules.SessionExpired => (409, r.Code, "The session has expired."),
        CrissCrossRules.TransactionNotInFlight => (409, r.Code, $"The transaction is {r.State} and no longer in flight."),
        CrissCrossRules.TransactionNotCompleted => (409, r.Code, r.Detail ?? $"The transaction is {r.State}; only a completed transaction can be settled or refunded."),
        CrissCrossRules.TransactionRefunded => (409, r.Code, "The transaction has already been fully refunded."),
        RefundExceedsPaid => (400, r.Code, r.Detail ?? "The amount is more than is left to refund on this transaction."),
        CrissCrossRules.OperatorNotAvailable => (422, r.Code, r.Detail ?? "The operator is not available for this payer."),
        CrissCrossRules.OriginalTransactionRequired => (400, r.Code, r.Detail ?? "Name the transaction to refund with originalTransactionId."),
        CrissCrossRules.CurrencyMismatch => (422, r.Code, r.Detail ?? "The refund's currency must be the transaction's."),
        CrissCrossRules.RefundNotPending => (409, r.Code, $"The refund is {r.State} and no longer pending."),
        CrissCrossRules.TransactionNotAuthorizable => (422, r.Code, $"The transaction is {r.State}; there is nothing left to authorize."),
        CrissCrossRules.AuthorizationNotRequired => (422, r.Code, r.Detail ?? "This payment method has no authorize step."),
        _ => (409, r.Code, $"The resource is {r.State} and does not allow this action."),
    };

    public static StoredResponse Refused(Refusal r)
    {
        var (status, code, message) = Describe(r);
        return Fail(status, code, message);
    }

    // Rendering: the one place where the outcome of each CrissCross command becomes its status and body.

    /// <summary>A created session: 201 with its id and payment link.</summary>
    public static StoredResponse SessionCreated(Outcome<SessionRow> outcome, string paymentLinkBase) => outcome switch
    {
        Outcome<SessionRow>.Done { Value: var s } => new(201, CrissCrossJson.Serialize(
            new SessionCreatedResult(s.Id, CrissCrossJson.PaymentLinkOf(s, paymentLinkBase), s.PayerId, null))),
        _ => throw new InvalidOperationException($"a session create has no other outcome, got {outcome}"),
    };

    /// <summary>A cancel: 200 with the cancel answer whether it cancelled now, is waiting on a provider, or had
    /// already done either (a repeat is byte-identical [ours]); the refusal; or 404.</summary>
    public static StoredResponse Cancelled(Outcome<CrissCrossCommands.SessionAt> outcome) => outcome switch
    {
        Outcome<CrissCrossCommands.SessionAt>.Done { Value: var v } => Ok(CrissCrossJson.Cancel(v.Session, v.Transactions)),
        Outcome<CrissCrossCommands.SessionAt>.Deferred { Value: var v } => Ok(CrissCrossJson.Cancel(v.Session, v.Transactions)),
        Outcome<CrissCrossCommands.SessionAt>.AlreadyDone { Value: var v } => Ok(CrissCrossJson.Cancel(v.Session, v.Transactions)),
        Outcome<CrissCrossCommands.SessionAt>.Refused r => Refused(r.Reason),
        Outcome<CrissCrossCommands.SessionAt>.NotFound n => NoSession(n.Id),
        _ => throw new InvalidOperationException($"unknown outcome {outcome}"),
    };

    /// <summary>A payment attempt started: 201 with the transaction's id and status; the refusal; or 404 for the session.</summary>
    public static StoredResponse PaymentStarted(Outcome<TransactionRow> outcome) => outcome switch
    {
        Outcome<TransactionRow>.Done { Value: var t } => new(201, CrissCrossJson.Serialize(CrissCrossJson.Payment(t))),
        Outcome<TransactionRow>.Refused r => Refused(r.Reason),
        Outcome<TransactionRow>.NotFound n => NoSession(n.Id),
        _ => throw new InvalidOperationException($"a payment has no other outcome, got {outcome}"),
    };

    /// <summary>A provider's event: 200 with the payment status object (also when it had already happened); the
    /// refusal; or 404 for the transaction.</summary>
    public static StoredResponse Payment(Outcome<TransactionRow> outcome) => outcome switch
    {
        Outcome<TransactionRow>.Done { Value: var t } => Ok(CrissCrossJson.Payment(t)),
        Outcome<TransactionRow>.AlreadyDone { Value: var t } => Ok(CrissCrossJson.Payment(t)),
        Outcome<TransactionRow>.Refused r => Refused(r.Reason),
        Outcome<TransactionRow>.NotFound n => NoTransaction(n.Id),
        _ => throw new InvalidOperationException($"a provider event is never deferred, got {outcome}"),
    };

    /// <summary>An authorization: 200 with where the transaction stands (also when it had already been authorized
    /// [ours]); the refusal (422 [doc]); or 404 for the transaction.</summary>
    public static StoredResponse Authorized(Outcome<TransactionRow> outcome) => outcome switch
    {
        Outcome<TransactionRow>.Done { Value: var t } => Ok(CrissCrossJson.Authorization(t)),
        Outcome<TransactionRow>.AlreadyDone { Value: var t } => Ok(CrissCrossJson.Authorization(t)),
        Outcome<TransactionRow>.Refused r => Refused(r.Reason),
        Outcome<TransactionRow>.NotFound n => NoTransaction(n.Id),
        _ => throw new InvalidOperationException($"an authorization is never deferred, got {outcome}"),
    };

    /// <summary>A refund: 201 with the refund and what is left; the refusal; or 404 for the transaction.</summary>
    public static StoredResponse Refund(Outcome<CrissCrossCommands.RefundMade> outcome) => outcome switch
    {
        Outcome<CrissCrossCommands.RefundMade>.Done { Value: var r } => new(201, CrissCrossJson.Serialize(new RefundResult(r.RefundId, r.Transaction.Id, r.Amount,
            r.Transaction.Currency, r.Transaction.RefundedAmount, checked(r.Transaction.Amount - r.Transaction.RefundedAmount), r.Transaction.Status, Time.Iso(r.At)))),
        Outcome<CrissCrossCommands.RefundMade>.Refused r => Refused(r.Reason),
        Outcome<CrissCrossCommands.RefundMade>.NotFound n => NoTransaction(n.Id),
        _ => throw new InvalidOperationException($"a refund has no other outcome, got {outcome}"),
    };

    /// <summary>A refund request accepted for asynchronous processing: 202 with the PENDING refund [doc: "accepted";
    /// ours: the status code]; the refusal; 404 for the session or the named transaction.</summary>
    public static StoredResponse RefundAccepted(Outcome<RefundRow> outcome) => outcome switch
    {
        Outcome<RefundRow>.Done { Value: var r } => new(202, CrissCrossJson.Serialize(CrissCrossJson.RefundOf(r))),
        Outcome<RefundRow>.Refused r => Refused(r.Reason),
        Outcome<RefundRow>.NotFound { Kind: CrissCrossStore.SessionType } n => NoSession(n.Id),
        Outcome<RefundRow>.NotFound n => NoTransaction(n.Id),
        _ => throw new InvalidOperationException($"a refund request has no other outcome, got {outcome}"),
    };

    /// <summary>The provider's answer to a refund (operator simulation): 200 with the refund; the refusal; or 404.</summary>
    public static StoredResponse RefundSettled(Outcome<RefundRow> outcome) => outcome switch
    {
        Outcome<RefundRow>.Done { Value: var r } => Ok(CrissCrossJson.RefundOf(r)),
        Outcome<RefundRow>.AlreadyDone { Value: var r } => Ok(CrissCrossJson.RefundOf(r)),
        Outcome<RefundRow>.Refused r => Refused(r.Reason),
        Outcome<RefundRow>.NotFound n => NoRefund(n.Id),
        _ => throw new InvalidOperationException($"a refund's settlement has no other outcome, got {outcome}"),
    };

    private static StoredResponse Ok<T>(T body) => new(200, CrissCrossJson.Serialize(body));

    public static IdempotencyPolicy IdempotencyPolicy(TimeSpan retention) => new()
    {
        Retention = retention,
        OnMismatch = _ => Fail(422, IdempotencyConflict, "This Idempotency-Key was already used with a different request."),
        InFlight = Fail(409, IdempotencyInFlight, "A request with this Idempotency-Key is still being processed; retry shortly."),
    };

    private static string Quote(string id) => id.Length > 80 ? "'" + id[..80] + "…'" : "'" + id + "'";

    /// <summary>OAuth 2's error body <c>{error, error_description}</c> (RFC 6749 section 5.2; no error_uri).</summary>
    public sealed record OAuthErrorBody(
        [property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error,
        [property: System.Text.Json.Serialization.JsonPropertyName("error_description")] string ErrorDescription);

    /// <summary>Collect's error body, as every error status of the API writes it.</summary>
    public sealed record ErrorBody(int StatusCode, string Error, string Message);
}
