using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Http;
using Rescind.Server.Operator;

namespace Rescind.Server.DigiCert;

/// <summary>
/// The outside world of a DigiCert order, for the operator:
/// <code>
/// POST /operator/digicert/orders/{id}/validate   the CA validates (TLS) or the recipient validates their email
///                                                (client certificate with CSR): pending → issued; completes a reissue
/// POST /operator/digicert/orders/{id}/generate   the recipient generates the certificate from the emailed link:
///                                                waiting_pickup → issued; completes a client certificate reissue
/// POST /operator/digicert/orders/{id}/expire     the certificate reaches its end of validity now: issued → expired
/// </code>
/// Answers are DigiCert's order object or DigiCert's envelope, as the event would produce them. Expiry also
/// happens on the clock (<see cref="DigiCertExpiryJob"/>).
/// </summary>
public static class DigiCertSimulation
{
    public static readonly string[] Actions = [DigiCertRules.Validate, DigiCertRules.Generate, DigiCertRules.Expire];

    public static RouteGroupBuilder MapDigiCertSimulation(this RouteGroupBuilder group)
    {
        group.MapPost("/orders/{id}/{action}", ActOverHttpAsync);
        return group;
    }

    public static async Task<StoredResponse> ActAsync(Coordinator coordinator, Database db, Actor actor, string id, string action, string? httpRequestId, CancellationToken ct)
    {
        if (!Actions.Contains(action))
        {
            return DigiCertEnvelope.Fail(404, "not_found|route", $"Unknown action '{(action.Length > 40 ? action[..40] : action)}'; use validate, generate or expire.");
        }
        var order = DigiCertApi.TryId(id, out var orderId) ? await DigiCertStore.GetOrderAsync(db, null, orderId, ct) : null;
        if (order is null)
        {
            return DigiCertEnvelope.NotFound(id);
        }
        var ctx = new OperationContext(order.AccountId, DigiCertStore.Api, actor, httpRequestId);
        return await DigiCertCommands.ActAsync(coordinator, ctx, orderId, action, ct);
    }

    private static async Task<IResult> ActOverHttpAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct) =>
        DigiCertApi.Answer(await ActAsync(coordinator, db, OperatorApi.Actor(http), id, action, RequestIds.Of(http), ct));
}
