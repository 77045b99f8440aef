using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// Secrets never reach the logs: a real <c>rescind serve</c> logging at Debug is driven through a scenario that
/// issues and uses every kind of secret (account credentials, an extra key, a CrissCross token, a Circle entity
/// secret, webhook signing secrets, the operator token, and a wrong key), and its whole output is searched.
/// </summary>
public abstract class SecretLogTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    [Fact]
    public async Task No_secret_issued_or_used_in_a_scenario_appears_in_the_servers_logs()
    {
        var lines = new ConcurrentQueue<string>();
        var operatorToken = "op_logs_" + Guid.NewGuid().ToString("N");
        var port = RescindProcess.FreePort();
        var server = RescindProcess.Start(
        [
            "serve", "--urls", $"http://127.0.0.1:{port}", .. storage, "--Rescind:OperatorToken=" + operatorToken,
            "--Logging:LogLevel:Default=Debug", "--Logging:LogLevel:Microsoft.AspNetCore=Debug",
        ], lines.Enqueue);
        var secrets = new List<string> { operatorToken };
        await using var receiver = await Receiver.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await RescindProcess.WaitHealthyAsync(http);
            async Task<JsonElement> CallAsync(HttpMethod method, string path, object? body, string? bearer, int expect)
            {
                using var request = new HttpRequestMessage(method, path);
                if (bearer is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
                }
                request.Headers.TryAddWithoutValidation("X-API-Version", Tenant.NumeralVersion);
                if (body is not null)
                {
                    request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
                }
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode == expect, $"{method} {path}: {(int)response.StatusCode} {text}");
                return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
            }

            var account = await CallAsync(HttpMethod.Post, "/operator/accounts", new { name = "Logs" }, operatorToken, 201);
            var accountId = account.GetProperty("account").GetProperty("id").GetString()!;
            var creds = account.GetProperty("credentials").EnumerateArray().ToList();
            secrets.AddRange(creds.Select(c => c.GetProperty("secret").GetString()!));
            string Secret(string api, string mode) => creds.First(c => c.GetProperty("api").GetString() == api && c.GetProperty("mode").GetString() == mode).GetProperty("secret").GetString()!;

            var extra = await CallAsync(HttpMethod.Post, $"/operator/accounts/{accountId}/credentials", new { api = "numeral", mode = "live" }, operatorToken, 201);
            secrets.Add(extra.GetProperty("secret").GetString()!);
            var token = await CallAsync(HttpMethod.Post, "/v1/auth/oauth2/token", new { client_id = accountId, client_secret = Secret("crisscross", "live") }, null, 200);
            secrets.Add(token.GetProperty("access_token").GetString()!);
            var entitySecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            secrets.Add(entitySecret);
            await CallAsync(HttpMethod.Post, $"/operator/circle/accounts/{accountId}/entity-secret", new { entitySecret }, operatorToken, 200);
            var hook = await CallAsync(HttpMethod.Post, "/operator/webhook-endpoints", new { account_id = accountId, api = "numeral", url = receiver.BaseUrl + "/logs" }, operatorToken, 201);
            secrets.AddRange(SecretsIn(hook));
            var sub = await CallAsync(HttpMethod.Post, "/v2/notifications/subscriptions", new { endpoint = receiver.BaseUrl + "/circle", notificationTypes = new[] { "*" } }, Secret("circle", "test"), 201);
            secrets.AddRange(SecretsIn(sub));

            // Use them, and fail with near-misses, so that authentication paths log whatever they log.
            await CallAsync(HttpMethod.Post, "/tax/customers", new { name = "Buyer", email = "buyer@example.com" }, Secret("numeral", "live"), 200);
            await CallAsync(HttpMethod.Get, "/v1/checkout/sessions", null, token.GetProperty("access_token").GetString(), 200);
            await CallAsync(HttpMethod.Get, "/tax/customers/cust_x", null, Secret("numeral", "live")[..^2] + "zz", 401);
            await CallAsync(HttpMethod.Get, "/operator/accounts", null, operatorToken + "x", 401);
            await Task.Delay(500); // let deliveries and their log lines happen
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        var log = string.Join("\n", lines);
        Assert.True(lines.Count > 10, "the server logged almost nothing; the test proves nothing: " + log);
        Assert.True(secrets.Count >= 12, $"only {secrets.Count} secrets collected");
        foreach (var secret in secrets.Where(s => s.Length >= 16))
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"a secret ({secret[..6]}…) appears in the logs");
            Assert.False(log.Contains(secret[^16..], StringComparison.Ordinal), $"the tail of a secret ({secret[..6]}…) appears in the logs");
        }
    }

    /// <summary>Every string property named like a secret, anywhere in the answer.</summary>
    private static IEnumerable<string> SecretsIn(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p =>
            p.Value.ValueKind == JsonValueKind.String && p.Name.Contains("secret", StringComparison.OrdinalIgnoreCase) ? [p.Value.GetString()!] : SecretsIn(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().SelectMany(SecretsIn),
        _ => [],
    };
}

[Trait("Category", "Sqlite")]
public sealed class SecretLogTests_Sqlite() : SecretLogTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class SecretLogTests_Postgres() : SecretLogTests(new PostgresProcessStorage());
