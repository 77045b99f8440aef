using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.Circle;

/// <summary>
/// Onboarding and the calls an integration makes before a transfer, as the official SDK sends them.
/// <code>
/// POST /v1/w3s/config/entity/entitySecret                   register the entity secret ciphertext → recovery file
/// GET  /v1/w3s/tokens/{id}                                  a token
/// POST /v1/w3s/transactions/validateAddress                 {blockchain, address} → isValid
/// POST /v1/w3s/transactions/transfer/estimateFee            low / medium / high fees for a transfer
/// GET  /v1/w3s/developer/transactions/feeParameters         low / medium / high fee prices of a chain
/// GET  /v1/w3s/transactions/lowestNonceTransaction          a wallet's lowest pending nonce and the fee to unblock it
/// </code>
/// Literal segments win over <c>/transactions/{id}</c> in routing, so none of these reads as a transaction id.
/// </summary>
public static class CirclePreflight
{
    public static RouteGroupBuilder MapCirclePreflight(this RouteGroupBuilder w3s)
    {
        w3s.MapPost("/config/entity/entitySecret", RegisterAsync)
            .Accepts<RegisterEntitySecretCiphertextRequest>("application/json")
            .Produces<CircleData<EntitySecretRecovery>>(200).CircleErrors(400, 413);
        w3s.MapGet("/tokens/{id}", TokenAsync)
            .Produces<CircleData<TokenData>>(200).CircleErrors(400, 404);
        w3s.MapPost("/transactions/validateAddress", ValidateAddressAsync)
            .Accepts<ValidateAddressRequest>("application/json")
            .Produces<CircleData<AddressValidity>>(200).CircleErrors(400, 413);
        w3s.MapPost("/transactions/transfer/estimateFee", EstimateTransferFeeAsync)
            .Accepts<EstimateTransferFeeRequest>("application/json")
            .Produces<CircleData<FeeEstimate>>(200).CircleErrors(400, 404, 413);
        w3s.MapGet("/developer/transactions/feeParameters", FeeParametersAsync)
            .Parameters(
                ParameterDoc.Query("blockchain", description: "The blockchain, such as ETH-SEPOLIA."),
                ParameterDoc.Query("accountType", description: "EOA (the only account type simulated)."))
            .Produces<CircleData<FeeParameterLevels>>(200).CircleErrors(400);
        w3s.MapGet("/transactions/lowestNonceTransaction", LowestNonceAsync)
            .Parameters(
                ParameterDoc.Query("blockchain", description: "The wallet's blockchain (with address)."),
                ParameterDoc.Query("address", description: "The wallet's address (with blockchain)."),
                ParameterDoc.Query("walletId", description: "The wallet (instead of address and blockchain)."))
            .Produces<CircleData<LowestNonceTransaction>>(200).CircleErrors(400, 404);
        return w3s;
    }

    private static Principal Caller(HttpContext http) => http.Caller();

