using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Server.Http;
using Rescind.Server.Operator;

namespace Rescind.Server.Circle;

/// <summary>
/// The outside world of Circle, for the operator: the console's entity secret registration and the chains.
/// <code>
/// POST /operator/circle/accounts/{id}/entity-secret       {entitySecret: 64 hex}       register the entity secret
/// POST /operator/circle/chains/{blockchain}/blocks        {accountId, count?}          mine blocks now
/// POST /operator/circle/chains/{blockchain}/base-fee      {accountId, baseFee}         set the base fee (gwei)
/// POST /operator/circle/screening                         {accountId, address}         screening denies this destination
/// POST /operator/circle/transactions/{id}/mine            mine the original now (it wins a race with its replacement)
/// POST /operator/circle/transactions/{id}/fail            {errorReason?}               fail it
/// </code>
/// </summary>
public static class CircleSimulation
{
    public static RouteGroupBuilder MapCircleSimulation(this RouteGroupBuilder group)
    {
        // Rescind's problem details for the operator's own checks (401 is the operator group's); the forced
        // transaction answers like Circle.
        group.MapPost("/accounts/{id}/entity-secret", RegisterAsync)
            .Accepts<RegisterEntitySecretRequest>("application/json")
            .Produces<EntitySecretRegistered>(200).ProducesProblems(400, 404);
        group.MapPost("/chains/{blockchain}/blocks", BlocksAsync)
            .Accepts<MineBlocksRequest>("application/json")
            .Produces<BlocksMined>(200).ProducesProblems(400);
        group.MapPost("/chains/{blockchain}/base-fee", BaseFeeAsync)
            .Accepts<SetBaseFeeRequest>("application/json")
            .Produces<BaseFeeSet>(200).ProducesProblems(400);
        group.MapPost("/screening", ScreenAsync)
            .Accepts<ScreenAddressRequest>("application/json")
            .Produces<AddressScreened>(200).ProducesProblems(400);
        group.MapPost("/transactions/{id}/{action}", ForceAsync)
            .Accepts<ForceTransactionRequest>("application/json")
            .Produces<CircleData<TransactionData>>(200).CircleErrors(400, 404);
        return group;
    }

