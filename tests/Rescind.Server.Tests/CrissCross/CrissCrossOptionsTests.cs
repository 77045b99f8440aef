using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>A host whose CrissCross settings come from configuration.</summary>
public sealed class ConfiguredCrissCrossServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Rescind:CrissCross:TokenLifetime", "00:05:00"),
        new("Rescind:CrissCross:PaymentLinkBase", "https://checkout.example.test/pay"),
    ];
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossOptionsTests(ConfiguredCrissCrossServer server) : IClassFixture<ConfiguredCrissCrossServer>
{
    [Fact]
    public async Task Token_lifetime_and_payment_link_base_come_from_Rescind_CrissCross_configuration()
    {
        var t = await Tenant.CreateAsync(server);
        var token = await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = t.Credential("crisscross", "live").Secret });
        Assert.Equal(300, token.Json.GetProperty("expires_in").GetInt32());
        var m = new CrissCrossMerchant(t, token.Str("access_token"));

        var session = await m.CreateSessionAsync();

        Assert.Equal("https://checkout.example.test/pay/" + session.Str("sessionId"), session.Str("paymentLink"));
        server.Clock.Advance(TimeSpan.FromSeconds(301));
        (await m.SendAsync(HttpMethod.Get, "/v1/checkout/sessions")).IsCollectError(401, "UNAUTHORIZED");
    }
}