    private static async Task<(JsonDocument? Doc, IResult? Error)> BodyAsync(HttpContext http, long maxBytes, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, maxBytes, ct);
        return read.Document is null
            ? (null, (read.Failure == SharedFailure.PayloadTooLarge ? CircleEnvelope.Fail(413, 413, read.Message!) : CircleEnvelope.Bad(read.Message!)).ToResult())
            : (read.Document, null);
    }

    /// <summary>200 with the recovery file [sdk: the SDK refuses an answer without one].</summary>
    private static async Task<IResult> RegisterAsync(HttpContext http, CircleEntitySecrets secrets, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var (doc, error) = await BodyAsync(http, options.Value.MaxBodyBytes, ct);
        if (doc is null)
        {
            return error!;
        }
        using var _ = doc;
        var f = new JsonFields(doc.RootElement).Allow("entitySecretCiphertext");
        var ciphertext = f.String("entitySecretCiphertext", required: true, 4096);
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        var p = Caller(http);
        var r = await secrets.RegisterCiphertextAsync(p.AccountId!, ciphertext!, Actor.Credential(p.CredentialId), ct);
        return (r.Refused is { } code ? CircleEnvelope.Coded(400, code) : new StoredResponse(200, CircleJson.Data(new EntitySecretRecovery(r.RecoveryFile!)))).ToResult();
    }

    private static IResult TokenAsync(string id) =>
        (!Guid.TryParseExact(id, "D", out _) ? CircleEnvelope.NotUuid
            : CircleRules.FindToken(id) is { } token ? new StoredResponse(200, CircleJson.Data(new TokenData(CircleJson.Token(token))))
            : CircleEnvelope.TokenMissing).ToResult();

    /// <summary>Whether the address is one of the chain's format [doc]; an unknown blockchain is 156027 [doc code].</summary>
    private static async Task<IResult> ValidateAddressAsync(HttpContext http, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var (doc, error) = await BodyAsync(http, options.Value.MaxBodyBytes, ct);
        if (doc is null)
        {
            return error!;
        }
        using var _ = doc;
        var f = new JsonFields(doc.RootElement).Allow("address", "blockchain");
        var address = f.String("address", required: true, 200);
        var blockchain = f.String("blockchain", required: true, 24);
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        return (CircleRules.FindChain(blockchain) is not { } chain ? CircleEnvelope.Coded(400, CircleEnvelope.BlockchainUnsupported)
            : new StoredResponse(200, CircleJson.Data(new AddressValidity(CircleRules.IsAddressFor(chain, address!))))).ToResult();
    }

    /// <summary>The three fee levels for a transfer as it would be made now [doc shape; the prices are the
    /// simulator's: <see cref="CircleRules.PriceFor"/> over the chain's base fee].</summary>
    private static async Task<IResult> EstimateTransferFeeAsync(HttpContext http, Database db, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var (doc, error) = await BodyAsync(http, options.Value.MaxBodyBytes, ct);
        if (doc is null)
        {
            return error!;
        }
        using var _ = doc;
        var f = new JsonFields(doc.RootElement).Allow("amounts", "destinationAddress", "nftTokenIds", "sourceAddress", "tokenId", "tokenAddress", "blockchain", "walletId");
        var destination = f.String("destinationAddress", required: true, 200);
        var walletId = f.String("walletId", required: false, 36);
        var source = f.String("sourceAddress", required: false, 200);
        var blockchain = f.String("blockchain", required: false, 24);
        var tokenId = f.String("tokenId", required: false, 36);
        var tokenAddress = CircleTransfers.TokenAddress(doc.RootElement, f);
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        var p = Caller(http);
        var resolved = await CircleTransfers.ResolveAsync(db, p.AccountId!, p.Mode, new(walletId, source, blockchain, tokenId, tokenAddress, destination!, doc.RootElement), ct);
        if (resolved.Error is { } refused)
        {
            return refused.ToResult();
        }
        var baseFee = await CircleStore.BaseFeeAsync(db, p.AccountId!, resolved.Wallet!.Blockchain, ct);
        var gas = CircleRules.GasLimit(resolved.Token!);
        return new StoredResponse(200, CircleJson.Data(new FeeEstimate(Level("LOW"), Level("MEDIUM"), Level("HIGH")))).ToResult();

        TransactionFee Level(string level) => CircleJson.Fee(gas, CircleRules.PriceFor(level, baseFee), baseFee);
    }

    /// <summary>The chain's fee prices per level now, in gwei [doc shape].</summary>
    private static async Task<IResult> FeeParametersAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (StrictQuery.Stray(q, ["blockchain", "accountType"]) is { } stray)
        {
            return CircleEnvelope.Bad(stray).ToResult();
        }
        var blockchain = StrictQuery.Value(q, "blockchain");
        if (blockchain is null)
        {
            return CircleEnvelope.Bad("blockchain is required.").ToResult();
        }
        if (CircleRules.FindChain(blockchain) is null)
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.BlockchainUnsupported).ToResult();
        }
        if (StrictQuery.Value(q, "accountType") is { } type && type != "EOA")
        {
            return (type == "SCA" ? CircleEnvelope.Coded(400, CircleEnvelope.ScaUnsupported) : CircleEnvelope.Bad("accountType must be EOA or SCA.")).ToResult();
        }
        var baseFee = await CircleStore.BaseFeeAsync(db, Caller(http).AccountId!, blockchain, ct);
        return new StoredResponse(200, CircleJson.Data(new FeeParameterLevels(Level("LOW"), Level("MEDIUM"), Level("HIGH")))).ToResult();

        FeeParameters Level(string level) => new(CircleJson.Gwei(CircleRules.PriceFor(level, baseFee)), "1", CircleJson.Gwei(baseFee));
    }

    /// <summary>
    /// The wallet's broadcast transaction with the lowest unmined nonce (the one that holds the others back), and
    /// what a HIGH fee would cost now [doc shape]. No such transaction is 404 156003 [ours].
    /// </summary>
    private static async Task<IResult> LowestNonceAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (StrictQuery.Stray(q, ["blockchain", "address", "walletId"]) is { } stray)
        {
            return CircleEnvelope.Bad(stray).ToResult();
        }
        var p = Caller(http);
        var walletId = StrictQuery.Value(q, "walletId");
        var address = StrictQuery.Value(q, "address");
        var blockchain = StrictQuery.Value(q, "blockchain");
        if (walletId is not null && (address is not null || blockchain is not null))
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.WalletAndSource).ToResult();
        }
        if (blockchain is not null && CircleRules.FindChain(blockchain) is null)
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.BlockchainUnsupported).ToResult();
        }
        var wallet = walletId is not null
            ? Guid.TryParseExact(walletId, "D", out _) ? await CircleStore.GetWalletAsync(db, p.AccountId!, p.Mode, walletId, ct) : null
            : address is not null && blockchain is not null ? await CircleStore.WalletByAddressAsync(db, p.AccountId!, p.Mode, blockchain, address, ct)
            : null;
        if (wallet is null)
        {
            return (walletId is null && (address is null || blockchain is null)
                ? CircleEnvelope.Bad("Give walletId, or address and blockchain.") : CircleEnvelope.WalletMissing).ToResult();
        }
        var tx = await CircleStore.GetAsync<TransactionRow>(db,
            $"""
            SELECT {CircleStore.TransactionColumns} FROM circle_transactions
            WHERE wallet_id = @Id AND state IN ('SENT', 'STUCK', 'CANCEL_PENDING') AND nonce IS NOT NULL
            ORDER BY nonce LIMIT 1
            """, new { wallet.Id }, ct);
        if (tx is null)
        {
            return CircleEnvelope.TransactionMissing.ToResult();
        }
        var baseFee = await CircleStore.BaseFeeAsync(db, p.AccountId!, wallet.Blockchain, ct);
        var high = CircleRules.PriceFor("HIGH", baseFee);
        var now = CircleRules.Fee(tx.GasLimit, tx.ReplacementFee ?? tx.MaxFee);
        var difference = Math.Max(0, CircleRules.Fee(tx.GasLimit, high) - now);
        return new StoredResponse(200, CircleJson.Data(new LowestNonceTransaction(CircleJson.Transaction(tx),
            new LowestNonceFeeInfo(CircleJson.Fee(tx.GasLimit, high, baseFee), CircleRules.Format(difference, CircleRules.NativeScale))))).ToResult();
    }
}

