using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Rescind.Core;
using Rescind.Server.Hosting;

namespace Rescind.Bench;

/// <summary>
/// Rescind as it serves in production (ServerApp: every middleware, auth, rate limiter off), hosted in this process
/// on Kestrel on a real loopback port, and a client that speaks Numeral and CrissCross to it over HTTP/1.1.
/// </summary>
public sealed class BenchHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private BenchHost(WebApplication app, string url, string operatorToken)
    {
        this.app = app;
        OperatorToken = operatorToken;
        var uri = new Uri(url);
        endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(uri.Host), uri.Port);
        authority = uri.Authority;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public HttpClient Http { get; }

    private readonly System.Net.IPEndPoint endpoint;
    private readonly string authority;
    private readonly AsyncLocal<RawHttpConnection?> raw = new();

    /// <summary>Gives the calling load-generator client its own raw keep-alive connection (see
    /// <see cref="RawHttpConnection"/>) until the returned scope is disposed; other calls use <see cref="Http"/>.</summary>
    public IDisposable UseRawConnection()
    {
        var connection = new RawHttpConnection(endpoint, authority);
        raw.Value = connection;
        return connection;
    }

    public string OperatorToken { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<BenchHost> StartAsync(string database)
    {
        var token = "op_bench_" + Ids.Secret(24);
        var app = ServerApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--Rescind:Database=" + database,
            "--Rescind:Jobs:Enabled=false",
            "--Rescind:RateLimit:PermitsPerSecond=0",
            "--Rescind:OperatorToken=" + token,
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
        ]);
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchHost(app, url, token);
    }

    public async Task<(int Status, string Body)> SendAsync(HttpMethod method, string path, string? bearer, string? body = null, params (string Name, string Value)[] headers)
    {
        if (raw.Value is { } connection)
        {
            return await connection.SendAsync(method.Method, path, bearer, body, headers);
        }
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>An account with every API's credentials, through the operator API; and a CrissCross access token.</summary>
    public async Task<BenchTenant> CreateTenantAsync(string name)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "/operator/accounts", OperatorToken, JsonSerializer.Serialize(new { name }));
        Expect(status == 201, "create account", status, body);
        var json = JsonDocument.Parse(body).RootElement;
        var accountId = json.GetProperty("account").GetProperty("id").GetString()!;
        string Secret(string api) => json.GetProperty("credentials").EnumerateArray()
            .First(c => c.GetProperty("api").GetString() == api && c.GetProperty("mode").GetString() == "live").GetProperty("secret").GetString()!;
        var (ts, tb) = await SendAsync(HttpMethod.Post, "/v1/auth/oauth2/token", null,
            JsonSerializer.Serialize(new { client_id = accountId, client_secret = Secret("crisscross") }));
        Expect(ts == 200, "crisscross token", ts, tb);
        var circleTest = json.GetProperty("credentials").EnumerateArray()
            .First(c => c.GetProperty("api").GetString() == "circle" && c.GetProperty("mode").GetString() == "test").GetProperty("secret").GetString()!;
        return new BenchTenant(this, accountId, Secret("numeral"), JsonDocument.Parse(tb).RootElement.GetProperty("access_token").GetString()!, Secret("digicert"), Secret("gocardless"), circleTest);
    }

    public static void Expect(bool ok, string what, int status, string body)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"{what}: unexpected {status} {body[..Math.Min(300, body.Length)]}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>One account's calls, as the load generator makes them.</summary>
public sealed class BenchTenant(BenchHost host, string accountId, string numeralKey, string crissCrossToken, string digiCertKey, string goCardlessToken, string circleTestKey)
{
    private static readonly (string, string)[] NumeralVersion = [("X-API-Version", "2026-03-01")];

    private static readonly (string, string)[] GoCardlessVersion = [("GoCardless-Version", "2015-07-06")];

    public string AccountId => accountId;

    public Task<(int Status, string Body)> NumeralAsync(HttpMethod method, string path, object? body = null) =>
        host.SendAsync(method, path, numeralKey, body is null ? null : JsonSerializer.Serialize(body), NumeralVersion);

