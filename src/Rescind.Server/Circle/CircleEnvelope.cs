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

    public const int ParameterInvalid = 2;             // [doc: general "API parameter invalid"]
    public const int Forbidden = 3;                    // [doc: general "Forbidden"]
    public const int IdempotencyInFlight = 409;        // [ours: Circle has no code; the HTTP status, like 404/405/413/429]
    public const int NotFound = 404;                   // [ours: a subscription or notification key; Circle has no code]
    public const int WalletNotFound = 156001;
    public const int TokenNotFound = 156002;
    public const int TransactionNotFound = 156003;
    public const int CiphertextReused = 156004;
    public const int WalletSetNotFound = 156005;
    public const int ChainNotAllowed = 156006;
    public const int IdNotUuid = 156009;
    public const int CursorNotFound = 156012;
    public const int InvalidCiphertext = 156013;
    public const int CursorNotUuid = 156014;
    public const int EntitySecretAlreadySet = 156015;
    public const int EntitySecretNotRegistered = 156016;
    public const int IdempotencyMismatch = 156020;
    public const int BlockchainUnsupported = 156027;
    public const int UnsupportedOperation = 155215;
    public const int InvalidDestinationAddress = 155219;
    public const int TokenChainMismatch = 155220;
    public const int InvalidAmounts = 155221;
    public const int AmountsNotDecimal = 155224;
    public const int WalletChainMismatch = 155225;
    public const int FeeMissing = 155231;
    public const int FeeBoth = 155234;
    public const int Eip1559FeesNeeded = 155235;
    public const int PriorityAboveMax = 155237;
    public const int InvalidTokenAddress = 155239;
    public const int WalletAndSource = 155244;
    public const int MetadataCountMismatch = 155503;
    public const int ScaUnsupported = 155507;
    public const int FeeAboveCap = 155211;
    public const int InvalidSourceAddress = 155226;
    public const int TokenIdMissing = 155228;
    public const int GasLimitTooLow = 155233;
    public const int FeeInvalid = 155236;
    public const int InvalidTokenStandard = 155240;

    /// <summary>What Rescind sends each of its codes for, with the message the official SDK's error table gives the
    /// code (its error class), quoted exactly, or null for a code the SDK's table does not have (Circle's general
    /// codes below 1000 [doc], and Rescind's own where Circle has none [ours]). A test reads the SDK's table and
    /// fails when a quoted message differs or a code marked as absent is in it.</summary>
    public static IReadOnlyList<CodeUse> CodeUses { get; } =
    [
        new(ParameterInvalid, "a request parameter or field is invalid and Circle has no more specific code", null),
        new(Forbidden, "the faucet is asked with a live key", null),
        new(IdempotencyInFlight, "the idempotency key's first request is still running", null),
        new(NotFound, "a notification subscription or its public key does not exist", null),
        new(WalletNotFound, "the wallet does not exist", "Cannot find target wallet in the system. Either the specified wallet doesn't exist or it's not accessible to the caller."),
        new(TokenNotFound, "the token does not exist", "Cannot find target token in the system. Either the specified token doesn't exist or it's not accessible to the caller."),
        new(TransactionNotFound, "the transaction does not exist", "Cannot find target transaction in the system. Either the specified transaction doesn't exist or it's not accessible to the caller."),
        new(CiphertextReused, "the entity secret ciphertext was used before", "Reusing an entity secret ciphertext is not allowed. Please re-encrypt the entity secret to generate new ciphertext."),
        new(WalletSetNotFound, "the wallet set does not exist", "Cannot find target wallet set in the system. Either no such wallet set, or it's not accessible to the caller."),
        new(ChainNotAllowed, "a test key names a mainnet or a live key a testnet", "TEST_API key cannot be used with blockchain mainnets, or LIVE_API key cannot be used with blockchain testnets."),
        new(IdNotUuid, "the id in the path is not a UUID", "Fail to parse id as UUID in url."),
        new(CursorNotFound, "pageBefore or pageAfter names no item of the list", "Cannot find corresponding pagination cursor in the system."),
        new(InvalidCiphertext, "the entity secret ciphertext does not decrypt to the registered secret", "The provided entity secret is invalid."),
        new(CursorNotUuid, "pageBefore or pageAfter is not a UUID", "Pagination params are invalid. Only UUID format is supported for pageBefore and pageAfter."),
        new(EntitySecretAlreadySet, "an entity secret is registered again through the API", "The secret for this entity has already been set."),
        new(EntitySecretNotRegistered, "no entity secret is registered for the account", "The entity secret has not been set yet. Please provide encrypted ciphertext in the console."),
        new(IdempotencyMismatch, "the idempotency key was used with another request", "Please use a new idempotency key."),
        new(BlockchainUnsupported, "a request or a list filter names a blockchain that is not simulated", "The specified blockchain is either not supported or deprecated."),
        new(UnsupportedOperation, "the transaction's state or chain does not allow the operation", "Unsupported operation for transaction."),
        new(InvalidDestinationAddress, "the destination address is not an address of the chain", "Invalid destination address."),
        new(TokenChainMismatch, "the token is not on the wallet's blockchain", "Wallet and token's blockchain mismatch."),
        new(InvalidAmounts, "amounts is missing, empty, has more than one entry, or its amount is not positive or has more decimals than the token keeps", "Invalid amounts in transfer request."),
        new(AmountsNotDecimal, "an amount is not a decimal number", "Failed to parse the provided amounts in request to decimals."),
        new(WalletChainMismatch, "the request's blockchain is not the wallet's", "Wallet and request's blockchain mismatch."),
        new(FeeMissing, "a transfer names neither feeLevel nor gasLimit", "Transaction needs feeLevel or gasLimit provided."),
        new(FeeBoth, "a transfer names feeLevel and fee parameters", "Transaction can't have both feeLevel and fee parameters provided."),
        new(Eip1559FeesNeeded, "a transfer on an EIP-1559 chain names gasPrice or lacks maxFee/priorityFee", "EIP1559 chains need maxFee/priorityFee provided."),
        new(PriorityAboveMax, "priorityFee exceeds maxFee", "PriorityFee cannot be larger than maxFee in creating transaction request."),
        new(InvalidTokenAddress, "tokenAddress names no token of the blockchain", "Invalid token address for transfer."),
        new(MetadataCountMismatch, "metadata does not hold one item per wallet (count)", "Metadata array length needs to match wallet count in create developer wallets request."),
        new(WalletAndSource, "a transfer names walletId and walletAddress/blockchain", "Cannot provide both WalletID and SourceAddress/Blockchain."),
        new(ScaUnsupported, "wallets or fee parameters ask for accountType SCA (no simulated chain has smart contract accounts)", "SCA account is not supported on the given blockchain."),
        new(FeeAboveCap, "gasLimit × maxFee is more than one native token", "MaxFee * GasLimit exceeded the maximum permitted transaction gas fee."),
        new(InvalidSourceAddress, "the wallet's address given is not an address of the blockchain", "Invalid source address."),
        new(TokenIdMissing, "a transfer names neither tokenId nor tokenAddress", "Missing token ID."),
        new(GasLimitTooLow, "gasLimit is under the gas the transfer burns (21,000 native, 65,000 token)", "Provided gasLimit is too low to complete the requested transaction."),
        new(FeeInvalid, "maxFee or priorityFee is not a positive number of gwei", "The provided fee in request is invalid."),
        new(InvalidTokenStandard, "a transfer names nftTokenIds (no simulated token is an NFT)", "Invalid token standard for transfer."),
    ];

    /// <param name="SdkMessage">The SDK's message for the code, or null when the SDK's table has no such code.</param>
    public sealed record CodeUse(int Code, string UsedFor, string? SdkMessage);

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
        SharedFailure.InvalidText => "2",
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

    /// <summary>Circle's code with the SDK's own message for it.</summary>
    public static StoredResponse Coded(int status, int code) => Fail(status, code, Message(code) ?? "API parameter invalid");

    /// <summary>The SDK's message for one of the codes Rescind sends, or null for a code it does not know.</summary>
    public static string? Message(int code) => CodeUses.FirstOrDefault(u => u.Code == code)?.SdkMessage;

    public static StoredResponse TransactionMissing { get; } = Coded(404, TransactionNotFound);

    public static StoredResponse WalletMissing { get; } = Coded(404, WalletNotFound);

    public static StoredResponse WalletSetMissing { get; } = Coded(404, WalletSetNotFound);

    public static StoredResponse TokenMissing { get; } = Coded(404, TokenNotFound);

    /// <summary>An id in the path that is not a UUID: 400 156009 [doc].</summary>
    public static StoredResponse NotUuid { get; } = Coded(400, IdNotUuid);

    public static StoredResponse Reused { get; } = Coded(400, CiphertextReused);

    public static StoredResponse BadCiphertext { get; } = Coded(400, InvalidCiphertext);

    public static StoredResponse NotRegistered { get; } = Coded(400, EntitySecretNotRegistered);

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
            UnsupportedOperation => (400, Code(code), r.Detail ?? Message(code)!),
            TokenNotFound => (404, Code(code), Message(code)!),
            _ when Message(code) is { } known => (400, Code(code), r.Detail ?? known),
            ParameterInvalid => (400, Code(code), r.Detail ?? "API parameter invalid"),
            _ => (400, Code(UnsupportedOperation), r.Detail ?? Message(UnsupportedOperation)!),
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

    /// <summary>200 with the wallet as updated [doc].</summary>
    public static StoredResponse WalletUpdated(Outcome<WalletRow> outcome) => outcome switch
    {
        Outcome<WalletRow>.Done { Value: var w } => new(200, CircleJson.Data(new WalletData(CircleJson.Wallet(w)))),
        _ => Failure(outcome),
    };

    /// <summary>200 with the wallet set as updated [doc].</summary>
    public static StoredResponse WalletSetUpdated(Outcome<WalletSetRow> outcome) => outcome switch
    {
        Outcome<WalletSetRow>.Done { Value: var w } => new(200, CircleJson.Data(new WalletSetData(CircleJson.WalletSet(w)))),
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
        Outcome<T>.NotFound { Kind: CircleStore.TokenType } => TokenMissing,
        Outcome<T>.NotFound => TransactionMissing,
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
