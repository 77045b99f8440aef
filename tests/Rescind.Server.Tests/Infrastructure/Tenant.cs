using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>An HTTP answer read whole: status, exact body text, headers, and the body parsed when it is JSON.</summary>
public sealed record Answer(HttpStatusCode Status, string Body, HttpResponseMessage Message)
{
    public int Code => (int)Status;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string Str(string name) => Json.GetProperty(name).GetString()!;

    public string? Header(string name) => Message.Headers.TryGetValues(name, out var v) ? v.First() : null;

    /// <summary>Numeral's error envelope: {code, type, message}.</summary>
    public void IsNumeralError(int status, string type)
    {
        Assert.True(Code == status, $"expected {status} {type}, got {Code}: {Body}");
        Assert.Equal(status, Json.GetProperty("code").GetInt32());
        Assert.Equal(type, Json.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(Json.GetProperty("message").GetString()));
        Assert.Equal(3, Json.EnumerateObject().Count());
    }
}

/// <summary>An account created through the operator API, with its credentials.</summary>
public sealed class Tenant(RescindServer server, string accountId, IReadOnlyDictionary<string, (string Id, string Secret)> credentials, HttpClient? via = null)
{
    /// <summary>The same tenant, talking to another node.</summary>
    public Tenant On(HttpClient node) => new(server, accountId, credentials, node);

    public const string NumeralVersion = "2026-03-01";

    public string AccountId => accountId;

    public string LiveKey => credentials["numeral.live"].Secret;

    public string TestKey => credentials["numeral.test"].Secret;

    public string LiveKeyId => credentials["numeral.live"].Id;

    /// <summary>Any credential the account was created with, by API and mode (e.g. "digicert", "live").</summary>
    public (string Id, string Secret) Credential(string api, string mode) => credentials[$"{api}.{mode}"];

    public RescindServer Server => server;

    /// <summary>A raw call on this tenant's node (or the server's client) with exactly the given headers.</summary>
    public Task<Answer> SendAsync(HttpMethod method, string path, string? body, Dictionary<string, string?> headers) =>
        SendAsync(server, method, path, body, headers, via);

    public static async Task<Tenant> CreateAsync(RescindServer server, string name = "Tenant")
    {
        var created = await Operator(server, HttpMethod.Post, "/operator/accounts", new { name });
        Assert.True(created.Code == 201, created.Body);
        var creds = created.Json.GetProperty("credentials").EnumerateArray()
            .ToDictionary(c => c.GetProperty("api").GetString() + "." + c.GetProperty("mode").GetString(),
                c => (c.GetProperty("id").GetString()!, c.GetProperty("secret").GetString()!));
        return new Tenant(server, created.Json.GetProperty("account").GetProperty("id").GetString()!, creds);
    }

    public static Task<Answer> Operator(RescindServer server, HttpMethod method, string path, object? body = null) =>
        SendAsync(server, method, path, body is null ? null : JsonSerializer.Serialize(body), new() { ["Authorization"] = "Bearer " + server.OperatorToken });

    /// <summary>A Numeral call with this tenant's live key and the current API version, unless overridden.</summary>
    public Task<Answer> Numeral(HttpMethod method, string path, object? body = null, Dictionary<string, string?>? headers = null)
    {
        var h = new Dictionary<string, string?> { ["Authorization"] = "Bearer " + LiveKey, ["X-API-Version"] = NumeralVersion };
        foreach (var (k, v) in headers ?? [])
        {
            h[k] = v;
        }
        return SendAsync(server, method, path, body switch { null => null, string s => s, _ => JsonSerializer.Serialize(body) }, h, via);
    }

    public async Task<string> CreateCustomerAsync(string? reference = null, string email = "buyer@example.com")
    {
        var a = await Numeral(HttpMethod.Post, "/tax/customers", new { reference_customer_id = reference, name = "Buyer", email });
        Assert.True(a.Code == 200, a.Body);
        return a.Str("id");
    }

    public async Task<string> CreateRequestAsync(string customerId, string type = "US-CA-CDTFA-230", string? expiresAt = null, string[]? jurisdictions = null)
    {
        var a = await Numeral(HttpMethod.Post, "/tax/certificate-requests",
            new { customer_id = customerId, certificate_type_id = type, jurisdictions = jurisdictions ?? ["US-CA"], expires_at = expiresAt });
        Assert.True(a.Code == 201, a.Body);
        return a.Str("id");
    }

    public async Task<string> PendingRequestAsync(string? expiresAt = null) => await CreateRequestAsync(await CreateCustomerAsync(), expiresAt: expiresAt);

    public Task<Answer> CancelAsync(string id) => Numeral(HttpMethod.Delete, "/tax/certificate-requests/" + id);

    public Task<Answer> GetAsync(string id) => Numeral(HttpMethod.Get, "/tax/certificate-requests/" + id);

    /// <summary>The customer's side, through the operator's simulation API.</summary>
    public Task<Answer> SimulateAsync(string id, string action) =>
        Operator(server, HttpMethod.Post, $"/operator/numeral/certificate-requests/{id}/{action}");

    public static async Task<Answer> SendAsync(RescindServer server, HttpMethod method, string path, string? body, Dictionary<string, string?> headers, HttpClient? via = null)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (k, v) in headers)
        {
            if (v is not null)
            {
                request.Headers.TryAddWithoutValidation(k, v);
            }
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        var response = await (via ?? server.Client).SendAsync(request);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }
}
