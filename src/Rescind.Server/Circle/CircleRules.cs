using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rescind.Core.Lifecycles;

namespace Rescind.Server.Circle;

/// <summary>One simulated blockchain: its network, whether it replaces by nonce, its clock and its tokens.</summary>
public sealed record Chain(string Name, bool Testnet, bool Replaceable, int BlockSeconds, int Confirmations, long BaseFeeGwei, string NativeSymbol, string AddressKind);

/// <summary>A token on a chain. Amounts are stored as integers of <see cref="Scale"/> fractional digits.</summary>
public sealed record TokenInfo(string Id, string Blockchain, string Name, string Symbol, int Decimals, int Scale, bool IsNative, string? Address);

/// <summary>The outbound transaction's lifecycle as data, the chains, and the fee arithmetic. Pure: no I/O.</summary>
public static class CircleRules
{
    public const string Initiated = "INITIATED";
    public const string Queued = "QUEUED";
    public const string Cleared = "CLEARED";
    public const string Sent = "SENT";
    public const string Stuck = "STUCK";
    public const string Confirmed = "CONFIRMED";
    public const string Complete = "COMPLETE";
    public const string Denied = "DENIED";
    public const string Failed = "FAILED";
    public const string Cancelled = "CANCELLED";

    /// <summary>Internal: a cancel replacement races the original in the mempool; callers see SENT [ours].</summary>
    public const string Replacing = "CANCEL_PENDING";

    public const string Cancel = "cancel";
    public const string Accelerate = "accelerate";
    public const string Screen = "screen";
    public const string Deny = "deny";
    public const string Clear = "clear";
    public const string Broadcast = "broadcast";
    public const string Stall = "stall";
    public const string Unstall = "unstall";
    public const string Mine = "mine";
    public const string MineReplacement = "mine-replacement";
    public const string Finalize = "finalize";
    public const string Fail = "fail";

    public const string Event = "transactions.outbound";

    /// <summary>Refusal code of the table: not cancelable/acceleratable now.</summary>
    public const string Unsupported = "155215";

    public static readonly IReadOnlyList<string> PublicStates = [Initiated, Queued, Cleared, Sent, Stuck, Confirmed, Complete, Denied, Failed, Cancelled];

    private static readonly string[] Moving = [Initiated, Queued, Cleared, Sent, Stuck, Replacing];

    public static readonly Lifecycle Transactions = new(
        name: "circle.transaction",
        states: [Initiated, Queued, Cleared, Sent, Stuck, Replacing, Confirmed, Complete, Denied, Failed, Cancelled],
        terminal: [Complete, Denied, Failed, Cancelled],
        commands: [Cancel, Accelerate, Screen, Deny, Clear, Broadcast, Stall, Unstall, Mine, MineReplacement, Finalize, Fail],
        projection: new Dictionary<string, string> { [Replacing] = Sent },
        refusedByDefault: Unsupported,
        table:
        [
            // state       command           rule
            (Initiated,  Cancel,          Rule.Go(Cancelled, Event)),       // before broadcast: at once [ours]
            (Queued,     Cancel,          Rule.Go(Cancelled, Event)),
            (Sent,       Cancel,          Rule.Defer(Replacing, Event)),    // same-nonce replacement [doc]
            (Stuck,      Cancel,          Rule.Defer(Replacing, Event)),
            (Replacing,  Cancel,          Rule.Done),                       // the replacement is already out [ours]
            // CLEARED, CONFIRMED and every terminal state: 155215 by default [doc]

            (Sent,       Accelerate,      Rule.Go(Sent, Event)),            // resubmitted at HIGH [doc]
            (Stuck,      Accelerate,      Rule.Go(Sent, Event)),

            (Initiated,  Screen,          Rule.Go(Queued, Event)),
            (Initiated,  Deny,            Rule.Go(Denied, Event)),
            (Queued,     Clear,           Rule.Go(Cleared, Event)),
            (Cleared,    Broadcast,       Rule.Go(Sent, Event)),
            (Sent,       Stall,           Rule.Go(Stuck, Event)),
            (Stuck,      Unstall,         Rule.Go(Sent, Event)),
            (Sent,       Mine,            Rule.Go(Confirmed, Event)),
            (Replacing,  Mine,            Rule.Go(Confirmed, Event)),       // the original won the race
            (Replacing,  MineReplacement, Rule.Go(Cancelled, Event)),       // the replacement won
            (Confirmed,  Finalize,        Rule.Go(Complete, Event)),
            .. Moving.Select(s => (s, Fail, Rule.Go(Failed, Event))),
        ]);