    public Task<(int Status, string Body)> CollectAsync(HttpMethod method, string path, object? body = null, string? key = null) =>
        host.SendAsync(method, path, crissCrossToken, body is null ? null : JsonSerializer.Serialize(body),
            key is null ? [] : [("Idempotency-Key", key)]);

    public Task<(int Status, string Body)> DigiCertAsync(HttpMethod method, string path, object? body = null) =>
        host.SendAsync(method, path, null, body is null ? null : JsonSerializer.Serialize(body), ("X-DC-DEVKEY", digiCertKey));

    public Task<(int Status, string Body)> GoCardlessAsync(HttpMethod method, string path, object? body = null) =>
        host.SendAsync(method, path, goCardlessToken, body is null ? null : JsonSerializer.Serialize(body), GoCardlessVersion);

    /// <summary>Circle with the account's test key (the faucet serves test keys only).</summary>
    public Task<(int Status, string Body)> CircleAsync(HttpMethod method, string path, object? body = null) =>
        host.SendAsync(method, path, circleTestKey, body is null ? null : JsonSerializer.Serialize(body));

    /// <summary>A Circle call with a body already serialized (and signed).</summary>
    public Task<(int Status, string Body)> CircleRawAsync(HttpMethod method, string path, string body) =>
        host.SendAsync(method, path, circleTestKey, body);

    /// <summary>Circle's developer-controlled wallets as the official client drives them: the entity secret
    /// registered (the console step, through the operator API), a funded wallet and a second one on one testnet.</summary>
    public async Task<CircleWallets> CircleWalletsAsync()
    {
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var (rs, rb) = await host.SendAsync(HttpMethod.Post, $"/operator/circle/accounts/{accountId}/entity-secret", host.OperatorToken, JsonSerializer.Serialize(new { entitySecret = secret }));
        BenchHost.Expect(rs == 200, "register entity secret", rs, rb);
        var (ks, kb) = await CircleAsync(HttpMethod.Get, "/v1/w3s/config/entity/publicKey");
        BenchHost.Expect(ks == 200, "entity public key", ks, kb);
        var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(JsonDocument.Parse(kb).RootElement.GetProperty("data").GetProperty("publicKey").GetString());
        var wallets = new CircleWallets(this, secret, rsa);
        var (ss, sb) = await CircleAsync(HttpMethod.Post, "/v1/w3s/developer/walletSets", wallets.Signed(new() { ["name"] = "bench" }));
        BenchHost.Expect(ss == 201, "wallet set", ss, sb);
        var set = JsonDocument.Parse(sb).RootElement.GetProperty("data").GetProperty("walletSet").GetProperty("id").GetString();
        var (ws, wb) = await CircleAsync(HttpMethod.Post, "/v1/w3s/developer/wallets",
            wallets.Signed(new() { ["walletSetId"] = set, ["blockchains"] = new[] { CircleWallets.Chain }, ["count"] = CircleWallets.Senders + 1 }));
        BenchHost.Expect(ws == 201, "wallets", ws, wb);
        var list = JsonDocument.Parse(wb).RootElement.GetProperty("data").GetProperty("wallets").EnumerateArray().ToList();
        wallets.To = list[^1].GetProperty("address").GetString()!;
        foreach (var w in list.Take(CircleWallets.Senders))
        {
            wallets.From.Add(w.GetProperty("id").GetString()!);
            var (ds, db) = await CircleAsync(HttpMethod.Post, "/v1/faucet/drips", new { address = w.GetProperty("address").GetString(), blockchain = CircleWallets.Chain, usdc = true, native = true });
            BenchHost.Expect(ds == 204, "faucet", ds, db);
        }
        return wallets;
    }

    /// <summary>A pending GoCardless billing request (a mandate request): its id.</summary>
    public async Task<string> BillingRequestAsync()
    {
        var (s, b) = await GoCardlessAsync(HttpMethod.Post, "/billing_requests", new { billing_requests = new { mandate_request = new { currency = "GBP" } } });
        BenchHost.Expect(s == 201, "create billing request", s, b);
        return JsonDocument.Parse(b).RootElement.GetProperty("billing_requests").GetProperty("id").GetString()!;
    }

