using System.Globalization;
using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Server.Http;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's error envelope <c>{"code": &lt;int&gt;, "message": "…", "errors"?: […]}</c> [doc], and the one place
/// where the core's outcomes and every refusal become Circle's statuses and codes.
/// </summary>
public sealed class CircleEnvelope : IErrorEnvelope
{
    public static CircleEnvelope Instance { get; } = new();

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

    /// <summary>What Rescind sends each of its codes for, and whether that is the meaning the code has in the
    /// official SDK's error table (every code the SDK knows maps to an error class with a fixed meaning). The
    /// comparison with the vendor's contract (tests, <c>docs/coverage/circle-vendor-contract.md</c>) lists every
    /// code whose use differs.</summary>
    public static IReadOnlyList<CodeUse> CodeUses { get; } =
    [
        new(ParameterInvalid, "a request parameter or field is invalid", VendorMeaning: true),
        new(WalletSetNotFound, "the wallet set does not exist", VendorMeaning: false),
        new(WalletNotFound, "the wallet does not exist", VendorMeaning: false),
        new(ResourceNotFound, "the transaction does not exist", VendorMeaning: true),
        new(CiphertextReused, "the entity secret ciphertext was used before", VendorMeaning: true),
        new(ChainNotAllowed, "a test key names a mainnet or a live key a testnet", VendorMeaning: true),
        new(InvalidCiphertext, "the entity secret ciphertext does not decrypt to the registered secret", VendorMeaning: true),
        new(EntitySecretNotRegistered, "no entity secret is registered for the account", VendorMeaning: true),
        new(IdempotencyMismatch, "the idempotency key was used with another request", VendorMeaning: true),
        new(IdempotencyInFlight, "the idempotency key's first request is still running", VendorMeaning: false),
        new(UnsupportedOperation, "the transaction's state does not allow the operation", VendorMeaning: true),
        new(TokenNotFound, "the token is not on the wallet's blockchain", VendorMeaning: false),
    ];

    public sealed record CodeUse(int Code, string UsedFor, bool VendorMeaning);

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

    /// <summary>A refusal code as the commands name it (Circle's numeric codes, as text).</summary>
    public static string Code(int code) => code.ToString(CultureInfo.InvariantCulture);

    /// <summary>A refusal in Circle's words: its status, numeric code and message. A refusal of the lifecycle table
    /// (any code of its) is 155215 [doc].</summary>
    public static (int Status, string Code, string Message) Describe(Refusal r)
    {
        var code = int.TryParse(r.Code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c) ? c : UnsupportedOperation;
        return code switch
        {
            CiphertextReused => (400, Code(code), "The entity secret ciphertext has already been used; generate a new one for each request."),
            TokenNotFound or ParameterInvalid => (400, Code(code), r.Detail ?? "API parameter invalid"),
            _ => (400, Code(UnsupportedOperation), r.Detail ?? "Unsupported operation for transaction."),
        };
    }

    public static StoredResponse Refused(Refusal r)
    {
        var (status, code, message) = Describe(r);
        return Fail(status, int.Parse(code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), message);
    }

    // Rendering: the one place where the outcome of each Circle command becomes its status and body.

    /// <summary>201 with the wallet set [doc].</summary>
    public static StoredResponse WalletSetCreated(Outcome<WalletSetRow> outcome) => outcome switch
    {
        Outcome<WalletSetRow>.Done { Value: var w } => new(201, CircleJson.Data(new WalletSetData(CircleJson.WalletSet(w)))),
        _ => Failure(outcome),
    };

    /// <summary>201 with every wallet made, in the order of the blockchains asked for [doc].</summary>
    public static StoredResponse WalletsCreated(Outcome<IReadOnlyList<WalletRow>> outcome) => outcome switch
    {
        Outcome<IReadOnlyList<WalletRow>>.Done { Value: var rows } => new(201, CircleJson.Data(new WalletsData([.. rows.Select(CircleJson.Wallet)]))),
        _ => Failure(outcome),
    };

    /// <summary>204, no body [doc].</summary>
    public static StoredResponse Dripped(Outcome<WalletRow> outcome) => outcome switch
    {
        Outcome<WalletRow>.Done => new(204, ""),
        _ => Failure(outcome),
    };

    /// <summary>201 with the new transaction's id and state [doc].</summary>
    public static StoredResponse TransferCreated(Outcome<TransactionRow> outcome) => outcome switch
    {
        Outcome<TransactionRow>.Done { Value: var t } => new(201, CircleJson.Data(new TransactionState(t.Id, t.State))),
        _ => Failure(outcome),
    };

    /// <summary>200 with the id and the public state, whether the cancel took effect, is racing its replacement
    /// (SENT) or was asked before [doc].</summary>
    public static StoredResponse Canceled(Outcome<TransactionRow> outcome) =>
        Acted(outcome, t => CircleJson.Data(new TransactionState(t.Id, CircleRules.Transactions.Project(t.State))));

    /// <summary>200 with the id [doc].</summary>
    public static StoredResponse Accelerated(Outcome<TransactionRow> outcome) => Acted(outcome, t => CircleJson.Data(new TransactionId(t.Id)));

    /// <summary>The operator's forced mine or fail: 200 with the transaction as it is now.</summary>
    public static StoredResponse Forced(Outcome<TransactionRow> outcome) => outcome switch
    {
        Outcome<TransactionRow>.Done { Value: var t } => new(200, CircleJson.Data(new TransactionData(CircleJson.Transaction(t)))),
        _ => Failure(outcome),
    };

    private static StoredResponse Acted(Outcome<TransactionRow> outcome, Func<TransactionRow, string> body) => outcome switch
    {
        Outcome<TransactionRow>.Done { Value: var t } => new(200, body(t)),
        Outcome<TransactionRow>.Deferred { Value: var t } => new(200, body(t)),
        Outcome<TransactionRow>.AlreadyDone { Value: var t } => new(200, body(t)),
        _ => Failure(outcome),
    };

    /// <summary>A refusal, or the missing resource its kind names.</summary>
    private static StoredResponse Failure<T>(Outcome<T> outcome) => outcome switch
    {
        Outcome<T>.Refused r => Refused(r.Reason),
        Outcome<T>.NotFound { Kind: CircleStore.WalletSetType } => WalletSetMissing,
        Outcome<T>.NotFound { Kind: CircleStore.WalletType } => WalletMissing,
        Outcome<T>.NotFound => TransactionNotFound,
        _ => throw new InvalidOperationException($"no Circle answer for {outcome}"),
    };

    public static IdempotencyPolicy IdempotencyPolicy(TimeSpan retention) => new()
    {
        Retention = retention,
        OnMismatch = _ => Fail(403, IdempotencyMismatch, "Please use a new idempotency key."),
        InFlight = Fail(409, IdempotencyInFlight, "A request with this idempotency key is still being processed; retry shortly."),
    };

    /// <summary>Circle's error body [doc]; <c>errors</c> only for a field that failed validation.</summary>
    public sealed record ErrorBody(int Code, string Message, IReadOnlyList<ErrorDetail>? Errors);

    public sealed record ErrorDetail(string Error, string Message, string Location, string? InvalidValue);
}
