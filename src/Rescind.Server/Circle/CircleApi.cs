using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's developer-controlled wallets API, as the official SDK calls it.
/// <code>
/// GET  /v1/w3s/config/entity/publicKey                   the account's RSA public key (PEM)
/// POST /v1/w3s/developer/walletSets                      create a wallet set            key + ciphertext
/// GET  /v1/w3s/walletSets[/{id}]                         list / get wallet sets
/// POST /v1/w3s/developer/wallets                         create wallets per blockchain  key + ciphertext
/// GET  /v1/w3s/wallets[/{id}], /v1/w3s/wallets/{id}/balances
/// POST /v1/faucet/drips                                  test tokens for a test wallet
/// POST /v1/w3s/developer/transactions/transfer           transfer                       key + ciphertext
/// POST /v1/w3s/developer/transactions/{id}/cancel        cancel (best effort)           key + ciphertext
/// POST /v1/w3s/developer/transactions/{id}/accelerate    accelerate                     key + ciphertext
/// GET  /v1/w3s/transactions[/{id}]                       list (filters, pageBefore/pageAfter, Link) / get
/// </code>
/// </summary>
public static class CircleApi
{

    public static IEndpointRouteBuilder MapCircle(this IEndpointRouteBuilder app)
    {
        var w3s = app.MapGroup("/v1/w3s").WithGroupName("circle").RequireCaller(Credentials).Documented();
        w3s.MapGet("/config/entity/publicKey", PublicKeyAsync)
            .Produces<CircleData<EntityPublicKey>>(200);
        w3s.MapCirclePreflight();
        w3s.MapPost("/developer/walletSets", CreateWalletSetAsync)
            .Mutating<CreateWalletSetRequest>()
            .Produces<CircleData<WalletSetData>>(201).Produces<CircleData<WalletSetData>>(200);
        w3s.MapGet("/walletSets", ListWalletSetsAsync)
            .Listing()
            .Produces<CircleData<WalletSetsData>>(200);
        w3s.MapGet("/walletSets/{id}", GetWalletSetAsync)
            .Produces<CircleData<WalletSetData>>(200).CircleErrors(400, 404);
        w3s.MapPost("/developer/wallets", CreateWalletsAsync)
            .Mutating<CreateWalletsRequest>()
            .Produces<CircleData<WalletsData>>(201).Produces<CircleData<WalletsData>>(200).CircleErrors(404);
        w3s.MapGet("/wallets", ListWalletsAsync)
            .Listing(
                ParameterDoc.Query("address", description: "Wallets with this address."),
                ParameterDoc.Query("blockchain", description: "Wallets on this blockchain, such as ETH-SEPOLIA."),
                ParameterDoc.Query("walletSetId", description: "Wallets of this wallet set."),
                ParameterDoc.Query("refId", description: "Wallets with this reference (metadata refId)."))
            .Produces<CircleData<WalletsData>>(200);
        w3s.MapPut("/wallets/{id}", UpdateWalletAsync)
            .Accepts<UpdateWalletRequest>("application/json")
            .Produces<CircleData<WalletData>>(200).CircleErrors(400, 404, 413);
        w3s.MapPut("/developer/walletSets/{id}", UpdateWalletSetAsync)
            .Accepts<UpdateWalletSetRequest>("application/json")
            .Produces<CircleData<WalletSetData>>(200).CircleErrors(400, 404, 413);
        w3s.MapGet("/wallets/{id}", GetWalletAsync)
            .Produces<CircleData<WalletData>>(200).CircleErrors(400, 404);
        w3s.MapGet("/wallets/{id}/balances", BalancesAsync)
            .TokenListing()
            .Produces<CircleData<TokenBalancesData>>(200).CircleErrors(400, 404);
        w3s.MapGet("/wallets/{id}/nfts", NftsAsync)
            .TokenListing()
            .Produces<CircleData<NftsData>>(200).CircleErrors(400, 404);
        w3s.MapPost("/developer/transactions/transfer", TransferAsync)
            .Mutating<TransferRequest>()
            .Produces<CircleData<TransactionState>>(201).Produces<CircleData<TransactionState>>(200).CircleErrors(404);
        w3s.MapPost("/developer/transactions/{id}/cancel", (string id, HttpContext http, Coordinator c, Database db, CircleEntitySecrets s, IOptions<RescindOptions> o, IOptions<CircleOptions> co, CancellationToken ct) =>
                ActAsync(id, CircleRules.Cancel, http, c, db, s, o, co, ct))
            .Mutating<TransactionActionRequest>()
            .Produces<CircleData<TransactionState>>(200).CircleErrors(404);
        w3s.MapPost("/developer/transactions/{id}/accelerate", (string id, HttpContext http, Coordinator c, Database db, CircleEntitySecrets s, IOptions<RescindOptions> o, IOptions<CircleOptions> co, CancellationToken ct) =>
                ActAsync(id, CircleRules.Accelerate, http, c, db, s, o, co, ct))
            .Mutating<TransactionActionRequest>()
            .Produces<CircleData<TransactionId>>(200).CircleErrors(404);
        w3s.MapGet("/transactions", ListTransactionsAsync)
            .Listing(
                ParameterDoc.Query("blockchain", description: "Transactions on this blockchain."),
                ParameterDoc.Query("state", description: "Transactions in this state (SENT includes a cancel racing its replacement)."),
                ParameterDoc.Query("walletIds", description: "Comma-separated wallet ids."),
                ParameterDoc.Query("txType", description: "INBOUND or OUTBOUND."),
                ParameterDoc.Query("destinationAddress"),
                ParameterDoc.Query("txHash"),
                ParameterDoc.Query("operation", description: "TRANSFER, CONTRACT_EXECUTION or CONTRACT_DEPLOYMENT."),
                ParameterDoc.Query("custodyType", description: "DEVELOPER or ENDUSER."),
                ParameterDoc.Query("includeAll", "boolean"))
            .Produces<CircleData<TransactionsData>>(200);
        w3s.MapGet("/transactions/{id}", GetTransactionAsync)
            .Produces<CircleData<TransactionData>>(200).CircleErrors(400, 404);
        app.MapGroup("/v1/faucet").WithGroupName("circle").RequireCaller(Credentials).Documented()
            .MapPost("/drips", DripAsync)
            .Accepts<DripRequest>("application/json")
            .Produces(204).CircleErrors(400, 403, 404, 413);
        var notifications = app.MapGroup("/v2/notifications").WithGroupName("circle").RequireCaller(Credentials).Documented();
        notifications.MapGet("/publicKey/{id}", NotificationKeyAsync)
            .Produces<CircleData<NotificationPublicKey>>(200).CircleErrors(400, 404);
        notifications.MapCircleSubscriptions();
        return app;
    }

