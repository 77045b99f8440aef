using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rescind.Server.Circle;

/// <summary>Circle's wire shapes: camelCase, absent rather than null, ISO-8601 UTC seconds.</summary>
public static class CircleJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static string Data(object data) => JsonSerializer.Serialize(new { data }, Options);

    public static string Date(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static object WalletSet(WalletSetRow w) => new
    {
        id = w.Id,
        custodyType = "DEVELOPER",
        name = w.Name,
        createDate = Date(w.CreatedAt),
        updateDate = Date(w.UpdatedAt),
    };

    public static object Wallet(WalletRow w) => new
    {
        id = w.Id,
        state = w.State,
        walletSetId = w.WalletSetId,
        custodyType = "DEVELOPER",
        address = w.Address,
        blockchain = w.Blockchain,
        accountType = "EOA",
        createDate = Date(w.CreatedAt),
        updateDate = Date(w.UpdatedAt),
    };

    public static object Token(TokenInfo t) => new
    {
        id = t.Id,
        blockchain = t.Blockchain,
        name = t.Name,
        symbol = t.Symbol,
        decimals = t.Decimals,
        isNative = t.IsNative,
        standard = t.IsNative ? null : "ERC20",
        tokenAddress = t.Address,
        createDate = "2026-01-01T00:00:00Z",
        updateDate = "2026-01-01T00:00:00Z",
    };

    public static object Balance(TokenInfo t, long amount, long updatedAt) => new
    {
        token = Token(t),
        amount = CircleRules.Format(amount, t.Scale),
        updateDate = Date(updatedAt),
    };

    public static object Transaction(TransactionRow t)
    {
        var token = CircleRules.FindToken(t.TokenId);
        return new
        {
            id = t.Id,
            blockchain = t.Blockchain,
            state = CircleRules.Transactions.Project(t.State),
            walletId = t.WalletId,
            sourceAddress = t.SourceAddress,
            destinationAddress = t.DestinationAddress,
            tokenId = t.TokenId,
            amounts = new[] { CircleRules.Format(t.Amount, token?.Scale ?? CircleRules.NativeScale) },
            feeLevel = t.FeeLevel,
            estimatedFee = new
            {
                gasLimit = t.GasLimit.ToString(CultureInfo.InvariantCulture),
                maxFee = (t.ReplacementFee ?? t.MaxFee).ToString(CultureInfo.InvariantCulture),
                priorityFee = t.PriorityFee.ToString(CultureInfo.InvariantCulture),
                networkFee = CircleRules.Format(CircleRules.Fee(t.GasLimit, t.ReplacementFee ?? t.MaxFee), CircleRules.NativeScale),
            },
            networkFee = t.NetworkFee is { } f ? CircleRules.Format(f, CircleRules.NativeScale) : null,
            txHash = t.TxHash,
            nonce = t.Nonce,
            blockHeight = t.BlockHeight,
            operation = "TRANSFER",
            transactionType = "OUTBOUND",
            custodyType = "DEVELOPER",
            refId = t.RefId,
            errorReason = t.ErrorReason,
            createDate = Date(t.CreatedAt),
            updateDate = Date(t.UpdatedAt),
            firstConfirmDate = t.FirstConfirmAt is { } c ? Date(c) : null,
        };
    }
}
