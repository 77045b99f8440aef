using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>The account's webhook set up through the Services API: created pending, verified by a challenge,
/// activated, and then sent only the events it subscribed to.</summary>
public abstract class DigiCertWebhookConfigTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    private static readonly string Secret = new('s', 40);

    private async Task<List<JsonElement>> DeliveredAsync(string path)
    {
        await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");
        return [.. receiver.Requests.Where(r => r.Path == path).Select(r => JsonDocument.Parse(r.Body).RootElement)];
    }

    [Fact]
    public async Task A_webhook_gets_only_the_challenge_until_verified_and_activated_then_its_subscribed_events_with_its_secret()
    {
        var t = await Tenant.CreateAsync(server);
        var created = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook",
            new { endpoint = receiver.BaseUrl + "/dc", secret = Secret, events = new[] { "order_canceled", "certificate_issued" } });
        Assert.True(created.Code == 201, created.Body);
        var id = created.Json.GetProperty("webhook_id").GetInt64();
        var listed = (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/webhook")).Json.GetProperty("webhooks").EnumerateArray().Single();
        Assert.Equal("pending", listed.GetProperty("status").GetString());
        Assert.Equal(Secret, listed.GetProperty("secret").GetString());

        // Pending: an order's events are not sent.
        var early = await t.OrderAsync();
        Assert.Equal(204, (await t.CancelAsync(early.Id)).Code);
        Assert.Empty(await DeliveredAsync("/dc"));
        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/activate")).IsDigiCertError(400, "webhook_not_verified");

        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/send-challenge")).Code);
        var challenge = Assert.Single(await DeliveredAsync("/dc"));
        Assert.Equal("challenge_webhook_endpoint", challenge.GetProperty("event").GetString());
        Assert.Equal(id, challenge.GetProperty("data").GetProperty("webhook_id").GetInt64());
        var token = challenge.GetProperty("data").GetProperty("token").GetString()!;
        Assert.Equal(Secret, receiver.Requests.Single(r => r.Path == "/dc").Headers["X-WEBHOOK-KEY"]);

        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/check-challenge", new { token = token + "x" })).IsDigiCertError(400, "webhook_invalid_token");
        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/check-challenge", new { token })).Code);
        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/activate")).Code);

        var order = await t.OrderAsync();
        Assert.Equal(204, (await t.CancelAsync(order.Id, "wrong product")).Code);
        await t.IssuedOrderAsync();

        var events = (await DeliveredAsync("/dc")).Skip(1).ToList();
        Assert.Equal(["certificate_issued", "order_canceled"], events.Select(e => e.GetProperty("event").GetString()).Order());
        var canceled = events.Single(e => e.GetProperty("event").GetString() == "order_canceled").GetProperty("data");
        Assert.Equal(order.Id, canceled.GetProperty("order_id").GetInt64());
        Assert.Equal("wrong product", canceled.GetProperty("note").GetString());
        Assert.Equal("active", (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/webhook")).Json.GetProperty("webhooks")[0].GetProperty("status").GetString());

        // Deactivated: nothing more.
        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/deactivate")).Code);
        var later = await t.OrderAsync();
        Assert.Equal(204, (await t.CancelAsync(later.Id)).Code);
        Assert.Equal(3, (await DeliveredAsync("/dc")).Count);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Without_a_secret_no_X_WEBHOOK_KEY_is_sent_and_a_new_endpoint_must_be_verified_again()
    {
        var t = await Tenant.CreateAsync(server);
        var id = (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { endpoint = receiver.BaseUrl + "/first" })).Json.GetProperty("webhook_id").GetInt64();
        var listed = (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/webhook")).Json.GetProperty("webhooks")[0];
        Assert.Equal(["certificate_issued"], listed.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.False(listed.TryGetProperty("secret", out _));

        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/send-challenge")).Code);
        var token = Assert.Single(await DeliveredAsync("/first")).GetProperty("data").GetProperty("token").GetString();
        Assert.False(receiver.Requests.Single(r => r.Path == "/first").Headers.ContainsKey("X-WEBHOOK-KEY"));
        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/check-challenge", new { token })).Code);
        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}", new { endpoint = receiver.BaseUrl + "/second" })).Code);

        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/activate")).IsDigiCertError(400, "webhook_not_verified");
        var pending = (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/webhook")).Json.GetProperty("webhooks")[0];
        Assert.Equal("pending", pending.GetProperty("status").GetString());
        Assert.Equal(receiver.BaseUrl + "/second", pending.GetProperty("endpoint").GetString());
    }

    [Fact]
    public async Task One_webhook_per_account_the_vendors_errors_and_another_accounts_webhook_is_not_found()
    {
        var t = await Tenant.CreateAsync(server);
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/webhook")).IsDigiCertError(400, "webhook_invalid_account");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { endpoint = "ftp://example.com/x" })).IsDigiCertError(400, "webhook_invalid_endpoint");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { })).IsDigiCertError(400, "missing_param|endpoint");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { endpoint = receiver.BaseUrl, secret = "short" })).IsDigiCertError(400, "invalid_param|secret");
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { endpoint = receiver.BaseUrl, events = new[] { "everything" } })).IsDigiCertError(400, "invalid_param|events");
        var id = (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { endpoint = receiver.BaseUrl + "/x" })).Json.GetProperty("webhook_id").GetInt64();
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/webhook", new { endpoint = receiver.BaseUrl + "/y" })).IsDigiCertError(400, "webhook_already_exists");
        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}/check-challenge", new { token = "never-sent" })).IsDigiCertError(400, "webhook_invalid_token");

        var other = await Tenant.CreateAsync(server);
        foreach (var action in new[] { "/send-challenge", "/activate", "/deactivate" })
        {
            (await other.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}{action}")).IsDigiCertError(404, "not_found|webhook");
        }
        (await other.DigiCertAsync(HttpMethod.Put, $"/services/v2/webhook/{id}", new { endpoint = receiver.BaseUrl + "/z" })).IsDigiCertError(404, "not_found|webhook");
        (await other.DigiCertAsync(HttpMethod.Get, "/services/v2/webhook")).IsDigiCertError(400, "webhook_invalid_account");
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertWebhookConfigTests_Sqlite(SqliteServer server) : DigiCertWebhookConfigTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertWebhookConfigTests_Postgres(PostgresServer server) : DigiCertWebhookConfigTests(server), IClassFixture<PostgresServer>;
