using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>transactions.outbound notifications: Circle's body, one per state change, signed with ECDSA and
/// verifiable with the public key served at /v2/notifications/publicKey/{id}.</summary>
public abstract class CircleWebhookTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    [Fact]
    public async Task Every_state_change_of_a_cancelled_transfer_arrives_signed_in_Circles_shape()
    {
        var c = await CircleClient.CreateAsync(server);
        var reg = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new Dictionary<string, object?> { ["account_id"] = c.AccountId, ["api"] = "circle", ["url"] = receiver.BaseUrl + "/circle" });
        Assert.True(reg.Code == 201, reg.Body);
        // The operator API shows the endpoint's own id (we_ + a UUID); Circle's calls name the subscription by the UUID.
        var endpoint = reg.Str("id")["we_".Length..];
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to);
        await c.MineUntilAsync(id, "SENT");
        Assert.Equal(200, (await c.CancelAsync(id)).Code);
        await c.MineAsync();
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run")).Code);

        var key = await c.GetAsync("/v2/notifications/publicKey/" + endpoint);
        Assert.True(key.Code == 200, key.Body);
        Assert.Equal("ECDSA_SHA_256", key.Json.GetProperty("data").GetProperty("algorithm").GetString());
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(key.Json.GetProperty("data").GetProperty("publicKey").GetString()!), out _);

        var got = receiver.Requests.Where(r => r.Path == "/circle").ToList();
        var states = new List<string>();
        foreach (var r in got)
        {
            var body = JsonDocument.Parse(r.Body).RootElement;
            Assert.Equal("transactions.outbound", body.GetProperty("notificationType").GetString());
            Assert.Equal(endpoint, body.GetProperty("subscriptionId").GetString());
            Assert.Equal(2, body.GetProperty("version").GetInt32());
            Assert.Equal(id, body.GetProperty("notification").GetProperty("id").GetString());
            Assert.Equal(endpoint, r.Headers["X-Circle-Key-Id"]);
            Assert.True(ecdsa.VerifyData(Encoding.UTF8.GetBytes(r.Body), Convert.FromBase64String(r.Headers["X-Circle-Signature"]),
                HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), "signature");
            states.Add(body.GetProperty("notification").GetProperty("state").GetString()!);
        }
        // INITIATED, QUEUED, CLEARED, SENT (broadcast), SENT (replacement out), CANCELLED
        Assert.Equal(["CANCELLED", "CLEARED", "INITIATED", "QUEUED", "SENT", "SENT"], states.Order());

        var other = await CircleClient.CreateAsync(server);
        (await other.GetAsync("/v2/notifications/publicKey/" + endpoint)).IsCircleError(404, 404);
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CircleWebhookTests_Sqlite(SqliteServer server) : CircleWebhookTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CircleWebhookTests_Postgres(PostgresServer server) : CircleWebhookTests(server), IClassFixture<PostgresServer>;