    // ---- the OpenAPI document: what each route reads and answers beyond its handler's signature ----

    /// <summary>Every Circle route: an optional X-Request-Id [doc], and 401 for a missing or unknown API key.</summary>
    private static RouteGroupBuilder Documented(this RouteGroupBuilder group) =>
        group.Parameters(ParameterDoc.Header(RequestIds.Header, description: "The caller's id for this request, echoed in the answer."))
            .CircleErrors(401);

    /// <summary>Circle's error envelope <c>{code, message}</c> on each of <paramref name="statuses"/>.</summary>
    internal static TBuilder CircleErrors<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(CircleEnvelope.ErrorBody), ["application/json"]));
        }
        return builder;
    }

    /// <summary>A write with an idempotency key and an entity secret ciphertext: invalid (400), key reused with
    /// another body (403), key in flight (409), body too large (413).</summary>
    private static RouteHandlerBuilder Mutating<TRequest>(this RouteHandlerBuilder route)
        where TRequest : notnull =>
        route.Accepts<TRequest>("application/json").CircleErrors(400, 403, 409, 413);

    /// <summary>A list: Circle's paging [doc] and creation-time window, each list's own filters, a Link header.</summary>
    private static RouteHandlerBuilder Listing(this RouteHandlerBuilder route, params ParameterDoc[] filters) =>
        route.Parameters([
            ParameterDoc.Query("pageSize", "integer", "Items per page (default 10); above 50, 50 are served."),
            ParameterDoc.Query("pageAfter", description: "The id of the item after which the page starts (not with pageBefore)."),
            ParameterDoc.Query("pageBefore", description: "The id of the item before which the page ends (not with pageAfter)."),
            ParameterDoc.Query("order", description: "ASC or DESC (default) by creation."),
            ParameterDoc.Query("from", description: "Created at or after this ISO-8601 UTC date-time."),
            ParameterDoc.Query("to", description: "Created at or before this ISO-8601 UTC date-time."),
            .. filters,
        ]).CircleErrors(400);

    /// <summary>A wallet's balances or NFTs: the token filters and paging [doc].</summary>
    private static RouteHandlerBuilder TokenListing(this RouteHandlerBuilder route) =>
        route.Parameters(
            ParameterDoc.Query("includeAll", "boolean", "true lists every token of the chain, zero balances too."),
            ParameterDoc.Query("name", description: "Tokens with this name."),
            ParameterDoc.Query("tokenAddress", description: "Tokens with these addresses (comma-separated)."),
            ParameterDoc.Query("standard", description: "Tokens of this standard, such as ERC20."),
            ParameterDoc.Query("pageSize", "integer", "Items per page (default 10); above 50, 50 are served."),
            ParameterDoc.Query("pageAfter", description: "The token id after which the page starts (not with pageBefore)."),
            ParameterDoc.Query("pageBefore", description: "The token id before which the page ends (not with pageAfter)."));

    /// <summary><c>Bearer TEST_API_KEY:&lt;id&gt;:&lt;secret&gt;</c> (or LIVE_API_KEY) [doc]; anything else is 401.</summary>
    public static CredentialScheme Credentials { get; } = new(
        CircleStore.Api,
        http => CredentialSchemes.SecretAsync(http, CircleStore.Api, ApiKey(http)),
        http => ApiKey(http) is null ? CircleEnvelope.MalformedAuthorization : CircleEnvelope.InvalidCredentials);

    /// <summary>The API key of a well-formed <c>Authorization</c> header, or null.</summary>
    private static string? ApiKey(HttpContext http)
    {
        var key = CredentialSchemes.BearerSecret(http) ?? "";
        var parts = key.Split(':');
        return parts.Length != 3 || parts[0] is not ("TEST_API_KEY" or "LIVE_API_KEY") || parts[1].Length == 0 || parts[2].Length == 0 ? null : key;
    }

    private static Principal Principal(HttpContext http) => http.Caller();

    private static string Mode(HttpContext http) => Principal(http).Mode;

    private static OperationContext Context(HttpContext http) =>
        new(Principal(http).AccountId, CircleStore.Api, Actor.Credential(Principal(http).CredentialId), RequestIds.Of(http));

    /// <summary>Test keys reach testnets, live keys mainnets [doc].</summary>
    private static StoredResponse? Gate(HttpContext http, string blockchain)
    {
        var chain = CircleRules.FindChain(blockchain)!;
        return chain.Testnet == Principal(http).IsLive ? CircleEnvelope.ChainRefused(blockchain, Principal(http).IsLive) : null;
    }

    private static async Task<IResult> PublicKeyAsync(HttpContext http, CircleEntitySecrets secrets, CancellationToken ct) =>
        new StoredResponse(200, CircleJson.Data(new EntityPublicKey(await secrets.PublicKeyAsync(Principal(http).AccountId!, ct)))).ToResult();

    // ---- mutations: body, key, ciphertext ----

    private sealed record Mutation(JsonDocument Doc, OperationContext Context, string Ciphertext);

    /// <summary>
    /// Reads a mutating body: <c>idempotencyKey</c> (UUID) and <c>entitySecretCiphertext</c> are required [doc]. A key
    /// seen before is answered by the coordinator from its record (a resend carries a fresh ciphertext, so the
    /// fingerprint leaves both out [ours]); a new key needs a ciphertext that decrypts to the registered secret
    /// and was not used before.
    /// </summary>
    private static async Task<(Mutation? M, StoredResponse? Error)> ReadMutationAsync(
        HttpContext http, Database db, CircleEntitySecrets secrets, long maxBytes, CircleOptions options, string[] fields, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, maxBytes, ct);
        if (read.Document is null)
        {
            return (null, read.Failure == SharedFailure.PayloadTooLarge ? CircleEnvelope.Fail(413, 413, read.Message!) : CircleEnvelope.Bad(read.Message!));
        }
        var root = read.Document.RootElement;
        var f = new JsonFields(root).Allow([.. fields, "idempotencyKey", "entitySecretCiphertext"]);
        var key = f.String("idempotencyKey", required: true, 36, k => Guid.TryParseExact(k, "D", out _), "a UUID v4");
        var ciphertext = f.String("entitySecretCiphertext", required: true, 4096);
        if (!f.Ok)
        {
            read.Document.Dispose();
            return (null, CircleEnvelope.Invalid(f.Error!));
        }
        var rest = new JsonObject();
        foreach (var p in root.EnumerateObject().Where(p => p.Name is not ("idempotencyKey" or "entitySecretCiphertext")))
        {
            rest[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        }
        var fingerprint = Ids.Sha256Hex(http.Request.Path + "\n" + rest.ToJsonString());
        var ctx = Context(http) with { Idempotency = new IdempotencyRequest(key!, fingerprint, IdempotencyPolicy(options.IdempotencyRetention)) { Mode = RequestKeys.ModeOf(http) } };
        var accountId = Principal(http).AccountId!;
        // The ciphertext is decrypted and compared on every call, a repeat of a known key included: whether the key
        // is known is read here on another connection than the coordinator's claim, and a key that expires between
        // the two would otherwise run its work with a ciphertext nobody checked. Only the single-use pre-check is
        // skipped for a known key (a repeat carries a used ciphertext by nature); the use itself is recorded in the
        // work's own transaction, which refuses a ciphertext used before (156004) whatever this read saw.
        var check = await secrets.CheckAsync(accountId, ciphertext!, ct);
        var error = check switch
        {
            CiphertextCheck.NotRegistered => CircleEnvelope.NotRegistered,
            CiphertextCheck.Invalid => CircleEnvelope.BadCiphertext,
            _ => null,
        };
        if (error is null)
        {
            await using var connection = await db.OpenAsync(ct);
            var now = Time.ToUnixMs(http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
            var seen = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM idempotency WHERE account_id = @accountId AND api = 'circle' AND mode = @mode AND key = @key AND expires_at > @now", new { accountId, mode = ctx.Idempotency.Mode, key, now }, cancellationToken: ct)) > 0;
            if (!seen && await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM circle_ciphertexts WHERE account_id = @accountId AND hash = @Hash", new { accountId, Hash = Ids.Sha256Hex(ciphertext!) }, cancellationToken: ct)) > 0)
            {
                error = CircleEnvelope.Reused;
            }
        }
        if (error is not null)
        {
            read.Document.Dispose();
            return (null, error);
        }
        return (new Mutation(read.Document, ctx, ciphertext!), null);
    }

    /// <summary>A repeat answers the original; a create's 201 becomes 200 on repeat [doc].</summary>
    private static IdempotencyPolicy IdempotencyPolicy(TimeSpan retention)
    {
        var policy = CircleEnvelope.IdempotencyPolicy(retention);
        return new IdempotencyPolicy
        {
            Retention = policy.Retention,
            OnMismatch = policy.OnMismatch,
            InFlight = policy.InFlight,
            OnRepeat = r => r.Response.Status == 201 ? new StoredResponse(200, r.Response.Body) : r.Response,
        };
    }

    private static async Task<IResult> CreateWalletSetAsync(HttpContext http, Coordinator coordinator, Database db, CircleEntitySecrets secrets, IOptions<RescindOptions> options, IOptions<CircleOptions> circle, CancellationToken ct)
    {
        var (m, error) = await ReadMutationAsync(http, db, secrets, options.Value.MaxBodyBytes, circle.Value, ["name"], ct);
        if (m is null)
        {
            return error!.ToResult();
        }
        using var doc = m.Doc;
        var f = new JsonFields(doc.RootElement);
        var name = f.String("name", required: false, 255);
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        var mode = Mode(http);
        return (await coordinator.ExecuteAsync(m.Context, (uow, _) => CircleCommands.CreateWalletSetAsync(uow, mode, m.Ciphertext, name), CircleEnvelope.WalletSetCreated, ct)).ToResult();
    }

    private static async Task<IResult> CreateWalletsAsync(HttpContext http, Coordinator coordinator, Database db, CircleEntitySecrets secrets, IOptions<RescindOptions> options, IOptions<CircleOptions> circle, CancellationToken ct)
    {
        var (m, error) = await ReadMutationAsync(http, db, secrets, options.Value.MaxBodyBytes, circle.Value, ["walletSetId", "blockchains", "count", "accountType", "metadata"], ct);
        if (m is null)
        {
            return error!.ToResult();
        }
        using var doc = m.Doc;
        var root = doc.RootElement;
        var f = new JsonFields(root);
        var setId = f.String("walletSetId", required: true, 36, s => Guid.TryParseExact(s, "D", out _), "a UUID");
        var chains = f.StringArray("blockchains", required: true, 20, 24);
        var count = 1;
        if (f.Ok && CircleCommands.Optional(root, "count") is { } c && (c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out count) || count is < 1 or > 200))
        {
            f.Fail("count", "count must be an integer from 1 to 200.");
        }
        var accountType = f.String("accountType", required: false, 8, s => s is "EOA" or "SCA", "EOA or SCA");
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        if (chains!.Any(b => CircleRules.FindChain(b) is null))
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.BlockchainUnsupported).ToResult();
        }
        if (accountType == "SCA")
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.ScaUnsupported).ToResult();
        }
        var metadata = Metadata(root);
        if (metadata is { Error: { } bad })
        {
            return CircleEnvelope.Invalid(bad).ToResult();
        }
        if (metadata.Items is { } items && items.Count != count)
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.MetadataCountMismatch).ToResult();
        }
        if (count * chains!.Count > 200)
        {
            return CircleEnvelope.Bad("At most 200 wallets are created per request (count × blockchains).").ToResult();
        }
        foreach (var chain in chains)
        {
            if (Gate(http, chain) is { } refused)
            {
                return refused.ToResult();
            }
        }
        var mode = Mode(http);
        var input = new NewWallets(setId!, chains, count, metadata.Items);
        return (await coordinator.ExecuteAsync(m.Context, (uow, _) => CircleCommands.CreateWalletsAsync(uow, mode, m.Ciphertext, input), CircleEnvelope.WalletsCreated, ct)).ToResult();
    }

    /// <summary><c>metadata</c>: an array of <c>{name?, refId?}</c> [doc], one per wallet of each blockchain.</summary>
    private static (IReadOnlyList<WalletMetadata>? Items, FieldError? Error) Metadata(JsonElement root)
    {
        if (CircleCommands.Optional(root, "metadata") is not { } m)
        {
            return (null, null);
        }
        var error = new FieldError("metadata", "metadata must be an array of {name, refId} objects, strings of at most 255 characters.");
        if (m.ValueKind != JsonValueKind.Array)
        {
            return (null, error);
        }
        var items = new List<WalletMetadata>();
        foreach (var item in m.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, error);
            }
            var f = new JsonFields(item).Allow("name", "refId");
            var name = f.String("name", required: false, 255);
            var refId = f.String("refId", required: false, 255);
            if (!f.Ok)
            {
                return (null, error);
            }
            items.Add(new WalletMetadata(name, refId));
        }
        return (items, null);
    }

    private static async Task<IResult> TransferAsync(HttpContext http, Coordinator coordinator, Database db, CircleEntitySecrets secrets, IOptions<RescindOptions> options, IOptions<CircleOptions> circle, CancellationToken ct)
    {
        var (m, error) = await ReadMutationAsync(http, db, secrets, options.Value.MaxBodyBytes, circle.Value,
            ["walletId", "destinationAddress", "tokenId", "amounts", "feeLevel", "gasLimit", "gasPrice", "maxFee", "priorityFee", "refId", "blockchain", "tokenAddress", "walletAddress", "nftTokenIds"], ct);
        if (m is null)
        {
            return error!.ToResult();
        }
        using var doc = m.Doc;
        var root = doc.RootElement;
        var f = new JsonFields(root);
        var walletId = f.String("walletId", required: false, 36);
        var walletAddress = f.String("walletAddress", required: false, 200);
        var blockchain = f.String("blockchain", required: false, 24);
        var destination = f.String("destinationAddress", required: true, 200);
        var tokenId = f.String("tokenId", required: false, 36);
        var tokenAddress = CircleTransfers.TokenAddress(root, f);
        var feeLevel = f.String("feeLevel", required: false, 8, s => s is "LOW" or "MEDIUM" or "HIGH", "LOW, MEDIUM or HIGH");
        var gasLimit = Whole("gasLimit", 1, 10_000_000);
        var badFee = false;
        var maxFee = Gwei("maxFee");
        var priorityFee = Gwei("priorityFee");
        var refId = f.String("refId", required: false, 255);
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        if ((badFee ? CircleEnvelope.FeeInvalid : FeeError(feeLevel, gasLimit, root.TryGetProperty("gasPrice", out _), maxFee, priorityFee)) is { } feeError)
        {
            return CircleEnvelope.Coded(400, feeError).ToResult();
        }
        var resolved = await CircleTransfers.ResolveAsync(db, Principal(http).AccountId!, Mode(http),
            new(walletId, walletAddress, blockchain, tokenId, tokenAddress, destination!, root), ct);
        if (resolved.Error is { } invalid)
        {
            return invalid.ToResult();
        }
        // A gas limit under what the transfer burns cannot complete it; a fee over the cap is refused [doc: the codes].
        if (gasLimit < CircleRules.GasLimit(resolved.Token!))
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.GasLimitTooLow).ToResult();
        }
        if (gasLimit is { } limit && maxFee is { } max && CircleRules.Fee(limit, max) > CircleTransfers.MaxFeeGwei)
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.FeeAboveCap).ToResult();
        }
        if (Gate(http, resolved.Wallet!.Blockchain) is { } refused)
        {
            return refused.ToResult();
        }
        var input = new NewTransfer(resolved.Wallet.Id, destination!, resolved.Token!.Id, resolved.Amount!, feeLevel, gasLimit, maxFee, priorityFee, refId);
        var mode = Mode(http);
        return (await coordinator.ExecuteAsync(m.Context, (uow, _) => CircleCommands.TransferAsync(uow, mode, m.Ciphertext, input), CircleEnvelope.TransferCreated, ct)).ToResult();

        long? Whole(string name, long min, long max)
        {
            var s = f.String(name, required: false, 12);
            if (s is null)
            {
                return null;
            }
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            {
                f.Fail(name, $"{name} must be a whole number from {min} to {max}.");
                return null;
            }
            return v;
        }

        // Fee prices in gwei are kept whole, rounded up [ours]; one that is not a positive number of gwei is 155236 [doc code].
        long? Gwei(string name)
        {
            var s = f.String(name, required: false, 24);
            if (s is null)
            {
                return null;
            }
            if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) || v <= 0 || v > 1_000_000)
            {
                badFee = true;
                return null;
            }
            return (long)decimal.Ceiling(v);
        }
    }

    /// <summary>Circle's fee rules for a transfer on an EIP-1559 chain (every chain simulated here is one) [doc: the
    /// codes]: feeLevel, or gasLimit + maxFee + priorityFee, never both.</summary>
    private static int? FeeError(string? feeLevel, long? gasLimit, bool gasPrice, long? maxFee, long? priorityFee) =>
        feeLevel is not null && (gasLimit is not null || maxFee is not null || priorityFee is not null || gasPrice) ? CircleEnvelope.FeeBoth
        : feeLevel is null && gasLimit is null ? CircleEnvelope.FeeMissing
        : feeLevel is null && (gasPrice || maxFee is null || priorityFee is null) ? CircleEnvelope.Eip1559FeesNeeded
        : priorityFee > maxFee ? CircleEnvelope.PriorityAboveMax
        : null;

    private static async Task<IResult> ActAsync(string id, string command, HttpContext http, Coordinator coordinator, Database db, CircleEntitySecrets secrets, IOptions<RescindOptions> options, IOptions<CircleOptions> circle, CancellationToken ct)
    {
        var (m, error) = await ReadMutationAsync(http, db, secrets, options.Value.MaxBodyBytes, circle.Value, [], ct);
        if (m is null)
        {
            return error!.ToResult();
        }
        using var doc = m.Doc;
        if (!Guid.TryParseExact(id, "D", out _))
        {
            return CircleEnvelope.NotUuid.ToResult();
        }
        var mode = Mode(http);
        Func<Outcome<TransactionRow>, StoredResponse> render = command == CircleRules.Accelerate ? CircleEnvelope.Accelerated : CircleEnvelope.Canceled;
        return (await coordinator.ExecuteAsync(m.Context, (uow, _) => CircleCommands.ActAsync(uow, mode, m.Ciphertext, id, command), render, ct)).ToResult();
    }

    /// <summary>PUT a wallet's <c>name</c> and <c>refId</c> [doc]: a field given replaces, one left out stays [ours].</summary>
    private static async Task<IResult> UpdateWalletAsync(string id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var (f, error) = await UpdateBodyAsync(http, id, options.Value.MaxBodyBytes, ["name", "refId"], ct);
        if (f is null)
        {
            return error!.ToResult();
        }
        var name = f.String("name", required: false, 255);
        var refId = f.String("refId", required: false, 255);
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        var mode = Mode(http);
        return (await coordinator.ExecuteAsync(Context(http), (uow, _) => CircleCommands.UpdateWalletAsync(uow, mode, id, name, refId), CircleEnvelope.WalletUpdated, ct)).ToResult();
    }

    /// <summary>PUT a wallet set's <c>name</c> [doc: required].</summary>
    private static async Task<IResult> UpdateWalletSetAsync(string id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var (f, error) = await UpdateBodyAsync(http, id, options.Value.MaxBodyBytes, ["name"], ct);
        if (f is null)
        {
            return error!.ToResult();
        }
        var name = f.String("name", required: true, 255);
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        var mode = Mode(http);
        return (await coordinator.ExecuteAsync(Context(http), (uow, _) => CircleCommands.UpdateWalletSetAsync(uow, mode, id, name!), CircleEnvelope.WalletSetUpdated, ct)).ToResult();
    }

    /// <summary>An update's id (a UUID, else 156009) and its body's fields.</summary>
    private static async Task<(JsonFields? Fields, StoredResponse? Error)> UpdateBodyAsync(HttpContext http, string id, long maxBytes, string[] fields, CancellationToken ct)
    {
        if (!Guid.TryParseExact(id, "D", out _))
        {
            return (null, CircleEnvelope.NotUuid);
        }
        var read = await JsonBody.ReadAsync(http.Request, maxBytes, ct);
        if (read.Document is null)
        {
            return (null, read.Failure == SharedFailure.PayloadTooLarge ? CircleEnvelope.Fail(413, 413, read.Message!) : CircleEnvelope.Bad(read.Message!));
        }
        // The fields are read at once; the document's root is cloned so nothing outlives it.
        using var doc = read.Document;
        return (new JsonFields(doc.RootElement.Clone()).Allow(fields), null);
    }

    private static async Task<IResult> DripAsync(HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, options.Value.MaxBodyBytes, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return CircleEnvelope.Bad(read.Message!).ToResult();
        }
        var root = doc.RootElement;
        var f = new JsonFields(root).Allow("address", "blockchain", "usdc", "native", "eurc");
        var address = f.String("address", required: true, 80);
        var blockchain = f.String("blockchain", required: true, 24);
        var usdc = Flag("usdc");
        var native = Flag("native");
        if (!f.Ok)
        {
            return CircleEnvelope.Invalid(f.Error!).ToResult();
        }
        if (CircleRules.FindChain(blockchain) is null)
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.BlockchainUnsupported).ToResult();
        }
        if (Principal(http).IsLive)
        {
            return CircleEnvelope.Fail(403, CircleEnvelope.Forbidden, "The faucet is for test API keys and testnets only.").ToResult();
        }
        if (Gate(http, blockchain!) is { } refused)
        {
            return refused.ToResult();
        }
        // Neither flag asks for both [ours].
        var both = usdc is null && native is null;
        var (giveUsdc, giveNative) = (both || usdc == true, both || native == true);
        var answer = await coordinator.ExecuteAsync(Context(http), (uow, _) => CircleCommands.DripAsync(uow, blockchain!, address!, giveUsdc, giveNative), CircleEnvelope.Dripped, ct);
        return answer.Status == 204 ? Results.NoContent() : answer.ToResult();

        bool? Flag(string name)
        {
            if (CircleCommands.Optional(root, name) is not { } v)
            {
                return null;
            }
            if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                f.Fail(name, $"{name} must be true or false.");
                return null;
            }
            return v.GetBoolean();
        }
    }

    // ---- reads ----

    private sealed class EndpointRow
    {
        public string Secret { get; set; } = "";

        public long CreatedAt { get; set; }
    }

    /// <summary>The public key that verifies a subscription's notifications (the key id is the endpoint id).</summary>
    private static async Task<IResult> NotificationKeyAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        if (CircleWebhookShape.EndpointId(id) is not { } endpointId)
        {
            return CircleEnvelope.NotUuid.ToResult();
        }
        var row = await CircleStore.GetAsync<EndpointRow>(db,
            "SELECT secret, created_at FROM webhook_endpoints WHERE id = @endpointId AND account_id = @AccountId AND api = 'circle'",
            new { endpointId, Principal(http).AccountId }, ct);
        return row is null
            ? CircleEnvelope.Fail(404, CircleEnvelope.NotFound, "Cannot find the public key.").ToResult()
            : new StoredResponse(200, CircleJson.Data(new NotificationPublicKey(
                id, "ECDSA_SHA_256", CircleWebhookShape.PublicKeyBase64(row.Secret), CircleJson.Date(row.CreatedAt)))).ToResult();
    }

    private static async Task<IResult> GetWalletSetAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        if (!Guid.TryParseExact(id, "D", out _))
        {
            return CircleEnvelope.NotUuid.ToResult();
        }
        var row = await CircleStore.GetAsync<WalletSetRow>(db,
            $"SELECT {CircleStore.WalletSetColumns} FROM circle_wallet_sets WHERE id = @id AND account_id = @AccountId AND mode = @mode",
            new { id, Principal(http).AccountId, mode = Mode(http) }, ct);
        return row is null ? CircleEnvelope.WalletSetMissing.ToResult() : new StoredResponse(200, CircleJson.Data(new WalletSetData(CircleJson.WalletSet(row)))).ToResult();
    }

    private static async Task<IResult> GetWalletAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        if (!Guid.TryParseExact(id, "D", out _))
        {
            return CircleEnvelope.NotUuid.ToResult();
        }
        var row = await CircleStore.GetWalletAsync(db, Principal(http).AccountId!, Mode(http), id, ct);
        return row is null ? CircleEnvelope.WalletMissing.ToResult() : new StoredResponse(200, CircleJson.Data(new WalletData(CircleJson.Wallet(row)))).ToResult();
    }

    private sealed class BalanceRow
    {
        public string TokenId { get; set; } = "";

        public long Amount { get; set; }

        public long UpdatedAt { get; set; }
    }

    /// <summary>
    /// A wallet's balances [doc: the filters <c>includeAll</c>, <c>name</c>, <c>tokenAddress</c> (comma-separated, as
    /// the SDK joins its <c>tokenAddresses</c>), <c>standard</c>, and paging]. Without <c>includeAll=true</c> only
    /// non-zero balances are listed [ours]; <c>name</c> matches the token's name exactly [ours]; the native token has
    /// no address nor standard, so either filter leaves it out. Paged in the chain's token order.
    /// </summary>
    private static async Task<IResult> BalancesAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        var (wallet, filter, error) = await TokenListAsync(id, http, db, ct);
        if (error is not null)
        {
            return error.ToResult();
        }
        var rows = await CircleStore.ListAsync<BalanceRow>(db,
            "SELECT token_id, amount, updated_at FROM circle_balances WHERE wallet_id = @id", new { id }, ct);
        var balances = CircleRules.Tokens.Where(t => t.Blockchain == wallet!.Blockchain && filter!.Matches(t))
            .Select(t => (Token: t, Row: rows.FirstOrDefault(r => r.TokenId == t.Id)))
            .Where(x => filter!.IncludeAll || x.Row is { Amount: > 0 })
            .ToList();
        var (page, refused) = CirclePaging.InMemory(http, balances, x => x.Token.Id);
        return (refused ?? new StoredResponse(200, CircleJson.Data(new TokenBalancesData([.. page!.Select(x =>
            CircleJson.Balance(x.Token, x.Row?.Amount ?? 0, x.Row?.UpdatedAt ?? wallet!.CreatedAt))])))).ToResult();
    }

    /// <summary>A wallet's NFTs [doc]: the same filters and paging as its balances; no simulated token is an NFT, so
    /// the list is empty [ours].</summary>
    private static async Task<IResult> NftsAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        var (_, _, error) = await TokenListAsync(id, http, db, ct);
        if (error is not null)
        {
            return error.ToResult();
        }
        var (page, refused) = CirclePaging.InMemory(http, Array.Empty<Nft>(), n => n.NftTokenId ?? "");
        return (refused ?? new StoredResponse(200, CircleJson.Data(new NftsData(page!)))).ToResult();
    }

    /// <summary>Which tokens a balances or NFTs query asks for.</summary>
    private sealed record TokenFilter(bool IncludeAll, string? Name, IReadOnlyList<string>? Addresses, string? Standard)
    {
        public bool Matches(TokenInfo t) =>
            (Name is null || t.Name == Name)
            && (Addresses is null || (t.Address is { } a && Addresses.Contains(a, StringComparer.OrdinalIgnoreCase)))
            && (Standard is null || CircleJson.Token(t).Standard == Standard);
    }

    private static readonly string[] TokenStandards =
        ["ERC20", "ERC721", "ERC1155", "Fungible", "FungibleAsset", "NonFungible", "NonFungibleEdition", "ProgrammableNonFungible", "ProgrammableNonFungibleEdition"];

    /// <summary>The wallet of a balances or NFTs query and its filters, or the refusal.</summary>
    private static async Task<(WalletRow? Wallet, TokenFilter? Filter, StoredResponse? Error)> TokenListAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        if (!Guid.TryParseExact(id, "D", out _))
        {
            return (null, null, CircleEnvelope.NotUuid);
        }
        var q = http.Request.Query;
        if (StrictQuery.Stray(q, ["includeAll", "name", "tokenAddress", "standard", "pageSize", "pageAfter", "pageBefore"]) is { } stray)
        {
            return (null, null, CircleEnvelope.Bad(stray));
        }
        var includeAll = StrictQuery.Value(q, "includeAll");
        if (includeAll is not (null or "true" or "false"))
        {
            return (null, null, CircleEnvelope.Bad("includeAll must be true or false."));
        }
        var standard = StrictQuery.Value(q, "standard");
        if (standard is not null && !TokenStandards.Contains(standard))
        {
            return (null, null, CircleEnvelope.Bad($"standard must be one of {string.Join(", ", TokenStandards)}."));
        }
        var addresses = StrictQuery.Value(q, "tokenAddress")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var wallet = await CircleStore.GetWalletAsync(db, Principal(http).AccountId!, Mode(http), id, ct);
        return wallet is null ? (null, null, CircleEnvelope.WalletMissing)
            : (wallet, new TokenFilter(includeAll == "true", StrictQuery.Value(q, "name"), addresses, standard), null);
    }

    private static async Task<IResult> GetTransactionAsync(string id, HttpContext http, Database db, CancellationToken ct)
    {
        if (!Guid.TryParseExact(id, "D", out _))
        {
            return CircleEnvelope.NotUuid.ToResult();
        }
        var row = await CircleStore.GetTransactionAsync(db, Principal(http).AccountId, Mode(http), id, ct);
        return row is null ? CircleEnvelope.TransactionMissing.ToResult() : new StoredResponse(200, CircleJson.Data(new TransactionData(CircleJson.Transaction(row)))).ToResult();
    }

    private static Task<IResult> ListWalletSetsAsync(HttpContext http, Database db, CancellationToken ct) =>
        CirclePaging.ListAsync<WalletSetRow>(http, db, "circle_wallet_sets", CircleStore.WalletSetColumns, Principal(http).AccountId!, Mode(http),
            ["from", "to"], (_, _) => null, "walletSets", CircleJson.WalletSet, ct);

    private static Task<IResult> ListWalletsAsync(HttpContext http, Database db, CancellationToken ct) =>
        CirclePaging.ListAsync<WalletRow>(http, db, "circle_wallets", CircleStore.WalletColumns, Principal(http).AccountId!, Mode(http),
            ["from", "to", "address", "blockchain", "walletSetId", "refId"], (name, value) => name switch
            {
                "address" => ("address = @address", value),
                "blockchain" => ("blockchain = @blockchain", value),
                "walletSetId" => ("wallet_set_id = @walletSetId", value),
                "refId" => ("ref_id = @refId", value),
                _ => null,
            }, "wallets", CircleJson.Wallet, ct);

    private static Task<IResult> ListTransactionsAsync(HttpContext http, Database db, CancellationToken ct) =>
        CirclePaging.ListAsync<TransactionRow>(http, db, "circle_transactions", CircleStore.TransactionColumns, Principal(http).AccountId!, Mode(http),
            ["from", "to", "blockchain", "state", "walletIds", "txType", "destinationAddress", "txHash", "operation", "custodyType", "includeAll"],
            (name, value) => name switch
            {
                "blockchain" => ("blockchain = @blockchain", value),
                // SENT also shows a transaction whose cancel replacement is racing it.
                "state" => !CircleRules.PublicStates.Contains(value) ? null
                    : value == CircleRules.Sent ? ("state IN ('SENT', 'CANCEL_PENDING')", value) : ("state = @state", value),
                "walletIds" => (db.AnyOf("wallet_id", "walletIds"), value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
                "txType" => value switch { "OUTBOUND" => ("1 = 1", value), "INBOUND" => ("1 = 0", value), _ => null },
                "destinationAddress" => ("destination_address = @destinationAddress", value),
                "txHash" => ("tx_hash = @txHash", value),
                "operation" => value switch { "TRANSFER" => ("1 = 1", value), "CONTRACT_EXECUTION" or "CONTRACT_DEPLOYMENT" => ("1 = 0", value), _ => null },
                "custodyType" => value switch { "DEVELOPER" => ("1 = 1", value), "ENDUSER" => ("1 = 0", value), _ => null },
                "includeAll" => value is "true" or "false" ? ("1 = 1", value) : null,
                _ => null,
            }, "transactions", CircleJson.Transaction, ct);
}
