using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>DigiCert events reach the account's endpoint in DigiCert's webhook shape.</summary>
public abstract class DigiCertWebhookTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    [Fact]
    public async Task A_cancel_arrives_as_an_order_canceled_event_with_the_endpoint_key_in_X_WEBHOOK_KEY()
    {
        var t = await Tenant.CreateAsync(server);
        var endpoint = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new { account_id = t.AccountId, api = "digicert", url = receiver.BaseUrl + "/digicert" });
        Assert.True(endpoint.Code == 201, endpoint.Body);
        var secret = endpoint.Str("secret");
        var issued = await t.IssuedOrderAsync();
        var o = await t.OrderAsync();
        Assert.Equal(204, (await t.CancelAsync(o.Id, "not needed")).Code);

        await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");

        var got = receiver.Requests.Where(r => r.Path == "/digicert").ToList();
        Assert.All(got, r => Assert.Equal(secret, r.Headers["X-WEBHOOK-KEY"]));
        var bodies = got.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(["certificate_issued", "order_canceled", "order_created", "order_created"],
            bodies.Select(b => b.GetProperty("event").GetString()).Order());
        var canceled = bodies.Single(b => b.GetProperty("event").GetString() == "order_canceled").GetProperty("data");
        Assert.Equal(o.Id, canceled.GetProperty("order_id").GetInt64());
        Assert.Equal("not needed", canceled.GetProperty("note").GetString());
        Assert.True(canceled.GetProperty("refund_required").GetBoolean());
        var certificate = bodies.Single(b => b.GetProperty("event").GetString() == "certificate_issued").GetProperty("data");
        Assert.Equal(issued, certificate.GetProperty("order_id").GetInt64());
        Assert.Equal((await t.GetOrderAsync(issued)).Json.GetProperty("certificate").GetProperty("id").GetInt64(),
            certificate.GetProperty("certificate_id").GetInt64());
        Assert.All(got, r => Assert.StartsWith("evt_", r.Headers["Rescind-Event-Id"], StringComparison.Ordinal));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertWebhookTests_Sqlite(SqliteServer server) : DigiCertWebhookTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertWebhookTests_Postgres(PostgresServer server) : DigiCertWebhookTests(server), IClassFixture<PostgresServer>;
