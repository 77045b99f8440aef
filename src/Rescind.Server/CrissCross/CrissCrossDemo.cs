using Microsoft.Extensions.Options;
using Rescind.Server.Cli;

namespace Rescind.Server.CrissCross;

/// <summary>CrissCross's demo: an open session (cancellable), a cancelled one, a paid one (refused,
/// SESSION_NOT_CANCELLABLE), and one whose mobile-money prompt is on the payer's phone, cancelled into
/// PENDING_CANCELLATION (deferred: it settles when the prompt ends, at the latest when it times out).</summary>
public static class CrissCrossDemo
{
    public static async Task<DemoApi> SeedAsync(DemoSeed seed)
    {
        var options = seed.Get<IOptions<CrissCrossOptions>>().Value;
        const string Payer = """{"fullName":"Amina Demo","location":"KEN","phoneNumber":"+254700000001"}""";
        var n = 0;
        // The sessions stay open for the demo's week (the longest expiresInSeconds Collect takes).
        Task<SessionRow> SessionAsync() => seed.RunAsync(CrissCrossStore.Api, "live", uow => CrissCrossCommands.CreateSessionAsync(uow,
            new NewSession($"demo-order-{++n}", 2500, "KES", Payer, null, 7 * 24 * 3600, seed.AccountId, "direct", null), options));
        Task<TransactionRow> PayAsync(string session, string method, string details) => seed.RunAsync(CrissCrossStore.Api, "live",
            uow => CrissCrossCommands.PayAsync(uow, new NewPayment(session, method, details, null), options));
        Task<CrissCrossCommands.SessionAt> CancelAsync(string session) => seed.RunAsync(CrissCrossStore.Api, "live",
            uow => CrissCrossCommands.CancelAsync(uow, session, "demo", options));

        var open = (await SessionAsync()).Id;
        var canceled = (await SessionAsync()).Id;
        await CancelAsync(canceled);
        var paid = (await SessionAsync()).Id;
        var card = await PayAsync(paid, CrissCrossRules.Card, "{}");
        await seed.WorldAsync(CrissCrossStore.Api, uow => CrissCrossCommands.ProviderEventAsync(uow, card.Id, CrissCrossRules.Complete, options));
        var prompted = (await SessionAsync()).Id;
        var prompt = await PayAsync(prompted, CrissCrossRules.MobileMoney, """{"phoneNumber":"+254700000001","operator":"mpesa"}""");
        await CancelAsync(prompted);
        var secret = seed.Credential(CrissCrossStore.Api).Secret;
        return new DemoApi("CrissCross Collect", [
            new(DemoCase.Cancellable, "checkout session", open, "OPEN", "200 CANCELLED", "crisscross:" + open),
            new(DemoCase.Cancelled, "checkout session", canceled, "CANCELLED", "200 CANCELLED again", "crisscross:" + canceled),
            new(DemoCase.Refused, "checkout session", paid, "COMPLETED", "409 SESSION_NOT_CANCELLABLE", "crisscross:" + paid),
            new(DemoCase.Deferred, "checkout session", prompted, "PENDING_CANCELLATION",
                $"200 PENDING_CANCELLATION while mobile-money prompt {prompt.Id} is out; CANCELLED once it ends (POST /operator/crisscross/transactions/{prompt.Id}/fail, or its timeout)",
                "crisscross:" + prompted),
        ], url => $$"""
              TOKEN=$(curl -s -X POST {{url}}/v1/auth/oauth2/token -d "grant_type=client_credentials&client_id={{seed.AccountId}}&client_secret={{secret}}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
              for ID in {{open}} {{canceled}} {{paid}} {{prompted}}; do
                curl -s -w ' %{http_code}\n' -X POST {{url}}/v1/checkout/session/cancel -H "Authorization: Bearer $TOKEN" \
                  -H "Content-Type: application/json" -d "{\"sessionId\":\"$ID\",\"reason\":\"demo\"}"
              done
            """);
    }
}