    /// <summary>Chains [doc names]; block times, confirmations and base fees are ours. Chains that do not
    /// replace by nonce support neither cancel nor accelerate [doc].</summary>
    public static readonly IReadOnlyList<Chain> Chains =
    [
        new("ETH", false, true, 12, 3, 20, "ETH", "evm"),
        new("ETH-SEPOLIA", true, true, 12, 3, 20, "ETH", "evm"),
        new("AVAX", false, true, 2, 1, 25, "AVAX", "evm"),
        new("AVAX-FUJI", true, true, 2, 1, 25, "AVAX", "evm"),
        new("MATIC", false, true, 2, 3, 30, "POL", "evm"),
        new("MATIC-AMOY", true, true, 2, 3, 30, "POL", "evm"),
        new("BASE", false, true, 2, 2, 1, "ETH", "evm"),
        new("BASE-SEPOLIA", true, true, 2, 2, 1, "ETH", "evm"),
        new("OP", false, true, 2, 2, 1, "ETH", "evm"),
        new("OP-SEPOLIA", true, true, 2, 2, 1, "ETH", "evm"),
        new("UNI", false, true, 1, 2, 1, "ETH", "evm"),
        new("UNI-SEPOLIA", true, true, 1, 2, 1, "ETH", "evm"),
        new("ARB", false, false, 1, 1, 1, "ETH", "evm"),
        new("ARB-SEPOLIA", true, false, 1, 1, 1, "ETH", "evm"),
        new("SOL", false, false, 1, 1, 1, "SOL", "sol"),
        new("SOL-DEVNET", true, false, 1, 1, 1, "SOL", "sol"),
        new("APTOS", false, false, 1, 1, 1, "APT", "aptos"),
        new("APTOS-TESTNET", true, false, 1, 1, 1, "APT", "aptos"),
        new("NEAR", false, false, 1, 1, 1, "NEAR", "near"),
        new("NEAR-TESTNET", true, false, 1, 1, 1, "NEAR", "near"),
    ];

    public static Chain? FindChain(string? name) => Chains.FirstOrDefault(c => c.Name == name);

    /// <summary>Native amounts keep 9 fractional digits (1 gwei on EVM chains), USDC its 6 [ours].</summary>
    public const int NativeScale = 9;

    public const int UsdcScale = 6;

    public static readonly IReadOnlyList<TokenInfo> Tokens = Chains.SelectMany(c => new[]
    {
        new TokenInfo(StableId("native:" + c.Name), c.Name, c.NativeSymbol, c.NativeSymbol, c.AddressKind == "evm" ? 18 : 9, NativeScale, true, null),
        new TokenInfo(StableId("usdc:" + c.Name), c.Name, "USDC", "USDC", 6, UsdcScale, false, AddressFor(c, "usdc-contract:" + c.Name)),
    }).ToList();

    public static TokenInfo? FindToken(string? id) => Tokens.FirstOrDefault(t => t.Id == id);

    /// <summary>A token of the chain by its contract address; the empty address is the native token [doc].</summary>
    public static TokenInfo? FindTokenByAddress(string blockchain, string address) =>
        Tokens.FirstOrDefault(t => t.Blockchain == blockchain && (address.Length == 0 ? t.IsNative : string.Equals(t.Address, address, StringComparison.OrdinalIgnoreCase)));

