using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>GoCardless calls as the official client makes them: Bearer token, GoCardless-Version, an
/// Idempotency-Key on every POST unless the test gives its own (or null for none).</summary>
public static class GoCardlessClient
{
    public const string Version = "2015-07-06";

    public static Task<Answer> Gc(this Tenant t, HttpMethod method, string path, object? body = null, Dictionary<string, string?>? headers = null, string mode = "live")
    {
        var h = new Dictionary<string, string?>
        {
            ["Authorization"] = "Bearer " + t.Credential("gocardless", mode).Secret,
            ["GoCardless-Version"] = Version,
        };
        if (method == HttpMethod.Post)
        {
            h["Idempotency-Key"] = Guid.NewGuid().ToString();
        }
        foreach (var (k, v) in headers ?? [])
        {
            h[k] = v;
        }
        return t.SendAsync(method, path, body switch { null => null, string s => s, _ => JsonSerializer.Serialize(body) }, h);
    }

    public static async Task<string> CreateBillingRequestAsync(this Tenant t, bool mandate = true, bool payment = false, string mode = "live", string? customer = null, bool fallback = false)
    {
        var br = new Dictionary<string, object?>();
        if (mandate)
        {
            br["mandate_request"] = new { currency = "GBP", scheme = "bacs" };
        }
        if (payment)
        {
            br["payment_request"] = new { amount = 1500, currency = "GBP", description = "First box" };
        }
        if (customer is not null)
        {
            br["links"] = new { customer };
        }
        if (fallback)
        {
            br["fallback_enabled"] = true;
        }
        var a = await t.Gc(HttpMethod.Post, "/billing_requests", new { billing_requests = br }, mode: mode);
        Assert.True(a.Code == 201, a.Body);
        return a.Json.GetProperty("billing_requests").GetProperty("id").GetString()!;
    }

    public static async Task<(string Id, string Url)> CreateFlowAsync(this Tenant t, string billingRequest, bool autoFulfil = false, string mode = "live")
    {
        var a = await t.Gc(HttpMethod.Post, "/billing_request_flows",
            new { billing_request_flows = new { links = new { billing_request = billingRequest }, auto_fulfil = autoFulfil } }, mode: mode);
        Assert.True(a.Code == 201, a.Body);
        var f = a.Json.GetProperty("billing_request_flows");
        return (f.GetProperty("id").GetString()!, f.GetProperty("authorisation_url").GetString()!);
    }

    public static Task<Answer> BrActAsync(this Tenant t, string id, string action, object? data = null, string mode = "live", Dictionary<string, string?>? headers = null) =>
        t.Gc(HttpMethod.Post, $"/billing_requests/{id}/actions/{action}", new { data = data ?? new { } }, headers, mode);

    public static Task<Answer> BrCancelAsync(this Tenant t, string id, object? metadata = null, string mode = "live") =>
        t.BrActAsync(id, "cancel", metadata is null ? null : new { metadata }, mode);

    public static Task<Answer> BrGetAsync(this Tenant t, string id, string mode = "live") => t.Gc(HttpMethod.Get, "/billing_requests/" + id, mode: mode);

    public static async Task<string> StatusAsync(this Tenant t, string id) => (await t.BrGetAsync(id)).BillingRequest().GetProperty("status").GetString()!;

    /// <summary>The payer completes an action (operator simulation, default details).</summary>
    public static Task<Answer> PayerAsync(this Tenant t, string id, string action) =>
        Tenant.Operator(t.Server, HttpMethod.Post, $"/operator/gocardless/billing_requests/{id}/actions/{action}");

    /// <summary>The payer completes an action on the hosted flow page.</summary>
    public static Task<Answer> PageActAsync(this Tenant t, string flowId, string action, object? data = null) =>
        t.SendAsync(HttpMethod.Post, $"/gocardless/flows/{flowId}/actions/{action}", data is null ? null : JsonSerializer.Serialize(new { data }), []);

    public static Task<Answer> SimulateAsync(this Tenant t, string path) => Tenant.Operator(t.Server, HttpMethod.Post, "/operator/gocardless/" + path);

    /// <summary>A mandate request the payer has completed every action of: ready_to_fulfil.</summary>
    public static async Task<string> ReadyRequestAsync(this Tenant t)
    {
        var id = await t.CreateBillingRequestAsync();
        foreach (var action in new[] { "collect_customer_details", "collect_bank_account", "confirm_payer_details" })
        {
            var a = await t.PayerAsync(id, action);
            Assert.True(a.Code == 200, a.Body);
        }
        Assert.Equal("ready_to_fulfil", await t.StatusAsync(id));
        return id;
    }

    /// <summary>A request the payer completed and the API fulfilled: with a mandate request, and a payment request
    /// when <paramref name="payment"/> (then also the payer's bank authorisation).</summary>
    public static async Task<JsonElement> FulfilledRequestAsync(this Tenant t, bool mandate = true, bool payment = true, string mode = "live")
    {
        var id = await t.CreateBillingRequestAsync(mandate, payment, mode);
        var actions = (await t.BrGetAsync(id, mode)).BillingRequest().GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("type").GetString()!).ToList();
        foreach (var action in actions)
        {
            var a = await t.PayerAsync(id, action);
            Assert.True(a.Code == 200, a.Body);
        }
        return (await t.BrActAsync(id, "fulfil", mode: mode)).BillingRequest();
    }

    public static JsonElement BillingRequest(this Answer a)
    {
        Assert.True(a.Code is 200 or 201, a.Body);
        return a.Json.GetProperty("billing_requests");
    }

    /// <summary>GoCardless's error envelope with one error of the given reason (or field, for validation).</summary>
    public static JsonElement IsGcError(this Answer a, int status, string type, string? reason = null, string? field = null)
    {
        Assert.True(a.Code == status, $"expected {status} {type} {reason ?? field}, got {a.Code}: {a.Body}");
        var e = a.Json.GetProperty("error");
        Assert.Single(a.Json.EnumerateObject());
        Assert.Equal(status, e.GetProperty("code").GetInt32());
        Assert.Equal(type, e.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()));
        Assert.StartsWith("https://developer.gocardless.com/api-reference#", e.GetProperty("documentation_url").GetString(), StringComparison.Ordinal);
        Assert.Equal(a.Header("X-Request-Id"), e.GetProperty("request_id").GetString());
        var error = Assert.Single(e.GetProperty("errors").EnumerateArray());
        if (reason is not null)
        {
            Assert.Equal(reason, error.GetProperty("reason").GetString());
        }
        if (field is not null)
        {
            Assert.Equal(field, error.GetProperty("field").GetString());
        }
        return error;
    }

    public static async Task<IReadOnlyList<JsonElement>> EventsAsync(this Tenant t, string billingRequest, string mode = "live")
    {
        var a = await t.Gc(HttpMethod.Get, "/events?billing_request=" + billingRequest + "&limit=500", mode: mode);
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("events").EnumerateArray().ToList();
    }
}
