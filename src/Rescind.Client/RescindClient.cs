using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Rescind.Client;

/// <summary>
/// Rescind's own cancellation API, typed. Every call authenticates with one Rescind key (<c>rk_live_…</c> or
/// <c>rk_test_…</c>) and sees that key's mode only. A problem answer (RFC 9457) throws <see cref="RescindApiException"/>.
/// </summary>
public sealed class RescindClient
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient http;
    private readonly string key;

    /// <param name="http">A client whose <see cref="HttpClient.BaseAddress"/> is the Rescind server.</param>
    /// <param name="key">The account's Rescind key.</param>
    public RescindClient(HttpClient http, string key)
    {
        this.http = http;
        this.key = key;
    }

    /// <summary>GET /v1/resources/{id}: any resource of the account (an id, or <c>api:id</c>).</summary>
    public Task<Resource> GetResourceAsync(string id, CancellationToken ct = default) =>
        SendAsync<Resource>(HttpMethod.Get, "/v1/resources/" + Uri.EscapeDataString(id), null, ct);

    /// <summary>POST /v1/cancellations: cancels (or previews, or schedules) up to 1,000 resources.</summary>
    public Task<Cancellation> CreateCancellationAsync(CancellationRequest request, CancellationToken ct = default) =>
        SendAsync<Cancellation>(HttpMethod.Post, "/v1/cancellations", request, ct);

    /// <summary>GET /v1/cancellations/{id}: the cancellation, deferred outcomes re-read.</summary>
    public Task<Cancellation> GetCancellationAsync(string id, CancellationToken ct = default) =>
        SendAsync<Cancellation>(HttpMethod.Get, "/v1/cancellations/" + Uri.EscapeDataString(id), null, ct);

    /// <summary>GET /v1/cancellations: newest first; pass the previous page's <see cref="CancellationPage.NextCursor"/>.</summary>
    public Task<CancellationPage> ListCancellationsAsync(int? limit = null, string? startingAfter = null, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (startingAfter is not null)
        {
            query.Add("starting_after=" + Uri.EscapeDataString(startingAfter));
        }
        return SendAsync<CancellationPage>(HttpMethod.Get, "/v1/cancellations" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), null, ct);
    }

    /// <summary>POST /v1/cancellations/{id}/cancel: cancels a scheduled cancellation before it runs.</summary>
    public Task<Cancellation> CancelScheduledAsync(string id, CancellationToken ct = default) =>
        SendAsync<Cancellation>(HttpMethod.Post, $"/v1/cancellations/{Uri.EscapeDataString(id)}/cancel", null, ct);

    /// <summary>GET /v1/reports/cancellations: outcome counts by day, API, reason and outcome.</summary>
    public Task<CancellationReport> GetReportAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (from is { } f)
        {
            query.Add("from=" + Uri.EscapeDataString(f.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)));
        }
        if (to is { } t)
        {
            query.Add("to=" + Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)));
        }
        return SendAsync<CancellationReport>(HttpMethod.Get, "/v1/reports/cancellations" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), null, ct);
    }

    /// <summary>GET /v1/events/stream: the account's cancellation events as they happen, after
    /// <paramref name="lastEventId"/> when given (resume), else from now. Ends when <paramref name="ct"/> fires.</summary>
    public async IAsyncEnumerable<RescindEvent> StreamEventsAsync(string? lastEventId = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events/stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await ThrowIfProblemAsync(response, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? id = null, type = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    yield return new RescindEvent(id, type ?? "message", data.ToString());
                }
                (id, type) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line[6..]);
            }
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request, ct);
        await ThrowIfProblemAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

    private static async Task ThrowIfProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var text = await response.Content.ReadAsStringAsync(ct);
        Problem? problem = null;
        try
        {
            problem = JsonSerializer.Deserialize<Problem>(text, Json);
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page): the status alone.
        }
        throw new RescindApiException((int)response.StatusCode, problem?.Title ?? "http_" + (int)response.StatusCode, problem?.Detail ?? text);
    }

    private sealed record Problem(string? Type, string? Title, int? Status, string? Detail);
}

/// <summary>A problem answer: <see cref="Code"/> is the problem's title (<c>idempotency_key_reused</c>, …).</summary>
public sealed class RescindApiException(int status, string code, string detail) : Exception($"{status} {code}: {detail}")
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The problem's code (its title).</summary>
    public string Code { get; } = code;

    /// <summary>The problem's detail, for people.</summary>
    public string Detail { get; } = detail;
}
