using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>A tenant speaking CrissCross: its bearer token from the token endpoint, and the calls the tests make.</summary>
public sealed class CrissCrossMerchant(Tenant tenant, string token)
{
    public Tenant Tenant => tenant;

    public string Token => token;

    public RescindServer Server => tenant.Server;

    public static async Task<CrissCrossMerchant> CreateAsync(RescindServer server, string name = "Merchant")
    {
        var t = await Tenant.CreateAsync(server, name);
        var a = await TokenAsync(t, new { client_id = t.AccountId, client_secret = t.Credential("crisscross", "live").Secret });
        Assert.True(a.Code == 200, a.Body);
        return new CrissCrossMerchant(t, a.Str("access_token"));
    }

    public static Task<Answer> TokenAsync(Tenant t, object body) =>
        t.SendAsync(HttpMethod.Post, "/v1/auth/oauth2/token", JsonSerializer.Serialize(body), []);

    public Task<Answer> SendAsync(HttpMethod method, string path, object? body = null, string? key = null, string? bearer = null)
    {
        var headers = new Dictionary<string, string?> { ["Authorization"] = "Bearer " + (bearer ?? token) };
        if (key is not null)
        {
            headers["Idempotency-Key"] = key;
        }
        return tenant.SendAsync(method, path, body switch { null => null, string s => s, _ => JsonSerializer.Serialize(body) }, headers);
    }

    public async Task<string> SessionAsync(long amount = 1500, int? expiresInSeconds = null)
    {
        var a = await CreateSessionAsync(amount, expiresInSeconds);
        Assert.True(a.Code == 201, a.Body);
        return a.Str("sessionId");
    }

    public Task<Answer> CreateSessionAsync(long amount = 1500, int? expiresInSeconds = null, string? key = null) =>
        SendAsync(HttpMethod.Post, "/v1/checkout/session", new Dictionary<string, object?>
        {
            ["merchantId"] = tenant.AccountId,
            ["integrationType"] = "hosted",
            ["merchantReference"] = "order-" + Guid.NewGuid().ToString("N")[..8],
            ["amount"] = amount,
            ["currency"] = "KES",
            ["payerDetails"] = new { name = "Amina", phone = "+254700000001" },
            ["expiresInSeconds"] = expiresInSeconds,
        }, key);

    public Task<Answer> PayAsync(string sessionId, string provider = "card", string? key = null) =>
        SendAsync(HttpMethod.Post, "/v1/payment", new { sessionId, provider, paymentMethod = new { type = provider } }, key);

    public async Task<string> TransactionAsync(string sessionId, string provider = "card")
    {
        var a = await PayAsync(sessionId, provider);
        Assert.True(a.Code == 201, a.Body);
        Assert.Equal("PENDING", a.Str("status"));
        return a.Str("transactionId");
    }

    public Task<Answer> CancelAsync(string sessionId, string? reason = null, string? key = null) =>
        SendAsync(HttpMethod.Post, "/v1/checkout/session/cancel", reason is null ? new { sessionId } : new { sessionId, reason }, key);

    public Task<Answer> GetSessionAsync(string sessionId) => SendAsync(HttpMethod.Get, "/v1/checkout/session/" + sessionId);

    public Task<Answer> GetPaymentAsync(string transactionId) => SendAsync(HttpMethod.Get, "/v1/payment/" + transactionId);

    public Task<Answer> RefundAsync(string transactionId, long? amount = null, string? key = null) =>
        SendAsync(HttpMethod.Post, "/v1/payment/refunds", amount is null ? new { transactionId } : new { transactionId, amount }, key);

    /// <summary>A provider event, through the operator's simulation API.</summary>
    public Task<Answer> ProviderAsync(string transactionId, string action) =>
        Tenant.Operator(Server, HttpMethod.Post, $"/operator/crisscross/transactions/{transactionId}/{action}");

    public async Task<string> SessionStatusAsync(string sessionId) => (await GetSessionAsync(sessionId)).Str("status");

    public async Task<string> PaymentStatusAsync(string transactionId) => (await GetPaymentAsync(transactionId)).Str("status");

    public static async Task RunJobsAsync(RescindServer server)
    {
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");
        Assert.True(a.Code == 200, a.Body);
    }

    public static IReadOnlyList<string> Ids(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();
}

public static class CrissCrossAnswers
{
    /// <summary>OAuth 2's error body on the token endpoint (RFC 6749 section 5.2): {error, error_description}, not cached.</summary>
    public static void IsOAuthError(this Answer a, int status, string error)
    {
        Assert.True(a.Code == status, $"expected {status} {error}, got {a.Code}: {a.Body}");
        Assert.Equal(error, a.Json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(a.Json.GetProperty("error_description").GetString()));
        Assert.Equal(2, a.Json.EnumerateObject().Count());
        Assert.Equal("no-store", a.Header("Cache-Control"));
    }

    /// <summary>Collect's flat error envelope: {statusCode, error, message}.</summary>
    public static void IsCollectError(this Answer a, int status, string error)
    {
        Assert.True(a.Code == status, $"expected {status} {error}, got {a.Code}: {a.Body}");
        Assert.Equal(status, a.Json.GetProperty("statusCode").GetInt32());
        Assert.Equal(error, a.Json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(a.Json.GetProperty("message").GetString()));
        Assert.Equal(3, a.Json.EnumerateObject().Count());
    }
}
