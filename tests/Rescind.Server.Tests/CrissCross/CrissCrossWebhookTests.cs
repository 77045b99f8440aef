using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>CrissCross events reach a merchant's endpoint as Collect shapes them: {eventType, timestamp, payload}, signed.</summary>
public abstract class CrissCrossWebhookTests(RescindServer server) : IAsyncLifetime
{
    private Receiver receiver = null!;

    public async Task InitializeAsync() => receiver = await Receiver.StartAsync();

    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        await Audit.AssertVerifiedAsync(server);
    }

    /// <summary>An independent check of X-CrissCross-Signature: t=…,v1=hex(HMAC-SHA256(secret, t + "." + body)).</summary>
    private static bool SignatureIsValid(Received r, string secret)
    {
        var parts = r.Headers["X-CrissCross-Signature"].Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        return parts["v1"] == Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes(parts["t"] + "." + r.Body))).ToLowerInvariant();
    }

    [Fact]
    public async Task A_deferred_cancel_delivers_the_session_and_transaction_events_signed_in_the_vendors_envelope()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var endpoint = await Tenant.Operator(server, HttpMethod.Post, "/operator/webhook-endpoints",
            new Dictionary<string, object?> { ["account_id"] = m.Tenant.AccountId, ["api"] = "crisscross", ["url"] = receiver.BaseUrl + "/collect" });
        Assert.True(endpoint.Code == 201, endpoint.Body);
        var secret = endpoint.Str("secret");
        var session = await m.SessionAsync();
        var tx = await m.TransactionAsync(session, "mobile_money");
        await m.CancelAsync(session);
        await m.ProviderAsync(tx, "complete");

        await CrissCrossMerchant.RunJobsAsync(server);

        var got = receiver.Requests.Where(r => r.Path == "/collect").ToList();
        Assert.Equal(["session.cancelled", "session.pending_cancellation", "transaction.completed"],
            got.Select(r => r.Headers["X-CrissCross-Event"]).Order());
        Assert.All(got, r => Assert.True(SignatureIsValid(r, secret), "signature"));
        Assert.Equal(got.Count, got.Select(r => r.Headers["X-CrissCross-Event-Id"]).Distinct().Count());
        Assert.All(got, r =>
        {
            var body = JsonDocument.Parse(r.Body).RootElement;
            Assert.Equal(["eventType", "timestamp", "payload"], body.EnumerateObject().Select(p => p.Name));
            Assert.Equal(r.Headers["X-CrissCross-Event"], body.GetProperty("eventType").GetString());
            Assert.True(DateTimeOffset.TryParse(body.GetProperty("timestamp").GetString(), out _));
            Assert.EndsWith("Z", body.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
        });
        JsonElement PayloadOf(string type) => JsonDocument.Parse(got.Single(r => r.Headers["X-CrissCross-Event"] == type).Body).RootElement.GetProperty("payload");
        var completed = PayloadOf("transaction.completed");
        Assert.Equal((await m.GetPaymentAsync(tx)).Json.GetRawText(), completed.GetRawText()); // the payload is the payment status object
        Assert.Equal((tx, "COMPLETED", session), (completed.GetProperty("transactionId").GetString(), completed.GetProperty("status").GetString(),
            completed.GetProperty("sessionId").GetString()));
        Assert.True(completed.GetProperty("lateCompletion").GetBoolean());
        var cancelled = PayloadOf("session.cancelled");
        Assert.Equal(("CANCELLED", session), (cancelled.GetProperty("status").GetString(), cancelled.GetProperty("sessionId").GetString()));
        Assert.Equal([tx], CrissCrossMerchant.Ids(cancelled.GetProperty("lateCompletedTransactionIds")));
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossWebhookTests_Sqlite(SqliteServer server) : CrissCrossWebhookTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossWebhookTests_Postgres(PostgresServer server) : CrissCrossWebhookTests(server), IClassFixture<PostgresServer>;
