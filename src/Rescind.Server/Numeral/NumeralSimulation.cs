using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;
using Rescind.Server.Operator;

namespace Rescind.Server.Numeral;

/// <summary>
/// The customer's side of Numeral, for the operator: the customer starts a submission, the submission is accepted
/// (fulfilled, with a certificate) or rejected (failed, shown as invalid); the customer's outstanding queue.
/// <code>
/// POST /operator/numeral/certificate-requests/{id}/submit    pending → processing
/// POST /operator/numeral/certificate-requests/{id}/accept    processing → fulfilled
/// POST /operator/numeral/certificate-requests/{id}/reject    processing → failed
/// GET  /operator/numeral/customers/{id}/outstanding          requests waiting for the customer
/// </code>
/// Answers are Numeral's object or Numeral's envelope, as the customer's action would produce them.
/// </summary>
public static class NumeralSimulation
{
    public static readonly string[] Actions = [NumeralRules.Submit, NumeralRules.Accept, NumeralRules.Reject];

    public static RouteGroupBuilder MapNumeralSimulation(this RouteGroupBuilder group)
    {
        group.MapPost("/certificate-requests/{id}/{action}", ActOverHttpAsync).AcceptsNoFields()
            .Produces<CertificateRequestObject>(200).ProducesErrors(typeof(NumeralErrorBody), 404, 409);
        group.MapGet("/customers/{id}/outstanding", OutstandingAsync).Produces<OutstandingList>(200);
        return group;
    }

    /// <summary>Performs one customer action as the operator; used by the HTTP route and the CLI.</summary>
    public static async Task<Outcome<NumeralCommands.RequestAt>> ActAsync(Coordinator coordinator, Database db, Actor actor, string? requestId, string action, string? httpRequestId, CancellationToken ct)
    {
        var row = Ids.HasUuidSuffix(requestId, "cert_req_") ? await NumeralStore.GetRequestAsync(db, null, requestId!, ct) : null;
        if (row is null)
        {
            return Outcome<NumeralCommands.RequestAt>.Missing(requestId ?? "");
        }
        var ctx = new OperationContext(row.AccountId, NumeralStore.Api, actor, httpRequestId);
        return await coordinator.RunAsync(ctx, (uow, _) => NumeralCommands.RunAsync(uow, row.Id, action), ct);
    }

    /// <summary><c>rescind simulate numeral &lt;action&gt;</c>: the same actions, and the customer's outstanding queue.</summary>
    public static async Task<Simulated> RunFromCliAsync(string action, Cli.CliArgs a, IServiceProvider services)
    {
        var db = services.GetRequiredService<Database>();
        if (action == "outstanding")
        {
            var now = Time.ToUnixMs(services.GetRequiredService<TimeProvider>().GetUtcNow());
            var rows = await NumeralStore.OutstandingAsync(db, a.Require("customer"), now, CancellationToken.None);
            return new Simulated(true, NumeralJson.Serialize(rows.Select(r => NumeralJson.Request(r, now))));
        }
        var outcome = await ActAsync(services.GetRequiredService<Coordinator>(), db, Actor.Operator(null), a.Require("request"), action, null, CancellationToken.None);
        return Simulated.Of(outcome, o => NumeralEnvelope.Request(o).Body);
    }

    private static async Task<IResult> ActOverHttpAsync(string id, string action, HttpContext http, Coordinator coordinator, Database db, CancellationToken ct)
    {
        if (!Actions.Contains(action))
        {
            return NumeralEnvelope.Fail(404, "NOT_FOUND", $"Unknown action '{action}'; use submit, accept or reject.").ToResult();
        }
        var outcome = await ActAsync(coordinator, db, OperatorApi.Actor(http), id, action, RequestIds.Of(http), ct);
        return NumeralEnvelope.Request(outcome).ToResult();
    }

    private static async Task<IResult> OutstandingAsync(string id, Database db, TimeProvider clock, CancellationToken ct)
    {
        var now = Time.ToUnixMs(clock.GetUtcNow());
        var rows = await NumeralStore.OutstandingAsync(db, id, now, ct);
        return new StoredResponse(200, NumeralJson.Serialize(new OutstandingList(id, [.. rows.Select(r => NumeralJson.Request(r, now))]))).ToResult();
    }
}
