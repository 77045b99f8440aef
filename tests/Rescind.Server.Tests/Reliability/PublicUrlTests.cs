using Dapper;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.GoCardless;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>With <c>Rescind:PublicUrl</c> set, no client's <c>Host</c> header chooses where handed-out URLs point.</summary>
public sealed class PublicUrlServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Rescind:PublicUrl", "https://rescind.example.com/")];
}

[Trait("Category", "Sqlite")]
public sealed class PublicUrlTests(PublicUrlServer server) : IClassFixture<PublicUrlServer>
{
    private static readonly Dictionary<string, string?> ForgedHost = new() { ["Host"] = "attacker.example" };

    [Fact]
    public async Task A_Numeral_download_url_uses_the_configured_public_url_whatever_the_Host_header_says()
    {
        var t = await Tenant.CreateAsync(server);
        var request = await t.CreateRequestAsync(await t.CreateCustomerAsync());
        Assert.Equal(200, (await t.SimulateAsync(request, "submit")).Code);
        Assert.Equal(200, (await t.SimulateAsync(request, "accept")).Code);
        await using var connection = await server.Db.OpenAsync(CancellationToken.None);
        var certificate = await connection.ExecuteScalarAsync<string>("SELECT id FROM numeral_certificates WHERE request_id = @request", new { request });

        var answer = await t.Numeral(HttpMethod.Get, $"/tax/certificates/{certificate}", null, ForgedHost);

        Assert.Equal(200, answer.Code);
        Assert.StartsWith($"https://rescind.example.com/tax/certificates/{certificate}/document?", answer.Str("download_url"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_GoCardless_flow_url_uses_the_configured_public_url_whatever_the_Host_header_says()
    {
        var t = await Tenant.CreateAsync(server);
        var request = await t.CreateBillingRequestAsync();
        var flow = await t.Gc(HttpMethod.Post, "/billing_request_flows",
            new { billing_request_flows = new { links = new { billing_request = request } } }, ForgedHost);

        Assert.Equal(201, flow.Code);
        Assert.StartsWith("https://rescind.example.com/gocardless/flows/BRF", flow.Json.GetProperty("billing_request_flows").GetProperty("authorisation_url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Circle_Link_header_uses_the_configured_public_url_whatever_the_Host_header_says()
    {
        var c = await CircleClient.CreateAsync(server);
        var t = await Tenant.CreateAsync(server);
        var page = await t.SendAsync(HttpMethod.Get, "/v1/w3s/walletSets?pageSize=1", null,
            new() { ["Authorization"] = "Bearer " + c.ApiKey(), ["Host"] = "attacker.example" });

        Assert.True(page.Code == 200, page.Body);
        var link = page.Header("Link");
        Assert.NotNull(link);
        Assert.Contains("<https://rescind.example.com/v1/w3s/walletSets?", link, StringComparison.Ordinal);
        Assert.DoesNotContain("attacker.example", link, StringComparison.Ordinal);
    }
}
