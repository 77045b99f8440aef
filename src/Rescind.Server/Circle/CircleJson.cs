using Rescind.Server.Http;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rescind.Server.Circle;

/// <summary>Circle's wire shapes: camelCase, absent rather than null, ISO-8601 UTC seconds.</summary>
public static class CircleJson
{
    public static readonly JsonSerializerOptions Options = WireJson.Options(JsonNamingPolicy.CamelCase, writeNulls: false, htmlSafe: true);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>A success body: <c>{"data": …}</c>.</summary>
    public static string Data<T>(T data) => Serialize(new CircleData<T>(data));

    public static string Date(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static WalletSet WalletSet(WalletSetRow w) => new(w.Id, "DEVELOPER", w.Name, Date(w.CreatedAt), Date(w.UpdatedAt));

    public static Wallet Wallet(WalletRow w) =>
        new(w.Id, w.State, w.WalletSetId, "DEVELOPER", w.Address, w.Blockchain, "EOA", w.Name, w.RefId, Date(w.CreatedAt), Date(w.UpdatedAt));

    public static Token Token(TokenInfo t) =>
        new(t.Id, t.Blockchain, t.Name, t.Symbol, t.Decimals, t.IsNative, t.IsNative ? null : "ERC20", t.Address, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z");

    public static string Gwei(long gwei) => gwei.ToString(CultureInfo.InvariantCulture);

    /// <summary>One fee level of an estimate: prices in gwei, the network fee in the native token.</summary>
    public static TransactionFee Fee(long gasLimit, long price, long baseFee) =>
        new(gasLimit.ToString(CultureInfo.InvariantCulture), Gwei(price), "1", Gwei(baseFee), CircleRules.Format(CircleRules.Fee(gasLimit, price), CircleRules.NativeScale));

    public static TokenBalance Balance(TokenInfo t, long amount, long updatedAt) => new(Token(t), CircleRules.Format(amount, t.Scale), Date(updatedAt));

    public static Transaction Transaction(TransactionRow t)
    {
        var token = CircleRules.FindToken(t.TokenId);
        return new Transaction(
            t.Id,
            t.Blockchain,
            CircleRules.Transactions.Project(t.State),
            t.WalletId,
            t.SourceAddress,
            t.DestinationAddress,
            t.TokenId,
            [CircleRules.Format(t.Amount, token?.Scale ?? CircleRules.NativeScale)],
            t.FeeLevel,
            new EstimatedFee(
                t.GasLimit.ToString(CultureInfo.InvariantCulture),
                (t.ReplacementFee ?? t.MaxFee).ToString(CultureInfo.InvariantCulture),
                t.PriorityFee.ToString(CultureInfo.InvariantCulture),
                CircleRules.Format(CircleRules.Fee(t.GasLimit, t.ReplacementFee ?? t.MaxFee), CircleRules.NativeScale)),
            t.NetworkFee is { } f ? CircleRules.Format(f, CircleRules.NativeScale) : null,
            t.TxHash,
            t.Nonce,
            t.BlockHeight,
            "TRANSFER",
            "OUTBOUND",
            "DEVELOPER",
            t.RefId,
            t.ErrorReason,
            Date(t.CreatedAt),
            Date(t.UpdatedAt),
            t.FirstConfirmAt is { } c ? Date(c) : null);
    }
}

// Circle's wire shapes as records, in the order their properties are written [doc names]. They are what the
// handlers serialize and what the OpenAPI document describes.

/// <summary>Every Circle success body: <c>{"data": …}</c> [doc].</summary>
public sealed record CircleData<T>(T Data);

public sealed record WalletSet(string Id, string CustodyType, string? Name, string CreateDate, string UpdateDate);

public sealed record Wallet(string Id, string State, string WalletSetId, string CustodyType, string Address, string Blockchain,
    string AccountType, string? Name, string? RefId, string CreateDate, string UpdateDate);

public sealed record Token(string Id, string Blockchain, string Name, string Symbol, int Decimals, bool IsNative, string? Standard,
    string? TokenAddress, string CreateDate, string UpdateDate);

public sealed record TokenBalance(Token Token, string Amount, string UpdateDate);

/// <summary>Fee figures as decimal strings: gas units, prices in gwei, the fee in the native token.</summary>
public sealed record EstimatedFee(string GasLimit, string MaxFee, string PriorityFee, string NetworkFee);

public sealed record Transaction(
    string Id,
    string Blockchain,
    string State,
    string WalletId,
    string SourceAddress,
    string DestinationAddress,
    string TokenId,
    IReadOnlyList<string> Amounts,
    string? FeeLevel,
    EstimatedFee EstimatedFee,
    string? NetworkFee,
    string? TxHash,
    long? Nonce,
    long? BlockHeight,
    string Operation,
    string TransactionType,
    string CustodyType,
    string? RefId,
    string? ErrorReason,
    string CreateDate,
    string UpdateDate,
    string? FirstConfirmDate);

public sealed record WalletSetData(WalletSet WalletSet);

public sealed record WalletSetsData(IReadOnlyList<WalletSet> WalletSets);

public sealed record WalletData(Wallet Wallet);

public sealed record WalletsData(IReadOnlyList<Wallet> Wallets);

public sealed record TokenBalancesData(IReadOnlyList<TokenBalance> TokenBalances);

/// <summary>An NFT a wallet holds [doc shape].</summary>
public sealed record Nft(Token Token, string Amount, string? Metadata, string? NftTokenId, string UpdateDate);

public sealed record NftsData(IReadOnlyList<Nft> Nfts);

public sealed record TransactionData(Transaction Transaction);

public sealed record TransactionsData(IReadOnlyList<Transaction> Transactions);

/// <summary>A new transfer, or a cancel's answer: the id and the public state.</summary>
public sealed record TransactionState(string Id, string State);

/// <summary>An accelerate's answer.</summary>
public sealed record TransactionId(string Id);

/// <summary>The account's entity public key (PEM) [doc].</summary>
public sealed record EntityPublicKey(string PublicKey);

/// <summary>The key that verifies a subscription's notifications [doc].</summary>
public sealed record NotificationPublicKey(string Id, string Algorithm, string PublicKey, string CreateDate);

public sealed record Subscription(string Id, string Name, string Endpoint, bool Enabled, string CreateDate, string UpdateDate,
    IReadOnlyList<string> NotificationTypes, bool Restricted);

// Request bodies, as the handlers read them (each checks its own fields and answers in Circle's envelope).

public sealed record CreateWalletSetRequest(string IdempotencyKey, string EntitySecretCiphertext, string? Name);

public sealed record WalletMetadata(string? Name, string? RefId);

public sealed record CreateWalletsRequest(string IdempotencyKey, string EntitySecretCiphertext, string WalletSetId, IReadOnlyList<string> Blockchains,
    int? Count, string? AccountType, IReadOnlyList<WalletMetadata>? Metadata);

/// <summary>Either <c>feeLevel</c> or <c>gasLimit</c> + <c>maxFee</c> + <c>priorityFee</c> (gwei, the SDK's <c>fee.type</c>
/// "level" or "gas"); <c>amounts</c> holds one amount. The source is <c>walletId</c> or <c>walletAddress</c> +
/// <c>blockchain</c>, the token <c>tokenId</c> or <c>tokenAddress</c> (empty: the native token) [doc];
/// <c>nftTokenIds</c> is accepted and not used [ours].</summary>
public sealed record TransferRequest(string IdempotencyKey, string EntitySecretCiphertext, string? WalletId, string DestinationAddress, string? TokenId,
    IReadOnlyList<string>? Amounts, string? FeeLevel, string? GasLimit, string? MaxFee, string? PriorityFee, string? RefId,
    string? Blockchain, string? TokenAddress, string? WalletAddress, IReadOnlyList<string>? NftTokenIds);

/// <summary>Cancel and accelerate take only the key and a fresh ciphertext [doc].</summary>
public sealed record TransactionActionRequest(string IdempotencyKey, string EntitySecretCiphertext);

/// <summary>Neither flag asks for both [ours]; <c>eurc</c> is accepted and not dripped.</summary>
public sealed record DripRequest(string Address, string Blockchain, bool? Usdc, bool? Native, bool? Eurc);

public sealed record RegisterEntitySecretCiphertextRequest(string EntitySecretCiphertext);

public sealed record ValidateAddressRequest(string Address, string Blockchain);

/// <summary>The source is <c>walletId</c> or <c>sourceAddress</c> + <c>blockchain</c>; the token <c>tokenId</c> or
/// <c>tokenAddress</c> (+ <c>blockchain</c>) [doc]; <c>nftTokenIds</c> is accepted and not used [ours].</summary>
public sealed record EstimateTransferFeeRequest(IReadOnlyList<string> Amounts, string DestinationAddress, IReadOnlyList<string>? NftTokenIds,
    string? SourceAddress, string? TokenId, string? TokenAddress, string? Blockchain, string? WalletId);

public sealed record UpdateWalletRequest(string? Name, string? RefId);

public sealed record UpdateWalletSetRequest(string Name);

public sealed record SubscriptionRequest(string Endpoint, IReadOnlyList<string>? NotificationTypes);

public sealed record EntitySecretRecovery(string RecoveryFile);

public sealed record TokenData(Token Token);

public sealed record AddressValidity(bool IsValid);

/// <summary>Gas prices in gwei, the network fee in the chain's native token [doc names].</summary>
public sealed record TransactionFee(string GasLimit, string MaxFee, string PriorityFee, string BaseFee, string NetworkFee);

public sealed record FeeEstimate(TransactionFee Low, TransactionFee Medium, TransactionFee High);

public sealed record FeeParameters(string MaxFee, string PriorityFee, string BaseFee);

public sealed record FeeParameterLevels(FeeParameters Low, FeeParameters Medium, FeeParameters High);

public sealed record LowestNonceFeeInfo(TransactionFee NewHighEstimatedFee, string FeeDifferenceAmount);

public sealed record LowestNonceTransaction(Transaction Transaction, LowestNonceFeeInfo FeeInfo);
