using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Observability;

/// <summary>
/// What a real <c>rescind serve</c> writes per request: nothing at the default level (ASP.NET Core's own
/// per-request lines are off), exactly one line with <c>--log-requests</c>, and with <c>--log-format json</c> one
/// JSON object per line whose scopes carry the request's trace id.
/// </summary>
public abstract class LogTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    /// <summary>Serves with <paramref name="options"/>, sends <paramref name="requests"/> Numeral reads that carry
    /// a known trace id each, and returns every line the process wrote with those trace ids.</summary>
    private async Task<(IReadOnlyList<string> Lines, IReadOnlyList<ActivityTraceId> Traces)> ServeAsync(int requests, params string[] options)
    {
        var lines = new ConcurrentQueue<string>();
        var operatorToken = "op_logs_" + Guid.NewGuid().ToString("N");
        var port = RescindProcess.FreePort();
        var server = RescindProcess.Start(
            ["serve", "--urls", $"http://127.0.0.1:{port}", .. storage, "--Rescind:OperatorToken=" + operatorToken, .. options], lines.Enqueue);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var traces = new List<ActivityTraceId>();
        try
        {
            await RescindProcess.WaitHealthyAsync(http);
            using var accounts = new HttpRequestMessage(HttpMethod.Get, "/operator/accounts");
            accounts.Headers.TryAddWithoutValidation("Authorization", "Bearer " + operatorToken);
            Assert.Equal(200, (int)(await http.SendAsync(accounts)).StatusCode);
            await Task.Delay(200); // start-up lines are not per request: let them all out first
            lines.Clear();
            for (var i = 0; i < requests; i++)
            {
                var trace = ActivityTraceId.CreateRandom();
                traces.Add(trace);
                using var request = new HttpRequestMessage(HttpMethod.Get, "/operator/accounts");
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + operatorToken);
                request.Headers.TryAddWithoutValidation("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
                Assert.Equal(200, (int)(await http.SendAsync(request)).StatusCode);
            }
            // One more, unauthenticated and never logged at Information: once its answer is back, the console
            // logger has had the earlier lines queued; a short pause lets its writer flush them.
            Assert.Equal(401, (int)(await http.GetAsync("/operator/accounts")).StatusCode);
            await Task.Delay(500);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
        return ([.. lines], traces);
    }

    [Fact]
    public async Task At_the_default_level_a_request_writes_no_line()
    {
        var (lines, _) = await ServeAsync(5);

        Assert.True(lines.Count == 0, "lines written for 6 requests at the default level:\n" + string.Join("\n", lines));
    }

    [Fact]
    public async Task With_log_requests_each_request_writes_exactly_one_line()
    {
        var (lines, _) = await ServeAsync(5, "--log-requests");

        var requestLines = lines.Where(l => l.Contains("GET /operator/accounts", StringComparison.Ordinal)).ToList();
        Assert.True(requestLines.Count == 6, string.Join("\n", lines));
        Assert.Equal(5, requestLines.Count(l => l.Contains(" 200 ", StringComparison.Ordinal)));
        Assert.Single(requestLines, l => l.Contains(" 401 ", StringComparison.Ordinal));
        Assert.Equal(6, lines.Count);
    }

    [Fact]
    public async Task With_log_format_json_every_line_is_a_json_object_and_a_requests_line_carries_its_trace_id()
    {
        var (lines, traces) = await ServeAsync(3, "--log-format", "json", "--log-requests");

        Assert.True(lines.Count >= 3, string.Join("\n", lines));
        var parsed = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList(); // every line parses
        foreach (var trace in traces)
        {
            var line = Assert.Single(parsed, p => TraceIdOf(p) == trace.ToString());
            Assert.Equal("Rescind.Requests", line.GetProperty("Category").GetString());
            Assert.Equal("Information", line.GetProperty("LogLevel").GetString());
            Assert.Equal(200, line.GetProperty("State").GetProperty("Status").GetInt32());
            Assert.Equal("GET /operator/accounts", line.GetProperty("State").GetProperty("Operation").GetString());
        }
        Assert.All(parsed, p => Assert.NotNull(TraceIdOf(p))); // every line here was written while serving a request
    }

    /// <summary>The TraceId of the line's scopes (ASP.NET Core's activity tracking), or null.</summary>
    private static string? TraceIdOf(JsonElement line) =>
        line.TryGetProperty("Scopes", out var scopes)
            ? scopes.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out var t) ? t.GetString() : null).FirstOrDefault(t => t is not null)
            : null;
}

[Trait("Category", "Sqlite")]
public sealed class LogTests_Sqlite() : LogTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class LogTests_Postgres() : LogTests(new PostgresProcessStorage());
