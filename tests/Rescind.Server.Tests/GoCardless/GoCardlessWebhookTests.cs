using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>GoCardless-shaped webhooks: {"events": [...]} signed with Webhook-Signature, live and sandbox apart.</summary>
public abstract class GoCardlessWebhookTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    private async Task<string> RegisterAsync(Tenant t, string api, string path)
    {
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints", new { account_id = t.AccountId, api, url = receiver.BaseUrl + path });
        Assert.True(a.Code == 201, a.Body);
        return a.Str("secret");
    }

    [Fact]
    public async Task A_cancelled_billing_request_arrives_as_a_signed_events_batch_matching_the_events_api()
    {
        var t = await Tenant.CreateAsync(server);
        var liveSecret = await RegisterAsync(t, "gocardless", "/gc/live");
        await RegisterAsync(t, "gocardless.sandbox", "/gc/sandbox");
        var id = await t.CreateBillingRequestAsync();
        Assert.Equal(200, (await t.BrCancelAsync(id)).Code);

        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run")).Code);

        var got = receiver.Requests.Where(r => r.Path == "/gc/live").ToList();
        Assert.NotEmpty(got);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(liveSecret));
        Assert.All(got, r => Assert.Equal(Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes(r.Body))).ToLowerInvariant(), r.Headers["Webhook-Signature"]));
        var events = got.SelectMany(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("events").EnumerateArray()).ToList();
        var cancelled = events.Single(e => e.GetProperty("action").GetString() == "cancelled");
        Assert.Equal("billing_requests", cancelled.GetProperty("resource_type").GetString());
        Assert.Equal(id, cancelled.GetProperty("links").GetProperty("billing_request").GetString());
        var fromApi = await t.Gc(HttpMethod.Get, "/events/" + cancelled.GetProperty("id").GetString());
        Assert.Equal(JsonSerializer.Serialize(fromApi.Json.GetProperty("events")), JsonSerializer.Serialize(cancelled));
        Assert.DoesNotContain(receiver.Requests, r => r.Path == "/gc/sandbox"); // live events never reach a sandbox endpoint
    }

    [Fact]
    public async Task A_cancelled_mandate_and_the_payment_it_takes_arrive_as_webhooks_like_the_billing_request_events()
    {
        var t = await Tenant.CreateAsync(server);
        await RegisterAsync(t, "gocardless", "/gc/mandates");
        var links = (await t.FulfilledRequestAsync()).GetProperty("links");
        var (md, pm) = (links.GetProperty("mandate_request_mandate").GetString()!, links.GetProperty("payment_request_payment").GetString()!);
        Assert.Equal(200, (await t.Gc(HttpMethod.Post, $"/mandates/{md}/actions/cancel", new { data = new { metadata = new { reason = "closed" } } })).Code);

        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run")).Code);

        var events = receiver.Requests.Where(r => r.Path == "/gc/mandates")
            .SelectMany(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("events").EnumerateArray()).ToList();
        var mandate = events.Single(e => e.GetProperty("resource_type").GetString() == "mandates" && e.GetProperty("action").GetString() == "cancelled");
        Assert.Equal(("cancelled", md, "closed"), (mandate.GetProperty("action").GetString(), mandate.GetProperty("links").GetProperty("mandate").GetString(),
            mandate.GetProperty("metadata").GetProperty("reason").GetString()));
        var payment = events.Single(e => e.GetProperty("resource_type").GetString() == "payments" && e.GetProperty("action").GetString() == "cancelled");
        Assert.Single(events, e => e.GetProperty("resource_type").GetString() == "mandates" && e.GetProperty("action").GetString() == "created");
        Assert.Equal(pm, payment.GetProperty("links").GetProperty("payment").GetString());
        var fromApi = await t.Gc(HttpMethod.Get, "/events/" + mandate.GetProperty("id").GetString());
        Assert.Equal(JsonSerializer.Serialize(fromApi.Json.GetProperty("events")), JsonSerializer.Serialize(mandate));
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessWebhookTests_Sqlite(SqliteServer server) : GoCardlessWebhookTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessWebhookTests_Postgres(PostgresServer server) : GoCardlessWebhookTests(server), IClassFixture<PostgresServer>;
