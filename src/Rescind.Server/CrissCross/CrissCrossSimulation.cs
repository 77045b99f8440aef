using Microsoft.Extensions.Options;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
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
        group.MapPost("/transactions/{id}/{action}", ActOverHttpAsync);
        return group;
    }

    /// <summary>Performs one provider event as the operator; used by the HTTP route and the CLI.</summary>
    public static async Task<StoredResponse> ActAsync(Coordinator coordinator, Database db, Actor actor, string? transactionId, string action,
        string? requestId, CrissCrossOptions options, CancellationToken ct)
    {
        if (!Actions.Contains(action))
        {
            return CrissCrossEnvelope.Fail(404, "NOT_FOUND", $"Unknown provider action '{action}'; use {string.Join(", ", Actions)}.");
        }
        var row = CrissCrossApi.IsUuid(transactionId) ? await CrissCrossStore.GetTransactionAsync(db, null, transactionId!, ct) : null;
        if (row is null)
        {
            return CrissCrossEnvelope.NoTransaction(transactionId ?? "");
        }
        // Audited under the merchant's account, with the operator as the actor.
        var ctx = new OperationContext(row.AccountId, CrissCrossStore.Api, actor, requestId);
        return await CrissCrossCommands.ProviderEventAsync(coordinator, ctx, null, row.Id, action, options, ct);
    }

    private static async Task<IResult> ActOverHttpAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db,
        IOptions<CrissCrossOptions> options, CancellationToken ct) =>
        (await ActAsync(coordinator, db, OperatorApi.Actor(http), id, action, RequestIds.Of(http), options.Value, ct)).ToResult();
}
