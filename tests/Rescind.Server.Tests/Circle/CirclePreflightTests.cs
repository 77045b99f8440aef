using System.Security.Cryptography;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Circle;

/// <summary>Onboarding through the API (the entity secret ciphertext and its recovery file) and the calls made
/// before a transfer: token, address validation, fee estimate, fee parameters, the lowest pending nonce.</summary>
public abstract class CirclePreflightTests(RescindServer server)
{
    private static Task<Answer> Post(Tenant t, string path, object body) =>
        CircleClient.Send(t, HttpMethod.Post, path, JsonSerializer.Serialize(body), "test");

    [Fact]
    public async Task The_entity_secret_ciphertext_registers_once_with_a_recovery_file_and_then_authorizes_writes()
    {
        var t = await Tenant.CreateAsync(server);
        var pem = (await CircleClient.Send(t, HttpMethod.Get, "/v1/w3s/config/entity/publicKey", null, "test")).Json.GetProperty("data").GetProperty("publicKey").GetString();
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        var secret = RandomNumberGenerator.GetBytes(32);
        string Cipher() => Convert.ToBase64String(rsa.Encrypt(secret, RSAEncryptionPadding.OaepSHA256));

        (await Post(t, "/v1/w3s/config/entity/entitySecret", new { entitySecretCiphertext = "bm90IGEgY2lwaGVydGV4dA==" })).IsCircleError(400, 156013);
        var registered = await Post(t, "/v1/w3s/config/entity/entitySecret", new { entitySecretCiphertext = Cipher() });
        Assert.True(registered.Code == 200, registered.Body);
        Assert.False(string.IsNullOrEmpty(registered.Json.GetProperty("data").GetProperty("recoveryFile").GetString()));
        (await Post(t, "/v1/w3s/config/entity/entitySecret", new { entitySecretCiphertext = Cipher() })).IsCircleError(400, 156015);
        var set = await Post(t, "/v1/w3s/developer/walletSets", new { idempotencyKey = Guid.NewGuid().ToString(), entitySecretCiphertext = Cipher() });
        Assert.True(set.Code == 201, set.Body);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Wallet_metadata_is_stored_filtered_by_refId_and_updated_as_wallet_sets_are()
    {
        var c = await CircleClient.CreateAsync(server);
        var set = await c.WalletSetAsync();
        var made = await c.PostAsync("/v1/w3s/developer/wallets", new()
        {
            ["walletSetId"] = set, ["blockchains"] = new[] { "ETH-SEPOLIA" }, ["count"] = 2,
            ["metadata"] = new[] { new { name = "Ops", refId = "ref-1" }, new { name = "Payroll", refId = "ref-2" } },
        });
        Assert.True(made.Code == 201, made.Body);
        var first = made.Json.GetProperty("data").GetProperty("wallets")[0];
        Assert.Equal("ref-1", first.GetProperty("refId").GetString());
        var listed = await c.GetAsync("/v1/w3s/wallets?refId=ref-2");
        Assert.Equal("Payroll", Assert.Single(listed.Json.GetProperty("data").GetProperty("wallets").EnumerateArray().ToList()).GetProperty("name").GetString());
        (await c.PostAsync("/v1/w3s/developer/wallets", new() { ["walletSetId"] = set, ["blockchains"] = new[] { "ETH-SEPOLIA" }, ["count"] = 2, ["metadata"] = new[] { new { name = "x" } } }))
            .IsCircleError(400, 155503);
        var id = first.GetProperty("id").GetString();
        var updated = await CircleClient.Send(c.Tenant, HttpMethod.Put, "/v1/w3s/wallets/" + id, JsonSerializer.Serialize(new { name = "Renamed" }), "test");
        Assert.True(updated.Code == 200, updated.Body);
        Assert.Equal("Renamed", updated.Json.GetProperty("data").GetProperty("wallet").GetProperty("name").GetString());
        Assert.Equal("ref-1", updated.Json.GetProperty("data").GetProperty("wallet").GetProperty("refId").GetString());
        var renamed = await CircleClient.Send(c.Tenant, HttpMethod.Put, "/v1/w3s/developer/walletSets/" + set, JsonSerializer.Serialize(new { name = "Vault" }), "test");
        Assert.Equal("Vault", renamed.Json.GetProperty("data").GetProperty("walletSet").GetProperty("name").GetString());
        (await CircleClient.Send(c.Tenant, HttpMethod.Put, "/v1/w3s/wallets/x", "{}", "test")).IsCircleError(400, 156009);
        (await CircleClient.Send(c.Tenant, HttpMethod.Put, "/v1/w3s/developer/walletSets/" + Guid.NewGuid(), JsonSerializer.Serialize(new { name = "n" }), "test")).IsCircleError(404, 156005);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Tokens_addresses_fees_and_the_lowest_nonce_are_answered_and_never_read_as_a_transaction_id()
    {
        var c = await CircleClient.CreateAsync(server);
        var usdc = CircleClient.Usdc("ETH-SEPOLIA");
        var token = await c.GetAsync("/v1/w3s/tokens/" + usdc);
        Assert.True(token.Code == 200, token.Body);
        Assert.Equal("USDC", token.Json.GetProperty("data").GetProperty("token").GetProperty("symbol").GetString());
        (await c.GetAsync("/v1/w3s/tokens/" + Guid.NewGuid())).IsCircleError(404, 156002);
        (await c.GetAsync("/v1/w3s/tokens/x")).IsCircleError(400, 156009);

        var (from, to) = await c.WalletPairAsync();
        var valid = await Post(c.Tenant, "/v1/w3s/transactions/validateAddress", new { blockchain = "ETH-SEPOLIA", address = to.GetProperty("address").GetString() });
        Assert.True(valid.Json.GetProperty("data").GetProperty("isValid").GetBoolean(), valid.Body);
        var invalid = await Post(c.Tenant, "/v1/w3s/transactions/validateAddress", new { blockchain = "ETH-SEPOLIA", address = "nope" });
        Assert.False(invalid.Json.GetProperty("data").GetProperty("isValid").GetBoolean());
        (await Post(c.Tenant, "/v1/w3s/transactions/validateAddress", new { blockchain = "DOGE", address = "x" })).IsCircleError(400, 156027);

        var estimate = await Post(c.Tenant, "/v1/w3s/transactions/transfer/estimateFee", new
        {
            walletId = from.GetProperty("id").GetString(), destinationAddress = to.GetProperty("address").GetString(), tokenId = usdc, amounts = new[] { "1" },
        });
        Assert.True(estimate.Code == 200, estimate.Body);
        var levels = estimate.Json.GetProperty("data");
        Assert.Equal("20", levels.GetProperty("low").GetProperty("maxFee").GetString());
        Assert.Equal("40", levels.GetProperty("high").GetProperty("maxFee").GetString());
        Assert.Equal("0.0026", levels.GetProperty("high").GetProperty("networkFee").GetString());
        var byAddress = await Post(c.Tenant, "/v1/w3s/transactions/transfer/estimateFee", new
        {
            sourceAddress = from.GetProperty("address").GetString(), blockchain = "ETH-SEPOLIA", tokenAddress = "",
            destinationAddress = to.GetProperty("address").GetString(), amounts = new[] { "0.1" },
        });
        Assert.True(byAddress.Code == 200, byAddress.Body);
        Assert.Equal("21000", byAddress.Json.GetProperty("data").GetProperty("medium").GetProperty("gasLimit").GetString());
        (await Post(c.Tenant, "/v1/w3s/transactions/transfer/estimateFee", new
        {
            walletId = from.GetProperty("id").GetString(), destinationAddress = to.GetProperty("address").GetString(), tokenId = CircleClient.Usdc("MATIC-AMOY"), amounts = new[] { "1" },
        })).IsCircleError(400, 155220);

        var parameters = await c.GetAsync("/v1/w3s/developer/transactions/feeParameters?blockchain=ETH-SEPOLIA&accountType=EOA");
        Assert.True(parameters.Code == 200, parameters.Body);
        Assert.Equal("26", parameters.Json.GetProperty("data").GetProperty("medium").GetProperty("maxFee").GetString());
        (await c.GetAsync("/v1/w3s/developer/transactions/feeParameters?blockchain=DOGE")).IsCircleError(400, 156027);

        var walletId = from.GetProperty("id").GetString();
        (await c.GetAsync("/v1/w3s/transactions/lowestNonceTransaction?walletId=" + walletId)).IsCircleError(404, 156003);
        var id = await c.TransferAsync(from, to, "1", "LOW");
        await c.MineUntilAsync(id, "SENT");
        Assert.Equal(200, (await c.SetBaseFeeAsync(30)).Code);
        await c.MineAsync();
        var lowest = await c.GetAsync($"/v1/w3s/transactions/lowestNonceTransaction?blockchain=ETH-SEPOLIA&address={from.GetProperty("address").GetString()}");
        Assert.True(lowest.Code == 200, lowest.Body);
        Assert.Equal(id, lowest.Json.GetProperty("data").GetProperty("transaction").GetProperty("id").GetString());
        Assert.Equal("60", lowest.Json.GetProperty("data").GetProperty("feeInfo").GetProperty("newHighEstimatedFee").GetProperty("maxFee").GetString());
        Assert.Equal("0.0026", lowest.Json.GetProperty("data").GetProperty("feeInfo").GetProperty("feeDifferenceAmount").GetString());
        (await c.GetAsync($"/v1/w3s/transactions/lowestNonceTransaction?walletId={walletId}&blockchain=ETH-SEPOLIA")).IsCircleError(400, 155244);

        // Another account sees none of it.
        var other = await CircleClient.CreateAsync(server);
        (await other.GetAsync("/v1/w3s/transactions/lowestNonceTransaction?walletId=" + walletId)).IsCircleError(404, 156001);
        (await Post(other.Tenant, "/v1/w3s/transactions/transfer/estimateFee", new
        {
            walletId, destinationAddress = to.GetProperty("address").GetString(), tokenId = usdc, amounts = new[] { "1" },
        })).IsCircleError(404, 156001);
    }
}

public sealed class CirclePreflightTests_Sqlite(SqliteServer server) : CirclePreflightTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CirclePreflightTests_Postgres(PostgresServer server) : CirclePreflightTests(server), IClassFixture<PostgresServer>;
