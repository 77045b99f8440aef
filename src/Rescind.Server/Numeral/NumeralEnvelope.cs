using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Server.Http;

namespace Rescind.Server.Numeral;

/// <summary>
/// Numeral's error envelope <c>{"code": status, "type": "CODE", "message": "…"}</c> [doc], and the one place where
/// the core's outcomes become Numeral's statuses and codes.
/// </summary>
public sealed class NumeralEnvelope : IErrorEnvelope
{
    public static NumeralEnvelope Instance { get; } = new();

    public const string InvalidRequest = "INVALID_REQUEST";
    public const string InvalidApiVersion = "INVALID_API_VERSION";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string TestmodeNotSupported = "TESTMODE_NOT_SUPPORTED";
    public const string RequestNotFound = "CERTIFICATE_REQUEST_NOT_FOUND";
    public const string CustomerNotFound = "CUSTOMER_NOT_FOUND";
    public const string DuplicateCustomer = "DUPLICATE_CUSTOMER";
    public const string CertificateNotFound = "CERTIFICATE_NOT_FOUND";
    public const string DownloadUrlInvalid = "DOWNLOAD_URL_INVALID";
    public const string DownloadUrlExpired = "DOWNLOAD_URL_EXPIRED";
    public const string MissingField = "MISSING_FIELD";
    public const string UnrecognizedField = "UNRECOGNIZED_FIELD";
    public const string IncorrectType = "INCORRECT_TYPE";
    public const string InvalidEmail = "INVALID_EMAIL";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE";

    public StoredResponse Error(int status, string code, string message) =>
        new(status, JsonSerializer.Serialize(new NumeralErrorBody(status, code, message), NumeralJson.Options));

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => Unauthorized,
        SharedFailure.NotFound => "NOT_FOUND",
        SharedFailure.MethodNotAllowed => "METHOD_NOT_ALLOWED",
        SharedFailure.PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        SharedFailure.RateLimited => "RATE_LIMITED",
        SharedFailure.Unavailable => "SERVICE_UNAVAILABLE",
        SharedFailure.MalformedJson => InvalidRequest,
        SharedFailure.InvalidText => InvalidRequest,
        _ => "INTERNAL_ERROR",
    };

    public static StoredResponse Fail(int status, string code, string message) => Instance.Error(status, code, message);

    /// <summary>A field that failed validation, typed with the reference's validation vocabulary [doc]; a value of the
    /// right type that is still not acceptable (format, length, range) is INVALID_REQUEST, except an email.</summary>
    public static StoredResponse Invalid(FieldError e) => Fail(400, TypeOf(e), e.Message);

    public static string TypeOf(FieldError e) => e.Problem switch
    {
        FieldProblem.Missing => MissingField,
        FieldProblem.Unrecognized => UnrecognizedField,
        FieldProblem.WrongType => IncorrectType,
        _ when e.Field == "email" => InvalidEmail,
        _ => InvalidRequest,
    };

    public static StoredResponse NotFound(string id) =>
        Fail(404, RequestNotFound, $"No certificate request {Quote(id)} exists in this account.");

    /// <summary>A refusal in Numeral's words: its status, error type and message.</summary>
    public static (int Status, string Code, string Message) Describe(Refusal r) => r.Code switch
    {
        NumeralRules.AlreadyFulfilled => (409, r.Code, "The certificate request has already been fulfilled; retrieve the resulting certificate instead."),
        NumeralRules.RequestInvalid => (409, r.Code, "The certificate request is in the terminal invalid state."),
        NumeralRules.NotProcessing => (409, r.Code, $"The certificate request is not being processed (it is {Shown(r)})."),
        CustomerNotFound => (404, r.Code, "customer_id does not name a customer of this account."),
        DuplicateCustomer => (409, r.Code, "A customer with this reference_customer_id already exists; look it up with id_type=reference_customer_id."),
        InvalidRequest => (400, r.Code, r.Detail ?? "The request is not valid."),
        _ => (409, r.Code, $"The certificate request is {Shown(r)} and cannot take this action."),
    };

    public static StoredResponse Refused(Refusal r)
    {
        var (status, code, message) = Describe(r);
        return Fail(status, code, message);
    }

    // Rendering: the one place where the outcome of each Numeral command becomes its status and body.

    /// <summary>A certificate request command: the object (200, or <paramref name="doneStatus"/> when it took
    /// effect), the refusal, or 404. A repeat cancel answers 200 with the object, as the first did [doc].</summary>
    public static StoredResponse Request(Outcome<NumeralCommands.RequestAt> outcome, int doneStatus = 200) => outcome switch
    {
        Outcome<NumeralCommands.RequestAt>.Done { Value: var v } => new(doneStatus, NumeralJson.Serialize(NumeralJson.Request(v.Row, v.Now))),
        Outcome<NumeralCommands.RequestAt>.AlreadyDone { Value: var v } => new(200, NumeralJson.Serialize(NumeralJson.Request(v.Row, v.Now, asAnswered: true))),
        Outcome<NumeralCommands.RequestAt>.Refused r => Refused(r.Reason),
        Outcome<NumeralCommands.RequestAt>.NotFound n => NotFound(n.Id),
        _ => throw new InvalidOperationException($"Numeral has no deferred outcomes, got {outcome}"),
    };

    public static StoredResponse RequestCreated(Outcome<NumeralCommands.RequestAt> outcome) => Request(outcome, 201);

    public static StoredResponse CustomerCreated(Outcome<CustomerRow> outcome) => outcome switch
    {
        Outcome<CustomerRow>.Done { Value: var c } => new(200, NumeralJson.Serialize(NumeralJson.Customer(c))),
        _ => Customer(outcome),
    };

    public static StoredResponse CustomerDeleted(Outcome<CustomerRow> outcome) => outcome switch
    {
        Outcome<CustomerRow>.Done { Value: var c } => new(200, NumeralJson.Serialize(new DeletedCustomerObject(NumeralJson.CustomerObjectName, c.DeletedAt!.Value / 1000))),
        _ => Customer(outcome),
    };

    public static StoredResponse CertificateMissing(string id) =>
        Fail(404, CertificateNotFound, $"No exemption certificate {Quote(id)} exists in this account.");

    public static StoredResponse CustomerMissing() => Fail(404, CustomerNotFound, "No such customer in this account.");

    private static StoredResponse Customer(Outcome<CustomerRow> outcome) => outcome switch
    {
        Outcome<CustomerRow>.NotFound => CustomerMissing(),
        Outcome<CustomerRow>.Refused r => Refused(r.Reason),
        _ => throw new InvalidOperationException($"unexpected customer outcome {outcome}"),
    };

    private static string Shown(Refusal r) => r.State is null ? "in another state" : NumeralRules.Requests.Project(r.State);

    public static IdempotencyPolicy IdempotencyPolicy(TimeSpan retention) => new()
    {
        Retention = retention,
        OnMismatch = _ => Fail(422, IdempotencyKeyReused, "This Idempotency-Key was already used with a different request."),
        InFlight = Fail(409, IdempotencyKeyInUse, "A request with this Idempotency-Key is still being processed; retry shortly."),
    };

    private static string Quote(string id) => id.Length > 80 ? "'" + id[..80] + "…'" : "'" + id + "'";

}

/// <summary>Numeral's error envelope: <c>{code: HTTP status, type: error type, message}</c>.</summary>
public sealed record NumeralErrorBody(int Code, string Type, string Message);
