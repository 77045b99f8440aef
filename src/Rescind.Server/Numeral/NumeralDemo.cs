using Microsoft.Extensions.Options;
using Rescind.Server.Cli;

namespace Rescind.Server.Numeral;

/// <summary>Numeral's demo: a pending request (cancellable), a cancelled one, and a fulfilled one (refused,
/// REQUEST_ALREADY_FULFILLED). Numeral has no deferred cancel.</summary>
public static class NumeralDemo
{
    public static async Task<DemoApi> SeedAsync(DemoSeed seed)
    {
        var options = seed.Get<IOptions<NumeralOptions>>().Value;
        var expires = seed.Get<TimeProvider>().GetUtcNow().AddDays(30);
        var customer = await seed.RunAsync(NumeralStore.Api, "live", uow => NumeralCommands.CreateCustomerAsync(uow, "live",
            new NewCustomer("demo-buyer-1", "Demo Buyer Inc.", "buyer@example.com")));
        async Task<string> RequestAsync(params string[] commands)
        {
            var id = (await seed.RunAsync(NumeralStore.Api, "live", uow => NumeralCommands.CreateRequestAsync(uow,
                new NewRequest(customer.Id, "US-CA-CDTFA-230", ["US-CA"], expires), options))).Row.Id;
            foreach (var command in commands)
            {
                await (command == NumeralRules.Cancel
                    ? seed.RunAsync(NumeralStore.Api, "live", uow => NumeralCommands.RunAsync(uow, id, command))
                    : seed.WorldAsync(NumeralStore.Api, uow => NumeralCommands.RunAsync(uow, id, command)));
            }
            return id;
        }
        var pending = await RequestAsync();
        var canceled = await RequestAsync(NumeralRules.Cancel);
        var fulfilled = await RequestAsync(NumeralRules.Submit, NumeralRules.Accept);
        var key = seed.Credential(NumeralStore.Api).Secret;
        var testKey = seed.Credential(NumeralStore.Api, "test").Secret;
        return new DemoApi("Numeral", [
            new(DemoCase.Cancellable, "certificate request", pending, NumeralRules.Pending, "200, canceled", pending),
            new(DemoCase.Cancelled, "certificate request", canceled, NumeralRules.Canceled, "200 again, the same body", canceled),
            new(DemoCase.Refused, "certificate request", fulfilled, NumeralRules.Fulfilled, "409 " + NumeralRules.AlreadyFulfilled, fulfilled),
        ], url => $"""
              Numeral live key  {key}
              Numeral test key  {testKey}   (certificate requests are live-only: this one gets 403 TESTMODE_NOT_SUPPORTED)
              A pending certificate request {pending} for customer {customer.Id}.
              for ID in {pending} {canceled} {fulfilled}; do
                curl -s -X DELETE {url}/tax/certificate-requests/$ID -H "Authorization: Bearer {key}" -H "X-API-Version: {NumeralModule.Version}"; echo
              done
            """);
    }
}