    /// <summary>A pending DigiCert TLS order (paid from the balance, CA validation not yet done): its id.</summary>
    public async Task<string> PendingOrderAsync()
    {
        var (s, b) = await DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/ssl_basic", new
        {
            certificate = new { common_name = "shop.example.com", csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBszCCARwCAQAwczELMAkGA1UEBhMCVVM=\n-----END CERTIFICATE REQUEST-----" },
            skip_approval = true,
        });
        BenchHost.Expect(s == 201, "create order", s, b);
        return JsonDocument.Parse(b).RootElement.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<(int Status, string Body)> OperatorAsync(HttpMethod method, string path) =>
        host.SendAsync(method, path, host.OperatorToken);

    public async Task<string> CustomerAsync()
    {
        var (s, b) = await NumeralAsync(HttpMethod.Post, "/tax/customers", new { name = "Buyer", email = "buyer@example.com" });
        BenchHost.Expect(s == 200, "create customer", s, b);
        return Id(b, "id");
    }

    public async Task<string> PendingRequestAsync(string customerId)
    {
        var (s, b) = await NumeralAsync(HttpMethod.Post, "/tax/certificate-requests",
            new { customer_id = customerId, certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } });
        BenchHost.Expect(s == 201, "create certificate request", s, b);
        return Id(b, "id");
    }

    public async Task<string> SessionAsync()
    {
        var (s, b) = await CollectAsync(HttpMethod.Post, "/v1/checkout/session", new
        {
            merchantId = accountId,
            integrationType = "hosted",
            merchantReference = "order-" + Guid.NewGuid().ToString("N")[..8],
            amount = 1500,
            currency = "KES",
            payerDetails = new { name = "Amina", phone = "+254700000001" },
        });
        BenchHost.Expect(s == 201, "create session", s, b);
        return Id(b, "sessionId");
    }

    /// <summary>A session with a card payment in flight: its cancel cascades to the payment.</summary>
    public async Task<string> SessionWithPaymentAsync()
    {
        var session = await SessionAsync();
        var (s, b) = await CollectAsync(HttpMethod.Post, "/v1/payment", new { sessionId = session, provider = "card", paymentMethod = new { type = "card" } });
        BenchHost.Expect(s == 201, "create payment", s, b);
        return session;
    }

    public static string Id(string body, string name) => JsonDocument.Parse(body).RootElement.GetProperty(name).GetString()!;
}

/// <summary>An account's Circle wallets: every mutating call carries a fresh idempotency key and a fresh
/// RSA-OAEP ciphertext of the entity secret (single use), made before the measured step.</summary>
public sealed class CircleWallets(BenchTenant t, string entitySecret, System.Security.Cryptography.RSA publicKey)
{
    public const string Chain = "ETH-SEPOLIA";

    /// <summary>Transfers are spread over this many funded wallets, so that the step measures cancels of distinct
    /// transactions rather than queuing on one wallet's balance row.</summary>
    public const int Senders = 64;

    private int next;

    public List<string> From { get; } = [];

    public string To { get; set; } = "";

    public Dictionary<string, object?> Signed(Dictionary<string, object?> body)
    {
        body["idempotencyKey"] = Guid.NewGuid().ToString();
        body["entitySecretCiphertext"] = Convert.ToBase64String(publicKey.Encrypt(Convert.FromHexString(entitySecret), System.Security.Cryptography.RSAEncryptionPadding.OaepSHA256));
        return body;
    }

    /// <summary>A transfer that is INITIATED (not yet broadcast: the benchmark runs without the chain's jobs): its id.</summary>
    public async Task<string> TransferAsync()
    {
        var (s, b) = await t.CircleAsync(HttpMethod.Post, "/v1/w3s/developer/transactions/transfer", Signed(new()
        {
            ["walletId"] = From[(Interlocked.Increment(ref next) & int.MaxValue) % From.Count],
            ["destinationAddress"] = To,
            ["tokenId"] = Rescind.Server.Circle.CircleRules.Usdc(Chain).Id,
            ["amounts"] = new[] { "0.0001" },
            ["feeLevel"] = "LOW",
        }));
        BenchHost.Expect(s == 201, "transfer", s, b);
        return JsonDocument.Parse(b).RootElement.GetProperty("data").GetProperty("id").GetString()!;
    }
}