/// <summary>A transfer's source wallet and token, named as the SDK's types allow [doc]: <c>walletId</c>, or the
/// wallet's address with its <c>blockchain</c>; <c>tokenId</c>, or <c>tokenAddress</c> with the blockchain (empty
/// for the native token); and its one amount. Each refusal carries Circle's own code where the SDK's table has one.</summary>
public static class CircleTransfers
{
    /// <param name="Body">The request's body, where <c>amounts</c> and <c>nftTokenIds</c> are read.</param>
    public sealed record Source(string? WalletId, string? Address, string? Blockchain, string? TokenId, string? TokenAddress, string Destination, JsonElement Body);

    public sealed record Resolved(WalletRow? Wallet, TokenInfo? Token, string? Amount, StoredResponse? Error);

    /// <summary>Circle caps a transaction's fee at one native token by default [doc: 155211].</summary>
    public const long MaxFeeGwei = 1_000_000_000;

    /// <summary><c>tokenAddress</c>, where the empty string names the native token [doc].</summary>
    public static string? TokenAddress(JsonElement root, JsonFields f) =>
        CircleCommands.Optional(root, "tokenAddress") is { ValueKind: JsonValueKind.String } v && v.GetString()!.Length == 0 ? ""
            : f.String("tokenAddress", required: false, 200);

