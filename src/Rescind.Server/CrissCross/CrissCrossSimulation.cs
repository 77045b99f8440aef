using Microsoft.Extensions.Options;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;
using Rescind.Server.Operator;

namespace Rescind.Server.CrissCross;

/// <summary>
/// The payment providers' side of CrissCross, for the operator.
/// <code>
/// GET  /operator/crisscross/providers                              the provider registry
/// POST /operator/crisscross/transactions/{id}/{action}             process | complete | fail | error | expire | settle
/// POST /operator/crisscross/refunds/{id}/{action}                  succeed | fail (a pending refund)
/// </code>
/// Answers are Collect's payment status object or Collect's envelope, as the provider's event would produce them.
/// </summary>
public static class CrissCrossSimulation
{
    public static readonly string[] Actions =
        [CrissCrossRules.Process, CrissCrossRules.Complete, CrissCrossRules.Fail, CrissCrossRules.Error, CrissCrossRules.Expire, CrissCrossRules.Settle];

    public static RouteGroupBuilder MapCrissCrossSimulation(this RouteGroupBuilder group)
    {
        // The operator's authentication answers 401 in problem details (declared on the operator group).
        group.MapGet("/providers", () => TypedResults.Ok(new ProviderList(
            [.. CrissCrossRules.Providers.Select(p => new ProviderInfo(p.Name, p.SupportsInFlightCancel, p.PromptTimeout is { } t ? (long?)t.TotalSeconds : null))])));
        group.MapPost("/transactions/{id}/{action}", ActOverHttpAsync)
            .AcceptsNoFields()
            .Produces<PaymentStatus>(200)
            .Produces<CrissCrossEnvelope.ErrorBody>(404)
            .Produces<CrissCrossEnvelope.ErrorBody>(409);
        group.MapPost("/refunds/{id}/{action}", SettleRefundOverHttpAsync)
            .AcceptsNoFields()
            .Produces<RefundRecord>(200)
            .Produces<CrissCrossEnvelope.ErrorBody>(404)
            .Produces<CrissCrossEnvelope.ErrorBody>(409);
        return group;
    }

    /// <summary>Performs one provider event as the operator; used by the HTTP route and the CLI.</summary>
    public static async Task<Outcome<TransactionRow>> ActAsync(Coordinator coordinator, Database db, Actor actor, string? transactionId, string action,
        string? requestId, CrissCrossOptions options, CancellationToken ct)
    {
        var row = CrissCrossApi.IsUuid(transactionId) ? await CrissCrossStore.GetTransactionAsync(db, null, transactionId!, ct) : null;
        if (row is null)
        {
            return Outcome<TransactionRow>.Missing(transactionId ?? "");
        }
        // Audited under the merchant's account, with the operator as the actor.
        var ctx = new OperationContext(row.AccountId, CrissCrossStore.Api, actor, requestId);
        return await coordinator.RunAsync(ctx, (uow, _) => CrissCrossCommands.ProviderEventAsync(uow, row.Id, action, options), ct);
    }

    /// <summary><c>rescind simulate crisscross &lt;action&gt; --transaction ID</c> (the CLI has checked the action).</summary>
    public static async Task<Simulated> RunFromCliAsync(string action, Cli.CliArgs a, IServiceProvider services)
    {
        var outcome = await ActAsync(services.GetRequiredService<Coordinator>(), services.GetRequiredService<Database>(), Actor.Operator(null),
            a.Require("transaction"), action, null, services.GetRequiredService<IOptions<CrissCrossOptions>>().Value, CancellationToken.None);
        return Simulated.Of(outcome, o => CrissCrossEnvelope.Payment(o).Body);
    }

    public static readonly string[] RefundActions = ["succeed", "fail"];

    private static async Task<IResult> SettleRefundOverHttpAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        if (!RefundActions.Contains(action))
        {
            return CrissCrossEnvelope.Fail(404, "NOT_FOUND", $"Unknown refund action '{action}'; use {string.Join(", ", RefundActions)}.").ToResult();
        }
        var account = CrissCrossApi.IsUuid(id) ? await CrissCrossStore.RefundAccountAsync(db, id, ct) : null;
        if (account is null)
        {
            return CrissCrossEnvelope.RefundSettled(Outcome<RefundRow>.Missing(id)).ToResult();
        }
        var ctx = new OperationContext(account, CrissCrossStore.Api, OperatorApi.Actor(http), RequestIds.Of(http));
        var outcome = await coordinator.RunAsync(ctx, (uow, _) => CrissCrossCommands.SettleRefundAsync(uow, id, action == "succeed"), ct);
        return CrissCrossEnvelope.RefundSettled(outcome).ToResult();
    }

    private static async Task<IResult> ActOverHttpAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db,
        IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        if (!Actions.Contains(action))
        {
            return CrissCrossEnvelope.Fail(404, "NOT_FOUND", $"Unknown provider action '{action}'; use {string.Join(", ", Actions)}.").ToResult();
        }
        var outcome = await ActAsync(coordinator, db, OperatorApi.Actor(http), id, action, RequestIds.Of(http), options.Value, ct);
        return CrissCrossEnvelope.Payment(outcome).ToResult();
    }
}
