using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>An order as a test placed it: the order id and its new_request id.</summary>
public sealed record PlacedOrder(long Id, long RequestId);

/// <summary>DigiCert calls for a tenant, with its dev key in X-DC-DEVKEY, and the simulated outside world.</summary>
public static class DigiCertClient
{
    public const string Csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBszCCARwCAQAwczELMAkGA1UEBhMCVVM=\n-----END CERTIFICATE REQUEST-----";

    public static string Key(this Tenant t) => t.Credential("digicert", "live").Secret;

    public static Task<Answer> DigiCertAsync(this Tenant t, HttpMethod method, string path, object? body = null, Dictionary<string, string?>? headers = null)
    {
        var h = new Dictionary<string, string?> { ["X-DC-DEVKEY"] = t.Key() };
        foreach (var (k, v) in headers ?? [])
        {
            h[k] = v;
        }
        return t.SendAsync(method, path, body switch { null => null, string s => s, _ => JsonSerializer.Serialize(body) }, h);
    }

    /// <summary>DigiCert's error envelope: {"errors":[{"code","message"}]}.</summary>
    public static void IsDigiCertError(this Answer a, int status, string code)
    {
        Assert.True(a.Code == status, $"expected {status} {code}, got {a.Code}: {a.Body}");
        var errors = a.Json.GetProperty("errors");
        Assert.Equal(1, errors.GetArrayLength());
        Assert.Equal(code, errors[0].GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(errors[0].GetProperty("message").GetString()));
        Assert.Single(a.Json.EnumerateObject());
    }

    public static string Message(this Answer a) => a.Json.GetProperty("errors")[0].GetProperty("message").GetString()!;

    public static async Task<PlacedOrder> OrderAsync(this Tenant t, string product = "ssl_basic", bool csr = true, bool skipApproval = true,
        string? payment = null, string commonName = "shop.example.com", string email = "alice@example.com")
    {
        var client = product.StartsWith("client_", StringComparison.Ordinal);
        var a = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/" + product, new
        {
            certificate = new { common_name = commonName, csr = csr ? Csr : null, emails = client ? new[] { email } : null },
            skip_approval = skipApproval,
            payment_method = payment,
        });
        Assert.True(a.Code == 201, a.Body);
        return new PlacedOrder(a.Json.GetProperty("id").GetInt64(), a.Json.GetProperty("requests")[0].GetProperty("id").GetInt64());
    }

    /// <summary>A TLS order validated by the CA: issued.</summary>
    public static async Task<long> IssuedOrderAsync(this Tenant t, string product = "ssl_basic", bool csr = true)
    {
        var o = await t.OrderAsync(product, csr);
        var a = await t.SimulateAsync(o.Id, csr || !product.StartsWith("client_", StringComparison.Ordinal) ? "validate" : "generate");
        Assert.True(a.Code == 200, a.Body);
        Assert.Equal("issued", a.Str("status"));
        return o.Id;
    }

    public static Task<Answer> CancelAsync(this Tenant t, long orderId, string? note = "no longer needed") =>
        t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{orderId}/status", new { status = "canceled", note });

    public static Task<Answer> GetOrderAsync(this Tenant t, long orderId) =>
        t.DigiCertAsync(HttpMethod.Get, $"/services/v2/order/certificate/{orderId}");

    /// <summary>Order info by a serial number or thumbprint in the order id's place [doc].</summary>
    public static Task<Answer> GetOrderAsync(this Tenant t, string serialOrThumbprint) =>
        t.DigiCertAsync(HttpMethod.Get, $"/services/v2/order/certificate/{serialOrThumbprint}");

    public static async Task<string> StatusAsync(this Tenant t, long orderId)
    {
        var a = await t.GetOrderAsync(orderId);
        Assert.True(a.Code == 200, a.Body);
        return a.Str("status");
    }

    public static Task<Answer> GetRequestAsync(this Tenant t, long requestId) =>
        t.DigiCertAsync(HttpMethod.Get, $"/services/v2/request/{requestId}");

    public static Task<Answer> ProcessAsync(this Tenant t, long requestId, string status, string? comment = null) =>
        t.DigiCertAsync(HttpMethod.Put, $"/services/v2/request/{requestId}/status", new { status, processor_comment = comment });

    public static Task<Answer> ReissueAsync(this Tenant t, long orderId) =>
        t.DigiCertAsync(HttpMethod.Post, $"/services/v2/order/certificate/{orderId}/reissue", new { certificate = new { csr = Csr } });

    public static Task<Answer> RevokeAsync(this Tenant t, long orderId) =>
        t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{orderId}/revoke", new { comments = "key compromise" });

    /// <summary>The outside world, through the operator's simulation API.</summary>
    public static Task<Answer> SimulateAsync(this Tenant t, long orderId, string action) =>
        Tenant.Operator(t.Server, HttpMethod.Post, $"/operator/digicert/orders/{orderId}/{action}");

    public static async Task<IReadOnlyList<JsonElement>> AuditLogAsync(this Tenant t, long orderId)
    {
        var a = await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/audit-log?filters[order_id]={orderId}");
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("audit_logs").EnumerateArray().ToList();
    }

    public static Task<int> ActionCountAsync(RescindServer server, long id, string action) => Audit.ActionCountAsync(server, id.ToString(System.Globalization.CultureInfo.InvariantCulture), action);

    public static Task<int> EventCountAsync(RescindServer server, long id, string type) => Audit.EventCountAsync(server, id.ToString(System.Globalization.CultureInfo.InvariantCulture), type);

    public static async Task<IReadOnlyList<string>> EventTypesAsync(RescindServer server, long id) =>
        (await Audit.EventsAsync(server, id.ToString(System.Globalization.CultureInfo.InvariantCulture))).Select(e => e.GetProperty("type").GetString()!).ToList();
}
