using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Jobs;
using Rescind.Core.Webhooks;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Webhooks;

/// <summary>A host with the production default: outbound requests reach public addresses only.</summary>
public sealed class PublicOnlySqliteServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Rescind:Outbound:AllowPrivateNetworks", "false")];
}

/// <summary>
/// No tenant URL reaches the machine or its network unless the operator allows it: webhook endpoints and Circle
/// subscriptions naming loopback, private, link-local or metadata addresses are refused at registration with one
/// answer, and a delivery whose host resolves there by the time it is sent dials nothing.
/// </summary>
[Trait("Category", "Sqlite")]
public sealed class OutboundPolicyTests(PublicOnlySqliteServer server) : IClassFixture<PublicOnlySqliteServer>, IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.8.9.10", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00:ec2::254", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("100.128.0.1", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("::ffff:8.8.8.8", true)]
    public void Only_globally_routable_addresses_are_public(string address, bool isPublic) =>
        Assert.Equal(isPublic, OutboundPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1:{port}/hook")]
    [InlineData("http://localhost:{port}/hook")]
    [InlineData("http://[::1]:{port}/hook")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.1/hook")]
    [InlineData("http://2130706433/hook")]
    public async Task A_webhook_endpoint_on_a_non_public_address_is_refused_with_one_answer(string template)
    {
        var t = await Tenant.CreateAsync(server);
        var url = template.Replace("{port}", new Uri(receiver.BaseUrl).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints", new { account_id = t.AccountId, api = "numeral", url });
        Assert.Equal(400, a.Code);
        Assert.Equal(WebhookStore.NotAllowedMessage, a.Str("detail"));
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = @AccountId", new { t.AccountId }));
    }

    [Fact]
    public async Task A_Circle_subscription_to_a_listening_loopback_receiver_is_refused_like_one_nothing_listens_on_and_no_check_is_sent()
    {
        var c = await CircleClient.CreateAsync(server);
        var listening = await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions",
            JsonSerializer.Serialize(new { endpoint = receiver.BaseUrl + "/subs", notificationTypes = new[] { "*" } }), "test");
        var silent = await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions",
            JsonSerializer.Serialize(new { endpoint = $"http://127.0.0.1:{RescindProcess.FreePort()}/subs", notificationTypes = new[] { "*" } }), "test");
        listening.IsCircleError(400, 2);
        silent.IsCircleError(400, 2);
        Assert.Equal(listening.Str("message"), silent.Str("message"));
        Assert.Equal(0, receiver.Count("/subs"));
    }

    [Fact]
    public async Task A_delivery_to_an_endpoint_that_now_resolves_to_loopback_dials_nothing_and_fails_its_attempt()
    {
        // As if the endpoint's host resolved to a public address at registration and to loopback now (DNS rebinding):
        // the row is written directly, past the registration check.
        var t = await Tenant.CreateAsync(server);
        await using (var connection = await server.Db.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync(
                "INSERT INTO webhook_endpoints (id, account_id, api, url, secret, timeout_ms, created_at) VALUES (@id, @AccountId, 'numeral', @url, 'whsec_x', 2000, 0)",
                new { id = "we_rebound_" + Guid.NewGuid().ToString("N"), t.AccountId, url = receiver.BaseUrl + "/rebound" });
        }
        await t.CreateCustomerAsync();
        await server.Services.GetRequiredService<JobRunner>().RunAllOnceAsync(CancellationToken.None);

        Assert.Equal(0, receiver.Count("/rebound"));
        var deliveries = (await Tenant.Operator(server, HttpMethod.Get, $"/operator/webhook-deliveries?account_id={t.AccountId}&limit=10")).Json
            .GetProperty("deliveries").EnumerateArray().ToList();
        var d = Assert.Single(deliveries);
        Assert.Equal("pending", d.GetProperty("status").GetString());
        Assert.Contains("not a public address", d.GetProperty("last_error").GetString());
    }
}
