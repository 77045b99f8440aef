using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// A node started while PostgreSQL cannot be reached (a fleet restarted during an outage) listens and waits instead
/// of crash-looping: <c>/healthz</c> says it is starting, every API answers 503 with Retry-After in its own envelope,
/// and once the database answers the schema is migrated and the node serves, without a restart. A start that
/// waiting cannot fix (a database that does not exist) is one line on stderr and exit code 1.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class StartWithoutDatabaseTests
{
    [Fact]
    public async Task A_node_started_while_PostgreSQL_is_unreachable_answers_503_in_each_envelope_then_serves_when_it_returns()
    {
        var storage = new PostgresProcessStorage();
        await storage.CreateAsync();
        var (host, port) = PostgresProcessStorage.Upstream;
        await using var proxy = new TcpProxy(host, port);
        proxy.Cut();
        var http = RescindProcess.FreePort();
        var token = "op_gate_" + Guid.NewGuid().ToString("N");
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var server = RescindProcess.Start(["serve", "--urls", $"http://127.0.0.1:{http}", .. storage.ArgsThrough(proxy), "--Rescind:OperatorToken=" + token],
            lines.Enqueue);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(20) };
        try
        {
            // Listening, not healthy: starting.
            using (var health = await UntilListeningAsync(client))
            {
                Assert.Equal(503, (int)health.StatusCode);
                Assert.Equal("starting", (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
            }
            var numeral = await SendAsync(client, "/tax/certificate-requests", ("Authorization", "Bearer sk_live_whatever"), ("X-API-Version", "2026-03-01"));
            Assert.Equal(503, numeral.Status);
            Assert.Equal("1", numeral.RetryAfter);
            Assert.Equal("SERVICE_UNAVAILABLE", numeral.Json.GetProperty("type").GetString());
            Assert.Equal(503, numeral.Json.GetProperty("code").GetInt32());
            var gocardless = await SendAsync(client, "/billing_requests", ("Authorization", "Bearer whatever"), ("GoCardless-Version", "2015-07-06"));
            Assert.Equal(503, gocardless.Status);
            Assert.Equal("1", gocardless.RetryAfter);
            Assert.True(gocardless.Json.TryGetProperty("error", out var gcError) && gcError.GetProperty("code").GetInt32() == 503, gocardless.Body);
            var op = await SendAsync(client, "/operator/accounts", ("Authorization", "Bearer " + token));
            Assert.Equal(503, op.Status);
            Assert.Equal(503, op.Json.GetProperty("status").GetInt32());
            Assert.False(server.HasExited, "the node gave up while the database was unreachable");
            Assert.Empty(await storage.QueryAsync<string>("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"));

            // The database answers again: migrated and serving, the same process.
            proxy.Restore();
            await RescindProcess.WaitHealthyAsync(client);
            Assert.False(server.HasExited);
            var created = await SendAsync(client, "/operator/accounts", """{"name":"After"}""", ("Authorization", "Bearer " + token));
            Assert.True(created.Status == 201, created.Body);
            var key = created.Json.GetProperty("credentials").EnumerateArray()
                .First(c => c.GetProperty("api").GetString() == "numeral" && c.GetProperty("mode").GetString() == "live").GetProperty("secret").GetString()!;
            var list = await SendAsync(client, "/tax/certificate-requests", ("Authorization", "Bearer " + key), ("X-API-Version", "2026-03-01"));
            Assert.True(list.Status == 200, list.Body);
            Assert.Contains(lines, l => l.Contains("cannot be reached", StringComparison.Ordinal));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await storage.DropAsync();
        }
    }

    [Fact]
    public async Task A_start_that_waiting_cannot_fix_says_why_in_one_line_and_exits_1()
    {
        var missing = new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString) { Database = "rescind_missing_" + Guid.NewGuid().ToString("N")[..8] };
        var (code, _, err) = await RescindProcess.RunAsync(["serve", "--urls", $"http://127.0.0.1:{RescindProcess.FreePort()}", "--database", missing.ToString()]);
        Assert.Equal(1, code);
        Assert.Contains("rescind: cannot start: ", err, StringComparison.Ordinal);
        Assert.Contains(missing.Database!, err, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", err, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> UntilListeningAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await client.GetAsync(new Uri("/healthz", UriKind.Relative));
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private sealed record Sent(int Status, string? RetryAfter, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    private static async Task<Sent> SendAsync(HttpClient client, string path, params (string Name, string Value)[] headers) =>
        await SendAsync(client, path, null, headers);

    private static async Task<Sent> SendAsync(HttpClient client, string path, string? body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, new Uri(path, UriKind.Relative));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        return new Sent((int)response.StatusCode, response.Headers.RetryAfter?.ToString(), await response.Content.ReadAsStringAsync());
    }
}