    private static async Task<JsonElement?> BodyAsync(HttpContext http, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, 16 * 1024, ct);
        return read.Document?.RootElement.Clone();
    }

    private static string? Str(JsonElement? body, string name) =>
        body is { } b && b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Num(JsonElement? body, string name) =>
        body is { } b && b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static async Task<IResult> RegisterAsync(string id, HttpContext http, CircleEntitySecrets secrets, Rescind.Core.Accounts.AccountStore accounts, CancellationToken ct)
    {
        var body = await BodyAsync(http, ct);
        if (await accounts.FindAccountAsync(id, ct) is null)
        {
            return OperatorApi.Problem(404, "not_found", "No such account.");
        }
        var secret = Str(body, "entitySecret");
        return secret is not null && await secrets.RegisterAsync(id, secret, OperatorApi.Actor(http), ct)
            ? Results.Ok(new EntitySecretRegistered(id, true))
            : OperatorApi.Problem(400, "invalid_entity_secret", "entitySecret must be 64 hexadecimal characters (32 bytes).");
    }

    private static async Task<IResult> BlocksAsync(string blockchain, HttpContext http, Coordinator coordinator, CancellationToken ct)
    {
        var body = await BodyAsync(http, ct);
        var accountId = Str(body, "accountId");
        var count = Num(body, "count") ?? 1;
        if (CircleRules.FindChain(blockchain) is null || accountId is null || count is < 1 or > 1000)
        {
            return OperatorApi.Problem(400, "invalid_request", "A known blockchain, accountId and count from 1 to 1000 are required.");
        }
        long height = 0;
        for (var i = 0; i < count; i++)
        {
            var ctx = new OperationContext(accountId, CircleStore.Api, OperatorApi.Actor(http), RequestIds.Of(http));
            if (await coordinator.RunAsync(ctx, (uow, _) => CircleCommands.MineBlockAsync(uow, blockchain), ct) is Outcome<long>.Done { Value: var h })
            {
                height = h;
            }
        }
        return Results.Ok(new BlocksMined(blockchain, accountId, height));
    }

    private static async Task<IResult> BaseFeeAsync(string blockchain, HttpContext http, Coordinator coordinator, CancellationToken ct)
    {
        var body = await BodyAsync(http, ct);
        var accountId = Str(body, "accountId");
        var fee = Num(body, "baseFee");
        if (CircleRules.FindChain(blockchain) is null || accountId is null || fee is not (>= 1 and <= 1_000_000))
        {
            return OperatorApi.Problem(400, "invalid_request", "A known blockchain, accountId and baseFee (gwei, 1 to 1000000) are required.");
        }
        var ctx = new OperationContext(accountId, CircleStore.Api, OperatorApi.Actor(http), RequestIds.Of(http));
        await coordinator.RunAsync(ctx, (uow, _) => CircleCommands.SetBaseFeeAsync(uow, blockchain, fee.Value), ct);
        return Results.Ok(new BaseFeeSet(blockchain, accountId, fee.Value));
    }

    private static async Task<IResult> ScreenAsync(HttpContext http, Coordinator coordinator, CancellationToken ct)
    {
        var body = await BodyAsync(http, ct);
        var accountId = Str(body, "accountId");
        var address = Str(body, "address");
        if (accountId is null || address is null)
        {
            return OperatorApi.Problem(400, "invalid_request", "accountId and address are required.");
        }
        var ctx = new OperationContext(accountId, CircleStore.Api, OperatorApi.Actor(http), RequestIds.Of(http));
        await coordinator.RunAsync(ctx, (uow, _) => CircleCommands.ScreenAsync(uow, address), ct);
        return Results.Ok(new AddressScreened(accountId, address, true));
    }

    private static async Task<IResult> ForceAsync(string id, string action, HttpContext http, Coordinator coordinator, CancellationToken ct)
    {
        var body = await BodyAsync(http, ct);
        var tx = await CircleStore.GetTransactionAsync(coordinator.Db, null, null, id, ct);
        if (tx is null || action is not ("mine" or "fail"))
        {
            return CircleEnvelope.TransactionMissing.ToResult();
        }
        var ctx = new OperationContext(tx.AccountId, CircleStore.Api, OperatorApi.Actor(http), RequestIds.Of(http));
        var outcome = await coordinator.RunAsync(ctx, (uow, _) => CircleCommands.ForceAsync(uow, id, action, Str(body, "errorReason")), ct);
        return CircleEnvelope.Forced(outcome).ToResult();
    }
}

// The simulation's bodies (the operator API's JSON: camelCase, nulls written).

/// <summary>64 hexadecimal characters (32 bytes) [doc].</summary>
public sealed record RegisterEntitySecretRequest(string EntitySecret);

public sealed record EntitySecretRegistered(string AccountId, bool Registered);

/// <summary>Blocks to mine now on the account's chain: 1 to 1000 (default 1).</summary>
public sealed record MineBlocksRequest(string AccountId, long? Count);

public sealed record BlocksMined(string Blockchain, string AccountId, long Height);

/// <summary>The base fee in gwei, 1 to 1000000.</summary>
public sealed record SetBaseFeeRequest(string AccountId, long BaseFee);

public sealed record BaseFeeSet(string Blockchain, string AccountId, long BaseFee);

public sealed record ScreenAddressRequest(string AccountId, string Address);

public sealed record AddressScreened(string AccountId, string Address, bool Screened);

/// <summary>For <c>fail</c>: Circle's errorReason (default FAILED_ON_CHAIN); the body is optional.</summary>
public sealed record ForceTransactionRequest(string? ErrorReason);
