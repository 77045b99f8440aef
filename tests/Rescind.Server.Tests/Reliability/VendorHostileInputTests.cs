using System.Text.Json;
using CsCheck;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.GoCardless;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// The hostile-input property for GoCardless, Circle and Rescind's own API (Numeral, DigiCert and CrissCross have theirs): bad JSON,
/// wrong types, huge numbers, lone surrogates and NUL, traversal in ids, duplicate keys, oversized bodies →
/// never a 500, always the API's own envelope, and a refusal writes nothing (no audit row, no event).
/// </summary>
[Infrastructure.RandomisedRequests]
public abstract class VendorHostileInputTests(RescindServer server)
{
    private static readonly Gen<string> Weird = Gen.OneOfConst(
        "", " ", "null", "../../etc/passwd", "..%2F..%2F", "%00", "\u0000", "\ud800", "\ufeff", "😀", "İ", "\u202e", "' OR 1=1 --", "\"", "\\", "{}", "[]",
        new string('9', 400), "-1", "1e309", "BR000000000000", "BRF000000000000", "CU000000000000", "CR000000000000", "EV000000000000",
        "01900000-0000-7000-8000-000000000000", "../walletSets", "%2e%2e%2f");

    private static readonly Gen<string> Id = Gen.OneOf(Weird, Gen.String[Gen.Char.AlphaNumeric, 0, 40], Gen.String[0, 40]);

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Gen.OneOfConst("null", "true", "false", "0", "-0", "1e309", "-1", "123456789012345678901234567890", "1.5", "\"\"", "[]", "{}", "[[[[[[[[]]]]]]]]",
            "\"\\ud800\"", "\"\\u0000\"", "\"GBP\"", "\"bacs\"", "1500", "{\"currency\":\"GBP\",\"scheme\":\"bacs\"}", "{\"amount\":1e309,\"currency\":\"GBP\"}",
            "\"ETH-SEPOLIA\"", "[\"ETH-SEPOLIA\"]", "[\"1.5\"]", "\"MEDIUM\"", "\"00000000-0000-4000-8000-000000000000\""),
        Weird.Select(w => JsonSerializer.Serialize(w)));

    private static Gen<string> Body(params string[] fields) => Gen.OneOf(
        Gen.Select(Gen.Select(Gen.OneOfConst([.. fields, "__proto__", ""]), JsonValue).Array[0, 6],
            pairs => "{" + string.Join(",", pairs.Select(p => JsonSerializer.Serialize(p.Item1) + ":" + p.Item2)) + "}"),
        Gen.OneOfConst("{", "}", "[", "\"x\"", "{\"a\":1,\"a\":2}", "{}garbage", "\u0000\u0001", "{'single':'quotes'}", ""),
        Gen.Int[1, 2].Select(n => "{\"name\":\"" + new string('x', n * 70_000) + "\"}"),
        Weird);

    private static readonly Gen<HttpMethod> Method = Gen.OneOfConst(HttpMethod.Get, HttpMethod.Post, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete);

    [Fact]
    public async Task No_generated_GoCardless_request_gets_a_500_or_leaves_its_envelope_or_writes_on_refusal()
    {
        var t = await Tenant.CreateAsync(server);
        var br = await t.CreateBillingRequestAsync();
        var path = Gen.OneOf(
            Id.Select(id => "/billing_requests/" + Uri.EscapeDataString(id)),
            Gen.Select(Id, Gen.OneOfConst("cancel", "fulfil", "confirm_payer_details", "collect_customer_details", "notify", "../cancel", "x")).Select(p => $"/billing_requests/{Uri.EscapeDataString(p.Item1)}/actions/{p.Item2}"),
            Gen.OneOfConst("cancel", "fulfil", "collect_customer_details", "collect_bank_account", "choose_currency", "select_institution").Select(a => $"/billing_requests/{br}/actions/{a}"),
            Id.Select(id => "/billing_request_flows/" + Uri.EscapeDataString(id)),
            Id.Select(id => "/customers/" + Uri.EscapeDataString(id)),
            Id.Select(id => "/events/" + Uri.EscapeDataString(id)),
            Gen.OneOfConst("/billing_requests", "/billing_request_flows", "/customers", "/creditors", "/events", "/billing_requests?limit=1e3",
                "/billing_requests?after=%FF", "/billing_requests?status=%00", "/events?billing_request=../x", "/billing_requests?limit=10&limit=20"));
        var body = Body("billing_requests", "billing_request_flows", "customers", "data", "mandate_request", "payment_request", "links", "metadata", "currency", "amount", "email");
        await SampleAsync(t, path, body, "gocardless", (m, k) => new()
        {
            ["Authorization"] = "Bearer " + t.Credential("gocardless", "live").Secret,
            ["GoCardless-Version"] = GoCardlessClient.Version,
            ["Idempotency-Key"] = m == HttpMethod.Post ? k : null,
        });
    }

    [Fact]
    public async Task No_generated_Circle_request_gets_a_500_or_leaves_its_envelope_or_writes_on_refusal()
    {
        var c = await CircleClient.CreateAsync(server);
        var path = Gen.OneOf(
            Id.Select(id => "/v1/w3s/transactions/" + Uri.EscapeDataString(id)),
            Id.Select(id => $"/v1/w3s/developer/transactions/{Uri.EscapeDataString(id)}/cancel"),
            Id.Select(id => $"/v1/w3s/developer/transactions/{Uri.EscapeDataString(id)}/accelerate"),
            Id.Select(id => "/v1/w3s/wallets/" + Uri.EscapeDataString(id)),
            Id.Select(id => $"/v1/w3s/wallets/{Uri.EscapeDataString(id)}/balances"),
            Id.Select(id => "/v1/w3s/walletSets/" + Uri.EscapeDataString(id)),
            Id.Select(id => "/v2/notifications/subscriptions/" + Uri.EscapeDataString(id)),
            Gen.OneOfConst("/v1/w3s/developer/walletSets", "/v1/w3s/developer/wallets", "/v1/w3s/developer/transactions/transfer", "/v1/w3s/wallets",
                "/v1/w3s/transactions", "/v1/faucet/drips", "/v2/notifications/subscriptions", "/v1/w3s/wallets?pageSize=1e3", "/v1/w3s/transactions?from=9999-99-99",
                "/v1/w3s/transactions?pageAfter=%FF", "/v1/w3s/wallets?blockchain=%00"));
        var body = Gen.OneOf(
            Body("idempotencyKey", "entitySecretCiphertext", "name", "walletSetId", "blockchains", "count", "walletId", "destinationAddress", "tokenId", "amounts", "feeLevel", "endpoint"),
            Gen.Select(Body("name", "walletSetId", "blockchains", "count", "walletId", "amounts", "feeLevel"), Gen.Bool).Select(p =>
                p.Item1.StartsWith('{') && p.Item1.Length > 2 && p.Item2
                    ? $"{{\"idempotencyKey\":\"{Guid.NewGuid()}\",\"entitySecretCiphertext\":\"{c.Ciphertext()}\"," + p.Item1[1..]
                    : p.Item1));
        await SampleAsync(c.Tenant, path, body, "circle", (_, _) => new() { ["Authorization"] = "Bearer " + c.ApiKey() });
    }

    [Fact]
    public async Task No_generated_request_to_Rescinds_own_API_gets_a_500_or_leaves_problem_details_or_writes_on_refusal()
    {
        var t = await Tenant.CreateAsync(server);
        var request = await t.PendingRequestAsync();
        var path = Gen.OneOf(
            Id.Select(id => "/v1/resources/" + Uri.EscapeDataString(id)),
            Id.Select(id => "/v1/cancellations/" + Uri.EscapeDataString(id)),
            Id.Select(id => $"/v1/cancellations/{Uri.EscapeDataString(id)}/cancel"),
            Gen.OneOfConst("/v1/cancellations", "/v1/cancellations?limit=1e3", "/v1/cancellations?after=%FF", "/v1/cancellations?limit=-1",
                "/v1/resources/numeral:" + request));
        // (/v1/reports/cancellations is shared with CrissCross, whose envelope answers its routing failures: docs/api.md.)
        var body = Gen.OneOf(
            Body("resources", "reason", "dry_run", "idempotency_key", "cancel_at"),
            Gen.Select(JsonValue, JsonValue, Gen.Bool).Select(p =>
                $"{{\"resources\":[{p.Item1},\"{request}\"],\"reason\":{p.Item2},\"dry_run\":{(p.Item3 ? "true" : "false")},\"idempotency_key\":\"{Guid.NewGuid()}\"}}"));
        await SampleAsync(t, path, body, "rescind", (_, _) => new() { ["Authorization"] = "Bearer " + t.Credential("rescind", "live").Secret });
    }

    private async Task SampleAsync(Tenant t, Gen<string> path, Gen<string> body, string api, Func<HttpMethod, string, Dictionary<string, string?>> headers)
    {
        var refused = 0;
        await Gen.Select(Method, path, body, Gen.OneOf(Gen.Const(Guid.NewGuid().ToString()), Id)).SampleAsync(async sample =>
        {
            var (method, p, b, key) = sample;
            var before = await WritesAsync();
            Answer a;
            try
            {
                a = await t.SendAsync(method, p, method == HttpMethod.Get ? null : b, headers(method, key));
            }
            catch (Exception e) when (e is UriFormatException || e.Message.Contains("null characters", StringComparison.Ordinal))
            {
                return; // the client refused to send it; nothing reached Rescind
            }
            Assert.True(a.Code is >= 200 and < 500, $"{method} {p} → {a.Code}: {a.Body}");
            Assert.NotNull(a.Header("X-Request-Id"));
            if (a.Code >= 400)
            {
                refused++;
                InEnvelope(api, a, $"{method} {p}");
                Assert.True(before == await WritesAsync(), $"{method} {p} was refused ({a.Code}) but wrote: {a.Body}");
            }
        }, iter: 250, threads: 1);
        Assert.True(refused > 100, "the generator produced too few hostile requests");
        await Audit.AssertVerifiedAsync(server);
    }

    private static async Task<string> CrissCrossTokenAsync(Tenant t) =>
        (await CrissCross.CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = t.Credential("crisscross", "live").Secret })).Str("access_token");

    private async Task<(long, long)> WritesAsync() =>
        (await server.CountAsync("SELECT COUNT(*) FROM audit_log"), await server.CountAsync("SELECT COUNT(*) FROM outbox"));

    private static void InEnvelope(string api, Answer a, string what)
    {
        try
        {
            var j = a.Json;
            var ok = api switch
            {
                "gocardless" => j.GetProperty("error").GetProperty("code").GetInt32() == a.Code && j.EnumerateObject().Count() == 1,
                "rescind" => j.GetProperty("status").GetInt32() == a.Code && a.Message.Content.Headers.ContentType?.MediaType == "application/problem+json",
                _ => j.GetProperty("code").ValueKind == JsonValueKind.Number && !string.IsNullOrEmpty(j.GetProperty("message").GetString()),
            };
            Assert.True(ok);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{what} → {a.Code} outside {api}'s envelope: {a.Body}", e);
        }
    }

    [Theory]
    [InlineData("gocardless", "/billing_requests")]
    [InlineData("circle", "/v1/w3s/developer/walletSets")]
    [InlineData("crisscross", "/v1/checkout/session")]
    [InlineData("operator", "/operator/accounts")]
    public async Task A_body_over_64_KiB_is_413_in_the_APIs_envelope(string api, string path)
    {
        var t = await Tenant.CreateAsync(server);
        var secret = api switch { "gocardless" => t.Credential("gocardless", "live").Secret, "circle" => t.Credential("circle", "test").Secret, "crisscross" => await CrissCrossTokenAsync(t), _ => server.OperatorToken };
        var before = await WritesAsync();
        var a = await t.SendAsync(HttpMethod.Post, path, "{\"name\":\"" + new string('x', 70_000) + "\"}", new()
        {
            ["Authorization"] = "Bearer " + secret, ["GoCardless-Version"] = GoCardlessClient.Version, ["Idempotency-Key"] = Guid.NewGuid().ToString(),
        });
        Assert.True(a.Code == 413, $"{path}: {a.Code} {a.Body}");
        var j = a.Json;
        Assert.Equal(413, api switch
        {
            "gocardless" => j.GetProperty("error").GetProperty("code").GetInt32(),
            "crisscross" => j.GetProperty("statusCode").GetInt32(),
            "operator" => j.GetProperty("status").GetInt32(),
            _ => 413,
        });
        Assert.Equal(before, await WritesAsync());
    }
}

