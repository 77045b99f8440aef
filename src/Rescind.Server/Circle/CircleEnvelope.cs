using System.Globalization;
using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using Rescind.Server.Http;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's error envelope <c>{"code": &lt;int&gt;, "message": "…", "errors"?: […]}</c> [doc], and the one place
/// where the core's outcomes and every refusal become Circle's statuses and codes.
/// </summary>
public sealed class CircleEnvelope : IErrorEnvelope
{
    public static CircleEnvelope Instance { get; } = new();

    public (string Code, string Message) Read(string body) => ErrorBodies.Read(body, "code", "message");

    public const int ParameterInvalid = 2;             // [doc: generic "API parameter invalid"]
    public const int WalletSetNotFound = 156001;       // [ours]
    public const int WalletNotFound = 156002;          // [ours]
    public const int ResourceNotFound = 156003;        // [doc]
    public const int CiphertextReused = 156004;        // [doc]
    public const int ChainNotAllowed = 156006;         // [doc]
    public const int InvalidCiphertext = 156013;       // [ours for the code]
    public const int EntitySecretNotRegistered = 156016; // [ours]
    public const int IdempotencyMismatch = 156020;     // [doc]
    public const int IdempotencyInFlight = 156021;     // [ours]
    public const int UnsupportedOperation = 155215;    // [doc]
    public const int TokenNotFound = 156030;           // [ours]

    public StoredResponse Error(int status, string code, string message) =>
        Fail(status, int.TryParse(code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c) ? c : -1, message);

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => "401",
        SharedFailure.NotFound => "404",
        SharedFailure.MethodNotAllowed => "405",
        SharedFailure.PayloadTooLarge => "413",
        SharedFailure.RateLimited => "429",
        SharedFailure.Unavailable => "503",
        SharedFailure.MalformedJson => "2",
        _ => "-1",
    };

    public static StoredResponse Fail(int status, int code, string message) =>
        new(status, JsonSerializer.Serialize(new ErrorBody(code, message, null), CircleJson.Options));

    /// <summary>A field that failed validation: code 2 with Circle's <c>errors</c> detail.</summary>
    public static StoredResponse Invalid(FieldError e) =>
        new(400, JsonSerializer.Serialize(new ErrorBody(ParameterInvalid, "API parameter invalid", [
            new ErrorDetail(e.Message.EndsWith("is required.", StringComparison.Ordinal) ? "required" : "invalid_value", e.Message, e.Field, null),
        ]), CircleJson.Options));

    public static StoredResponse Bad(string message) => Fail(400, ParameterInvalid, message);

    public static StoredResponse MalformedAuthorization { get; } = Fail(401, 401, "Malformed authorization.");

    public static StoredResponse InvalidCredentials { get; } = Fail(401, 401, "Malformed authorization. Are the credentials valid?");

    public static StoredResponse TransactionNotFound { get; } = Fail(404, ResourceNotFound, "Cannot find the transaction.");

    public static StoredResponse WalletMissing { get; } = Fail(404, WalletNotFound, "Cannot find the wallet.");

    public static StoredResponse WalletSetMissing { get; } = Fail(404, WalletSetNotFound, "Cannot find the wallet set.");

    public static StoredResponse Reused { get; } = Fail(400, CiphertextReused, "The entity secret ciphertext has already been used; generate a new one for each request.");

    public static StoredResponse BadCiphertext { get; } = Fail(400, InvalidCiphertext, "Invalid entity secret ciphertext.");

    public static StoredResponse NotRegistered { get; } = Fail(400, EntitySecretNotRegistered, "The entity secret has not been registered for this account.");

    public static StoredResponse ChainRefused(string blockchain, bool live) =>
        Fail(400, ChainNotAllowed, live
            ? $"Blockchain {blockchain} is a testnet; live API keys reach mainnets only."
            : $"Blockchain {blockchain} is a mainnet; test API keys reach testnets only.");

    /// <summary>A refusal from the lifecycle table, in Circle's words.</summary>
    public static StoredResponse Refused(Decision.Refused r) => r.Code switch
    {
        CircleRules.Unsupported => Fail(400, UnsupportedOperation, "Unsupported operation for transaction."),
        _ => Fail(400, UnsupportedOperation, "Unsupported operation for transaction."),
    };

    public static IdempotencyPolicy IdempotencyPolicy(TimeSpan retention) => new()
    {
        Retention = retention,
        OnMismatch = _ => Fail(403, IdempotencyMismatch, "Please use a new idempotency key."),
        InFlight = Fail(409, IdempotencyInFlight, "A request with this idempotency key is still being processed; retry shortly."),
    };

    private sealed record ErrorBody(int Code, string Message, IReadOnlyList<ErrorDetail>? Errors);

    private sealed record ErrorDetail(string Error, string Message, string Location, string? InvalidValue);
}
