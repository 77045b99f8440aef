using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>Notification subscriptions: the HEAD endpoint check, list/get/delete, and tenant isolation.</summary>
public abstract class CircleSubscriptionTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    private static string Body(string endpoint) => JsonSerializer.Serialize(new { endpoint, notificationTypes = new[] { "*" } });

    [Fact]
    public async Task A_subscription_is_created_after_its_endpoint_answers_the_HEAD_check_and_receives_notifications()
    {
        var c = await CircleClient.CreateAsync(server);

        var created = await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions", Body(receiver.BaseUrl + "/subs"), "test");

        Assert.True(created.Code == 201, created.Body);
        var sub = created.Json.GetProperty("data");
        var id = sub.GetProperty("id").GetString()!;
        Assert.True(Guid.TryParseExact(id, "D", out _), id); // a UUID [doc]
        Assert.Equal(receiver.BaseUrl + "/subs", sub.GetProperty("endpoint").GetString());
        Assert.True(sub.GetProperty("enabled").GetBoolean());
        Assert.Equal(1, receiver.Count("/subs")); // the HEAD check
        var listed = await c.GetAsync("/v2/notifications/subscriptions");
        Assert.Equal([id], listed.Json.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(200, (await c.GetAsync("/v2/notifications/subscriptions/" + id)).Code);
        Assert.Equal(200, (await c.GetAsync("/v2/notifications/publicKey/" + id)).Code);

        // A transfer's state changes now reach the subscription.
        var (from, to) = await c.WalletPairAsync();
        await c.TransferAsync(from, to);
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run")).Code);
        Assert.Contains(receiver.Requests, r => r.Path == "/subs" && r.Body.Contains("transactions.outbound", StringComparison.Ordinal)
            && r.Headers["X-Circle-Key-Id"] == id);
        var delivered = JsonDocument.Parse(receiver.Requests.First(r => r.Path == "/subs" && r.Body.Length > 0).Body).RootElement;
        Assert.Equal(id, delivered.GetProperty("subscriptionId").GetString());
        Assert.True(Guid.TryParseExact(delivered.GetProperty("notificationId").GetString(), "D", out _), delivered.GetRawText());

        Assert.Equal(204, (await CircleClient.Send(c.Tenant, HttpMethod.Delete, "/v2/notifications/subscriptions/" + id, null, "test")).Code);
        Assert.Empty((await c.GetAsync("/v2/notifications/subscriptions")).Json.GetProperty("data").EnumerateArray());
        (await c.GetAsync("/v2/notifications/subscriptions/" + id)).IsCircleError(404, 404);
    }

    [Fact]
    public async Task An_endpoint_that_fails_the_check_or_is_not_a_url_is_refused_and_nothing_is_created()
    {
        var c = await CircleClient.CreateAsync(server);
        receiver.Behave = (path, _) => (path == "/down" ? 503 : 200, TimeSpan.Zero);

        (await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions", Body(receiver.BaseUrl + "/down"), "test")).IsCircleError(400, 2);
        (await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions", Body($"http://127.0.0.1:{RescindProcess.FreePort()}/x"), "test")).IsCircleError(400, 2);
        (await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions", Body("ftp://example.com"), "test")).IsCircleError(400, 2);
        (await CircleClient.Send(c.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions",
            JsonSerializer.Serialize(new { endpoint = receiver.BaseUrl + "/ok", notificationTypes = new[] { "payments.all" } }), "test")).IsCircleError(400, 2);

        Assert.Empty((await c.GetAsync("/v2/notifications/subscriptions")).Json.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Another_accounts_subscription_is_answered_like_a_missing_one()
    {
        var owner = await CircleClient.CreateAsync(server);
        var other = await CircleClient.CreateAsync(server);
        var created = await CircleClient.Send(owner.Tenant, HttpMethod.Post, "/v2/notifications/subscriptions", Body(receiver.BaseUrl + "/mine"), "test");
        var id = created.Json.GetProperty("data").GetProperty("id").GetString()!;

        (await other.GetAsync("/v2/notifications/subscriptions/" + id)).IsCircleError(404, 404);
        (await CircleClient.Send(other.Tenant, HttpMethod.Delete, "/v2/notifications/subscriptions/" + id, null, "test")).IsCircleError(404, 404);
        Assert.Empty((await other.GetAsync("/v2/notifications/subscriptions")).Json.GetProperty("data").EnumerateArray());
        Assert.Equal(200, (await owner.GetAsync("/v2/notifications/subscriptions/" + id)).Code);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CircleSubscriptionTests_Sqlite(SqliteServer server) : CircleSubscriptionTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CircleSubscriptionTests_Postgres(PostgresServer server) : CircleSubscriptionTests(server), IClassFixture<PostgresServer>;
