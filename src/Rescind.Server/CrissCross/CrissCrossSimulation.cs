using Microsoft.Extensions.Options;
using Rescind.Core.Coordination;
using Rescind.Server.Http;
using Rescind.Server.Operator;

namespace Rescind.Server.CrissCross;

/// <summary>
/// The payment providers' side of CrissCross, for the operator.
/// <code>
/// GET  /operator/crisscross/providers                              the provider registry
/// POST /operator/crisscross/transactions/{id}/{action}             process | complete | fail | error | expire | settle
/// </code>
/// Answers are Collect's payment status object or Collect's envelope, as the provider's event would produce them.
/// </summary>
public static class CrissCrossSimulation
{
    public static readonly string[] Actions =
        [CrissCrossRules.Process, CrissCrossRules.Complete, CrissCrossRules.Fail, CrissCrossRules.Error, CrissCrossRules.Expire, CrissCrossRules.Settle];

    public static RouteGroupBuilder MapCrissCrossSimulation(this RouteGroupBuilder group)
    {
        group.MapGet("/providers", () => Results.Ok(new
        {
            providers = CrissCrossRules.Providers.Select(p => new
            {
                name = p.Name,
                supportsInFlightCancel = p.SupportsInFlightCancel,
                promptTimeoutSeconds = p.PromptTimeout is { } t ? (long?)t.TotalSeconds : null,
            }),
        }));
        group.MapPost("/transactions/{id}/{action}", ActAsync);
        return group;
    }

    private static async Task<IResult> ActAsync(string id, string action, HttpContext http, Coordinator coordinator, Rescind.Core.Storage.Database db, IOptions<CrissCrossOptions> options, CancellationToken ct)
    {
        if (!Actions.Contains(action))
        {
            return CrissCrossEnvelope.Fail(404, "NOT_FOUND", $"Unknown provider action '{action}'; use {string.Join(", ", Actions)}.").ToResult();
        }
        var row = CrissCrossApi.IsUuid(id) ? await CrissCrossStore.GetTransactionAsync(db, null, id, ct) : null;
        if (row is null)
        {
            return CrissCrossEnvelope.NoTransaction(id).ToResult();
        }
        // Audited under the merchant's account, with the operator as the actor.
        var ctx = new OperationContext(row.AccountId, CrissCrossStore.Api, OperatorApi.Actor(http), RequestIds.Of(http));
        return (await CrissCrossCommands.ProviderEventAsync(coordinator, ctx, null, id, action, options.Value, ct)).ToResult();
    }
}
