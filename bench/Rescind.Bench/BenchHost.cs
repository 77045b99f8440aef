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
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public HttpClient Http { get; }

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
        return new BenchTenant(this, accountId, Secret("numeral"), JsonDocument.Parse(tb).RootElement.GetProperty("access_token").GetString()!, Secret("digicert"));
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
public sealed class BenchTenant(BenchHost host, string accountId, string numeralKey, string crissCrossToken, string digiCertKey)
{
    private static readonly (string, string)[] NumeralVersion = [("X-API-Version", "2026-03-01")];

    public string AccountId => accountId;

    public Task<(int Status, string Body)> NumeralAsync(HttpMethod method, string path, object? body = null) =>
        host.SendAsync(method, path, numeralKey, body is null ? null : JsonSerializer.Serialize(body), NumeralVersion);

    public Task<(int Status, string Body)> CollectAsync(HttpMethod method, string path, object? body = null, string? key = null) =>
        host.SendAsync(method, path, crissCrossToken, body is null ? null : JsonSerializer.Serialize(body),
            key is null ? [] : [("Idempotency-Key", key)]);

    public Task<(int Status, string Body)> DigiCertAsync(HttpMethod method, string path, object? body = null) =>
        host.SendAsync(method, path, null, body is null ? null : JsonSerializer.Serialize(body), ("X-DC-DEVKEY", digiCertKey));

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
        BenchHost.Expect(s == 201, "create customer", s, b);
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