    public static TokenInfo Native(string blockchain) => Tokens.First(t => t.Blockchain == blockchain && t.IsNative);

    public static TokenInfo Usdc(string blockchain) => Tokens.First(t => t.Blockchain == blockchain && !t.IsNative);

    /// <summary>Gas a transfer uses [ours]: 21,000 for the native token, 65,000 for a token contract.</summary>
    public static long GasLimit(TokenInfo token) => token.IsNative ? 21_000 : 65_000;

    /// <summary>The price in gwei a fee level offers over the base fee when the transfer is made [ours].</summary>
    public static long PriceFor(string feeLevel, long baseFee) => feeLevel switch
    {
        "LOW" => baseFee,
        "MEDIUM" => checked(baseFee * 5 / 4 + 1),
        _ => checked(baseFee * 2),
    };

    /// <summary>A replacement must outbid the original (by at least 10%, as EVM mempools demand) and offer HIGH.</summary>
    public static long ReplacementPrice(long original, long baseFee) => Math.Max(checked(original + Math.Max(1, original / 10)), PriceFor("HIGH", baseFee));

    /// <summary>The network fee in native units (scale 9 = gwei): gas used times price in gwei.</summary>
    public static long Fee(long gasLimit, long priceGwei) => checked(gasLimit * priceGwei);

    public static string Format(long units, int scale)
    {
        var d = (decimal)units / Pow10(scale);
        return d.ToString("0.#########", CultureInfo.InvariantCulture);
    }

    /// <summary>Parses a positive decimal amount with at most <paramref name="scale"/> fractional digits.</summary>
    public static long? ParseAmount(string s, int scale)
    {
        if (s.Length is 0 or > 40 || !decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) || d <= 0)
        {
            return null;
        }
        var scaled = d * Pow10(scale);
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue / 4)
        {
            return null;
        }
        return (long)scaled;
    }

    private static long Pow10(int n)
    {
        long r = 1;
        for (var i = 0; i < n; i++)
        {
            r *= 10;
        }
        return r;
    }

    /// <summary>A deterministic UUID-shaped id for the fixed token table.</summary>
    public static string StableId(string name)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes("rescind.circle." + name));
        h[6] = (byte)((h[6] & 0x0F) | 0x50);
        h[8] = (byte)((h[8] & 0x3F) | 0x80);
        return new Guid(h.AsSpan(0, 16), bigEndian: true).ToString("D");
    }

    /// <summary>An address in the chain's format, derived from a seed.</summary>
    public static string AddressFor(Chain chain, string seed)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        return chain.AddressKind switch
        {
            "evm" => "0x" + Convert.ToHexStringLower(h.AsSpan(0, 20)),
            "aptos" => "0x" + Convert.ToHexStringLower(h),
            "near" => Convert.ToHexStringLower(h),
            _ => Base58(h),
        };
    }

    public static bool IsAddressFor(Chain chain, string address) => chain.AddressKind switch
    {
        "evm" => address.Length == 42 && address.StartsWith("0x", StringComparison.Ordinal) && address[2..].All(char.IsAsciiHexDigit),
        "aptos" => address.Length is > 2 and <= 66 && address.StartsWith("0x", StringComparison.Ordinal) && address[2..].All(char.IsAsciiHexDigit),
        "near" => address.Length is >= 2 and <= 64 && address.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch is '.' or '-' or '_'),
        _ => address.Length is >= 32 and <= 44 && address.All(ch => B58.Contains(ch)),
    };

    private const string B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private static string Base58(byte[] bytes)
    {
        var n = new System.Numerics.BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var sb = new StringBuilder();
        while (n > 0)
        {
            sb.Insert(0, B58[(int)(n % 58)]);
            n /= 58;
        }
        return sb.ToString();
    }

    /// <summary>Whether the transaction has been broadcast (has a nonce and a hash).</summary>
    public static bool Broadcasted(string state) => state is Sent or Stuck or Replacing or Confirmed or Complete;
}
