using System.Text.Json;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cli;

namespace Rescind.Server.GoCardless;

/// <summary>GoCardless's demo (sandbox token): a pending mandate request with an open payer flow (cancellable: the
/// flow expires with it), a cancelled one, and a fulfilled one (refused, cancellation_failed, as the repeat cancel
/// is [doc: GoCardless answers 422 to both]). GoCardless has no deferred cancel.</summary>
public static class GoCardlessDemo
{
    public static async Task<DemoApi> SeedAsync(DemoSeed seed)
    {
        const string Mode = GoCardlessStore.Sandbox;
        var api = GoCardlessStore.ApiFor(Mode);
        var caller = new Caller(seed.AccountId, Mode, "api");
        Task<T> Run<T>(Func<UnitOfWork, Task<Outcome<T>>> work) => seed.RunAsync(GoCardlessStore.Api, Mode, work, api);
        async Task<string> RequestAsync(string description)
        {
            using var body = JsonDocument.Parse($$$"""{"mandate_request":{"currency":"GBP","scheme":"bacs"},"metadata":{"demo":"{{{description}}}"}}""");
            var (input, error) = GoCardlessInput.BillingRequest(body.RootElement);
            if (input is null)
            {
                throw new InvalidOperationException($"demo data: {error}");
            }
            return (await Run(uow => GoCardlessCommands.CreateBillingRequestAsync(uow, caller, input))).Id;
        }

        var pending = await RequestAsync("pending");
        using (var flowBody = JsonDocument.Parse($$$"""{"links":{"billing_request":"{{{pending}}}"}}"""))
        {
            var flowInput = GoCardlessInput.Flow(flowBody.RootElement).Input!;
            await Run(uow => GoCardlessCommands.CreateFlowAsync(uow, caller, flowInput, seed.Url));
        }
        var cancelled = await RequestAsync("cancelled");
        await Run(uow => GoCardlessCommands.CancelAsync(uow, seed.AccountId, cancelled));
        var fulfilled = await RequestAsync("fulfilled");
        var coordinator = seed.Get<Coordinator>();
        var db = seed.Get<Database>();
        foreach (var action in GoCardlessFlowPage.PayerActions)
        {
            // The payer completes what the request asks for; an action it does not ask for is refused, harmlessly.
            await GoCardlessSimulation.PayerActsAsync(coordinator, db, Actor.System, fulfilled, action, "demo", seed.Ct);
        }
        DemoSeed.Value(await GoCardlessSimulation.GoCardlessActsAsync(coordinator, db, Actor.System, fulfilled, GoCardlessRules.Fulfil, "demo", seed.Ct));

        var token = seed.Credential(GoCardlessStore.Api, Mode).Secret;
        return new DemoApi("GoCardless (sandbox token)", [
            new(DemoCase.Cancellable, "billing request", pending, GoCardlessRules.Pending, "200 cancelled; its open flow expires with it", pending),
            new(DemoCase.Cancelled, "billing request", cancelled, GoCardlessRules.Cancelled, "422 cancellation_failed (GoCardless does not repeat a cancel)", cancelled),
            new(DemoCase.Refused, "billing request", fulfilled, GoCardlessRules.Fulfilled, "422 cancellation_failed", fulfilled),
        ], url => $$"""
              for ID in {{pending}} {{cancelled}} {{fulfilled}}; do
                curl -s -w ' %{http_code}\n' -X POST {{url}}/billing_requests/$ID/actions/cancel -H "Authorization: Bearer {{token}}" \
                  -H "GoCardless-Version: {{GoCardlessApi.Version}}" -H "Content-Type: application/json" -d '{"data": {} }'
              done
            """);
    }
}
