using System.Security.Cryptography;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>
/// A tenant as Circle's SDK drives it: the API key, the registered entity secret, and a fresh RSA-OAEP-SHA256
/// ciphertext of it for every mutating call, as the official client makes them.
/// </summary>
public sealed class CircleClient(Tenant tenant, string entitySecret, RSA publicKey)
{
    public Tenant Tenant => tenant;

    public RescindServer Server => tenant.Server;

    public string AccountId => tenant.AccountId;

    public string EntitySecret => entitySecret;

    public static async Task<CircleClient> CreateAsync(RescindServer server)
    {
        var t = await Tenant.CreateAsync(server);
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var reg = await Tenant.Operator(server, HttpMethod.Post, $"/operator/circle/accounts/{t.AccountId}/entity-secret", new { entitySecret = secret });
        Assert.True(reg.Code == 200, reg.Body);
        var key = await Send(t, HttpMethod.Get, "/v1/w3s/config/entity/publicKey", null, "test");
        Assert.True(key.Code == 200, key.Body);
        var rsa = RSA.Create();
        rsa.ImportFromPem(key.Json.GetProperty("data").GetProperty("publicKey").GetString());
        return new CircleClient(t, secret, rsa);
    }

    public string Ciphertext(string? secret = null) =>
        Convert.ToBase64String(publicKey.Encrypt(Convert.FromHexString(secret ?? entitySecret), RSAEncryptionPadding.OaepSHA256));

    public string ApiKey(string mode = "test") => tenant.Credential("circle", mode).Secret;

    public Task<Answer> GetAsync(string path, string mode = "test") => Send(tenant, HttpMethod.Get, path, null, mode);

    /// <summary>A mutating call with a new idempotency key and a fresh ciphertext unless the body sets them.</summary>
    public Task<Answer> PostAsync(string path, Dictionary<string, object?> body, string mode = "test")
    {
        body.TryAdd("idempotencyKey", Guid.NewGuid().ToString());
        body.TryAdd("entitySecretCiphertext", Ciphertext());
        return Send(tenant, HttpMethod.Post, path, JsonSerializer.Serialize(body), mode);
    }

    public static Task<Answer> Send(Tenant t, HttpMethod method, string path, string? body, string mode) =>
        t.SendAsync(method, path, body, new() { ["Authorization"] = "Bearer " + t.Credential("circle", mode).Secret });

    public async Task<string> WalletSetAsync(string mode = "test")
    {
        var a = await PostAsync("/v1/w3s/developer/walletSets", new() { ["name"] = "Treasury" }, mode);
        Assert.True(a.Code == 201, a.Body);
        return a.Json.GetProperty("data").GetProperty("walletSet").GetProperty("id").GetString()!;
    }

    /// <summary>A funded wallet (10 USDC, 1 native) and a second empty wallet on the same chain.</summary>
    public async Task<(JsonElement From, JsonElement To)> WalletPairAsync(string blockchain = "ETH-SEPOLIA", bool fund = true)
    {
        var set = await WalletSetAsync();
        var a = await PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { blockchain }, ["count"] = 2 });
        Assert.True(a.Code == 201, a.Body);
        var wallets = a.Json.GetProperty("data").GetProperty("wallets");
        if (fund)
        {
            var drip = await Send(tenant, HttpMethod.Post, "/v1/faucet/drips",
                JsonSerializer.Serialize(new { address = wallets[0].GetProperty("address").GetString(), blockchain, usdc = true, native = true }), "test");
            Assert.True(drip.Code == 204, drip.Body);
        }
        return (wallets[0], wallets[1]);
    }

    public static string Usdc(string blockchain) => Rescind.Server.Circle.CircleRules.Usdc(blockchain).Id;

    public async Task<string> TransferAsync(JsonElement from, JsonElement to, string amount = "1.5", string feeLevel = "MEDIUM")
    {
        var a = await PostAsync("/v1/w3s/developer/transactions/transfer", new()
        {
            ["walletId"] = from.GetProperty("id").GetString(),
            ["destinationAddress"] = to.GetProperty("address").GetString(),
            ["tokenId"] = Usdc(from.GetProperty("blockchain").GetString()!),
            ["amounts"] = new[] { amount },
            ["feeLevel"] = feeLevel,
        });
        Assert.True(a.Code == 201, a.Body);
        Assert.Equal("INITIATED", a.Json.GetProperty("data").GetProperty("state").GetString());
        return a.Json.GetProperty("data").GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> TransactionAsync(string id)
    {
        var a = await GetAsync("/v1/w3s/transactions/" + id);
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("data").GetProperty("transaction");
    }

    public async Task<string> StateAsync(string id) => (await TransactionAsync(id)).GetProperty("state").GetString()!;

    public async Task MineAsync(string blockchain = "ETH-SEPOLIA", int count = 1)
    {
        var a = await Tenant.Operator(Server, HttpMethod.Post, $"/operator/circle/chains/{blockchain}/blocks", new { accountId = AccountId, count });
        Assert.True(a.Code == 200, a.Body);
    }

    /// <summary>Mines until the transaction shows <paramref name="state"/> (at most 10 blocks).</summary>
    public async Task MineUntilAsync(string id, string state, string blockchain = "ETH-SEPOLIA")
    {
        for (var i = 0; i < 10 && await StateAsync(id) != state; i++)
        {
            await MineAsync(blockchain);
        }
        Assert.Equal(state, await StateAsync(id));
    }

    public Task<Answer> CancelAsync(string id, string? key = null) =>
        PostAsync($"/v1/w3s/developer/transactions/{id}/cancel", key is null ? [] : new() { ["idempotencyKey"] = key });

    public Task<Answer> AccelerateAsync(string id) => PostAsync($"/v1/w3s/developer/transactions/{id}/accelerate", []);

    public async Task<Dictionary<string, string>> BalancesAsync(string walletId)
    {
        var a = await GetAsync($"/v1/w3s/wallets/{walletId}/balances");
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("data").GetProperty("tokenBalances").EnumerateArray()
            .ToDictionary(b => b.GetProperty("token").GetProperty("symbol").GetString()!, b => b.GetProperty("amount").GetString()!);
    }

    public Task<Answer> SetBaseFeeAsync(long baseFee, string blockchain = "ETH-SEPOLIA") =>
        Tenant.Operator(Server, HttpMethod.Post, $"/operator/circle/chains/{blockchain}/base-fee", new { accountId = AccountId, baseFee });
}

public static class CircleAssert
{
    /// <summary>Circle's error envelope: {code, message} (+ errors for field problems).</summary>
    public static void IsCircleError(this Answer a, int status, int code)
    {
        Assert.True(a.Code == status, $"expected {status} {code}, got {a.Code}: {a.Body}");
        Assert.Equal(code, a.Json.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(a.Json.GetProperty("message").GetString()));
    }
}