[Trait("Category", "Sqlite")]
public sealed class VendorHostileInputTests_Sqlite(SqliteServer server) : VendorHostileInputTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class VendorHostileInputTests_Postgres(PostgresServer server) : VendorHostileInputTests(server), IClassFixture<PostgresServer>;

/// <summary>429 with Retry-After past the rate limit, in the envelope of each API not covered elsewhere.</summary>
[Trait("Category", "Sqlite")]
public sealed class VendorRateLimitTests(RateLimitedSqliteServer server) : IClassFixture<RateLimitedSqliteServer>
{
    [Theory]
    [InlineData("gocardless", "/billing_requests")]
    [InlineData("circle", "/v1/w3s/wallets")]
    [InlineData("crisscross", "/v1/checkout/sessions")]
    public async Task A_credential_over_its_rate_gets_429_with_Retry_After_in_the_APIs_envelope(string api, string path)
    {
        var secret = api + "_limited_" + Guid.NewGuid().ToString("N");
        var answers = new List<Answer>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add(await Tenant.SendAsync(server, HttpMethod.Get, path, null, new() { ["Authorization"] = "Bearer " + secret, ["GoCardless-Version"] = GoCardlessClient.Version }));
        }
        var limited = answers.Where(a => a.Code == 429).ToList();
        Assert.True(limited.Count > 0, string.Join(" | ", answers.Select(a => a.Code + " " + a.Body)));
        Assert.Equal("1", limited[0].Message.Headers.RetryAfter?.ToString());
        var j = limited[0].Json;
        Assert.Equal(429, api switch
        {
            "gocardless" => j.GetProperty("error").GetProperty("code").GetInt32(),
            "crisscross" => j.GetProperty("statusCode").GetInt32(),
            _ => j.GetProperty("code").ValueKind == JsonValueKind.Number ? 429 : 0,
        });
    }
}
