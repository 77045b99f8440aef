using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
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
        group.MapPost("/orders/{id}/{action}", ActOverHttpAsync)
            .Accepts<DigiCertEventBody>(isOptional: true, "application/json")
            .Produces<OrderObject>(200)
            .WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(404));
        return group;
    }

    /// <summary>Performs one event on an order of any account as the operator; used by the HTTP route and the CLI.</summary>
    public static async Task<Outcome<DigiCertCommands.OrderView>> ActAsync(Coordinator coordinator, Database db, Actor actor, string id, string action, string? httpRequestId, CancellationToken ct)
    {
        var order = DigiCertApi.TryId(id, out var orderId) ? await DigiCertStore.GetOrderAsync(db, null, orderId, ct) : null;
        if (order is null)
        {
            return Outcome<DigiCertCommands.OrderView>.Missing(id);
        }
        var ctx = new OperationContext(order.AccountId, DigiCertStore.Api, actor, httpRequestId);
        return await coordinator.RunAsync(ctx, (uow, _) => DigiCertCommands.ActAsync(uow, orderId, action), ct);
    }

    /// <summary><c>rescind simulate digicert &lt;action&gt; --order ID</c>: the same events (the verb checks the action).</summary>
    public static async Task<Simulated> RunFromCliAsync(string action, Cli.CliArgs a, IServiceProvider services)
    {
        var outcome = await ActAsync(services.GetRequiredService<Coordinator>(), services.GetRequiredService<Database>(),
            Actor.Operator(null), a.Require("order"), action, null, CancellationToken.None);
        return Simulated.Of(outcome, o => DigiCertEnvelope.Order(o).Body);
    }

    private static async Task<IResult> ActOverHttpAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        if (!Actions.Contains(action))
        {
            return DigiCertApi.Answer(DigiCertEnvelope.Fail(404, "not_found|route",
                $"Unknown action '{(action.Length > 40 ? action[..40] : action)}'; use validate, generate or expire."));
        }
        var outcome = await ActAsync(coordinator, db, OperatorApi.Actor(http), id, action, RequestIds.Of(http), ct);
        return DigiCertApi.Answer(DigiCertEnvelope.Order(outcome));
    }
}