    public static async Task<Resolved> ResolveAsync(Database db, string accountId, string mode, Source s, CancellationToken ct)
    {
        if (s.WalletId is not null && s.Address is not null)
        {
            return Fail(400, CircleEnvelope.WalletAndSource);
        }
        if (s.Blockchain is not null && CircleRules.FindChain(s.Blockchain) is null)
        {
            return Fail(400, CircleEnvelope.BlockchainUnsupported);
        }
        WalletRow? wallet;
        if (s.WalletId is not null)
        {
            if (!Guid.TryParseExact(s.WalletId, "D", out _))
            {
                return Invalid("walletId", "walletId must be a UUID.");
            }
            wallet = await CircleStore.GetWalletAsync(db, accountId, mode, s.WalletId, ct);
        }
        else if (s.Address is not null && s.Blockchain is not null)
        {
            if (!CircleRules.IsAddressFor(CircleRules.FindChain(s.Blockchain)!, s.Address))
            {
                return Fail(400, CircleEnvelope.InvalidSourceAddress);
            }
            wallet = await CircleStore.WalletByAddressAsync(db, accountId, mode, s.Blockchain, s.Address, ct);
        }
        else if (s.Address is not null)
        {
            return Invalid("blockchain", "blockchain is required with the wallet's address.");
        }
        else
        {
            return Invalid("walletId", "walletId is required (or the wallet's address with blockchain).");
        }
        if (wallet is null)
        {
            return Fail(404, CircleEnvelope.WalletNotFound);
        }
        if (s.Blockchain is not null && s.Blockchain != wallet.Blockchain)
        {
            return Fail(400, CircleEnvelope.WalletChainMismatch);
        }
        TokenInfo? token;
        if (s.TokenId is not null)
        {
            if (s.TokenAddress is not null)
            {
                return Invalid("tokenAddress", "Give tokenId or tokenAddress, not both.");
            }
            token = CircleRules.FindToken(s.TokenId);
            if (token is null)
            {
                return Fail(404, CircleEnvelope.TokenNotFound);
            }
            if (token.Blockchain != wallet.Blockchain)
            {
                return Fail(400, CircleEnvelope.TokenChainMismatch);
            }
        }
        else if (s.TokenAddress is not null)
        {
            token = CircleRules.FindTokenByAddress(wallet.Blockchain, s.TokenAddress);
            if (token is null)
            {
                return Fail(400, CircleEnvelope.InvalidTokenAddress);
            }
        }
        else
        {
            return Fail(400, CircleEnvelope.TokenIdMissing);
        }
        if (!CircleRules.IsAddressFor(CircleRules.FindChain(wallet.Blockchain)!, s.Destination))
        {
            return Fail(400, CircleEnvelope.InvalidDestinationAddress);
        }
        // No simulated token is an NFT, so NFT token ids name a standard the token does not have [ours for the choice].
        if (CircleCommands.Optional(s.Body, "nftTokenIds") is not null)
        {
            return Fail(400, CircleEnvelope.InvalidTokenStandard);
        }
        var (amount, code) = Amount(s.Body, token);
        return code is { } refused ? Fail(400, refused) : new(wallet, token, amount, null);

        static Resolved Fail(int status, int code) => new(null, null, null, CircleEnvelope.Coded(status, code));

        static Resolved Invalid(string field, string message) => new(null, null, null, CircleEnvelope.Invalid(new FieldError(field, message)));
    }

    /// <summary>
    /// <c>amounts</c> [doc: at least one element; several only go with <c>nftTokenIds</c>, an ERC-1155 batch]: a
    /// fungible transfer moves exactly one amount, so none, an empty array or several are 155221; an entry that is
    /// not a decimal number is 155224; an amount the token cannot hold (zero, negative, more decimals than it keeps)
    /// is 155221.
    /// </summary>
    public static (string? Amount, int? Code) Amount(JsonElement body, TokenInfo token)
    {
        if (CircleCommands.Optional(body, "amounts") is not { ValueKind: JsonValueKind.Array } amounts || amounts.GetArrayLength() != 1)
        {
            return (null, CircleEnvelope.InvalidAmounts);
        }
        var item = amounts[0];
        if (item.ValueKind != JsonValueKind.String || item.GetString() is not { } text
            || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            return (null, CircleEnvelope.AmountsNotDecimal);
        }
        return CircleRules.ParseAmount(text, token.Scale) is null ? (null, CircleEnvelope.InvalidAmounts) : (text, null);
    }
}
