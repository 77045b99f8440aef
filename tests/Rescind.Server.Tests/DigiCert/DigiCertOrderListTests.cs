using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>The order list's documented filters and sort, and order info by serial number or thumbprint.</summary>
public abstract class DigiCertOrderListTests(RescindServer server)
{
    private static async Task<List<long>> IdsAsync(Tenant t, string query)
    {
        var a = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?" + query);
        Assert.True(a.Code == 200, a.Body);
        var ids = a.Json.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("id").GetInt64()).ToList();
        if (!query.Contains("limit=", StringComparison.Ordinal))
        {
            Assert.Equal(ids.Count, a.Json.GetProperty("page").GetProperty("total").GetInt64());
        }
        return ids;
    }

    private static async Task<long> PlaceAsync(Tenant t, string product, object body)
    {
        var a = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/" + product, body);
        Assert.True(a.Code == 201, a.Body);
        return a.Json.GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task Every_documented_filter_is_applied_and_an_unknown_product_matches_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var shop = await PlaceAsync(t, "ssl_multi_domain", new
        {
            certificate = new { common_name = "store.example.com", csr = DigiCertClient.Csr, dns_names = new[] { "cdn.example.com" } },
            organization = new { id = 41 },
            skip_approval = true,
        });
        var dana = (await t.OrderAsync("client_premium", csr: false, commonName: "Dana Smith", email: "Dana+work@example.com")).Id;
        var issued = await t.IssuedOrderAsync();
        var order = (await t.GetOrderAsync(issued)).Json;
        var serial = order.GetProperty("certificate").GetProperty("serial_number").GetString()!;
        var certificate = order.GetProperty("certificate").GetProperty("id").GetInt64();
        var validTill = order.GetProperty("certificate").GetProperty("valid_till").GetString()!;
        var today = server.Clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Empty(await IdsAsync(t, "filters[product_name_id]=nonexistent"));
        Assert.Equal([shop], await IdsAsync(t, "filters[product_name_id]=ssl_multi_domain"));
        Assert.Equal([shop], await IdsAsync(t, $"filters[id]={shop}"));
        Assert.Equal([shop], await IdsAsync(t, "filters[organization_id]=41"));
        Assert.Empty(await IdsAsync(t, "filters[organization_id]=42"));
        Assert.Equal([shop], await IdsAsync(t, "filters[common_name]=STORE.example.com"));
        Assert.Empty(await IdsAsync(t, "filters[common_name]=store.example")); // exact, not a substring
        Assert.Equal([shop], await IdsAsync(t, "filters[domain_name]=cdn.example.com"));
        Assert.Equal([dana], await IdsAsync(t, "filters[email]=dana%2Bwork@example.com"));
        Assert.Equal([issued], await IdsAsync(t, $"filters[certificate_id]={certificate}"));
        Assert.Equal([issued], await IdsAsync(t, $"filters[serial_number]={serial.ToLowerInvariant()}"));
        Assert.Equal([issued], await IdsAsync(t, $"filters[valid_till]={validTill}"));
        Assert.Equal([issued], await IdsAsync(t, $"filters[valid_till]=%3E%3D{today}"));
        Assert.Equal(3, (await IdsAsync(t, $"filters[date_created]={today}")).Count);
        Assert.Equal(3, (await IdsAsync(t, $"filters[date_created]=2020-01-01...{today}")).Count);
        Assert.Empty(await IdsAsync(t, $"filters[date_created]=%3C{today}"));
        Assert.Equal([issued, dana, shop], await IdsAsync(t, "filters[is_renewed]=0&filters[origin]=certcentral&filters[disable_renewal_notifications]=0"));
        Assert.Empty(await IdsAsync(t, "filters[is_renewed]=1"));
        Assert.Empty(await IdsAsync(t, "filters[origin]=migrated"));
        Assert.Equal([dana], await IdsAsync(t, "filters[status]=waiting_pickup&filters[search]=dana"));

        // "The issued status filter includes any order where the certificate has been issued, even if the order has expired."
        Assert.Equal(200, (await t.SimulateAsync(issued, "expire")).Code);
        Assert.Equal([issued], await IdsAsync(t, "filters[status]=issued"));
        Assert.Equal([issued], await IdsAsync(t, "filters[status]=expired"));
    }

    [Fact]
    public async Task Sort_orders_by_one_or_more_documented_properties_with_a_minus_for_descending()
    {
        var t = await Tenant.CreateAsync(server);
        var b = (await t.OrderAsync(commonName: "b.example.com")).Id;
        var a = (await t.OrderAsync(commonName: "a.example.com")).Id;
        var c = (await t.OrderAsync("ssl_plus", commonName: "c.example.com")).Id;

        Assert.Equal([c, a, b], await IdsAsync(t, ""));                        // newest first by default
        Assert.Equal([a, b, c], await IdsAsync(t, "sort=common_name"));
        Assert.Equal([c, b, a], await IdsAsync(t, "sort=-common_name"));
        Assert.Equal([b, a, c], await IdsAsync(t, "sort=%2Bid"));
        Assert.Equal([a, b, c], await IdsAsync(t, "sort=product_name_id,common_name"));
        Assert.Equal([c, a, b], await IdsAsync(t, "sort=-product_name_id,-date_created"));
        Assert.Equal([a], await IdsAsync(t, "sort=common_name&limit=1"));
    }

    [Theory]
    [InlineData("filters[colour]=red", "invalid_param|filters[colour]")]
    [InlineData("filters[product_name]=ssl_basic", "invalid_param|filters[product_name]")]
    [InlineData("filters[user_id]=14", "invalid_param|filters[user_id]")]
    [InlineData("filters[container_id]=1", "invalid_param|filters[container_id]")]
    [InlineData("filters[metadata_id]=1", "invalid_param|filters[metadata_id]")]
    [InlineData("filters[id]=abc", "invalid_param|filters[id]")]
    [InlineData("filters[organization_id]=-1", "invalid_param|filters[organization_id]")]
    [InlineData("filters[valid_till]=tomorrow", "invalid_param|filters[valid_till]")]
    [InlineData("filters[date_created]=2026-02-30", "invalid_param|filters[date_created]")]
    [InlineData("filters[date_created]=2026-03-01...2026-02-01", "invalid_param|filters[date_created]")]
    [InlineData("filters[is_renewed]=yes", "invalid_param|filters[is_renewed]")]
    [InlineData("filters[origin]=legacy", "invalid_param|filters[origin]")]
    [InlineData("sort=colour", "invalid_param|sort")]
    [InlineData("sort=--id", "invalid_param|sort")]
    [InlineData("sort=id,", "invalid_param|sort")]
    public async Task An_unknown_filter_an_unsupported_one_a_bad_value_or_an_unknown_sort_is_refused(string query, string code)
    {
        var t = await Tenant.CreateAsync(server);
        await t.OrderAsync();
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?" + query)).IsDigiCertError(400, code);
    }

    [Fact]
    public async Task Sorting_by_a_column_some_orders_lack_puts_those_last_in_both_directions()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = (await t.OrderAsync()).Id;
        var issued = await t.IssuedOrderAsync();

        Assert.Equal([issued, pending], await IdsAsync(t, "sort=valid_till"));
        Assert.Equal([issued, pending], await IdsAsync(t, "sort=-valid_till"));
    }

    [Fact]
    public async Task The_request_list_refuses_a_filter_it_does_not_have()
    {
        var t = await Tenant.CreateAsync(server);
        await t.OrderAsync(skipApproval: false);
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/request?filters[order_id]=1")).IsDigiCertError(400, "invalid_param|filters[order_id]");
        var pending = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/request?filters[status]=pending&filters[type]=new_request");
        Assert.Equal(1, pending.Json.GetProperty("requests").GetArrayLength());
    }

    [Fact]
    public async Task Order_info_is_found_by_the_certificates_serial_number_or_thumbprint_in_either_case_and_only_in_its_account()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        var id = await t.IssuedOrderAsync();
        var cert = (await t.GetOrderAsync(id)).Json.GetProperty("certificate");
        var serial = cert.GetProperty("serial_number").GetString()!;
        var thumbprint = cert.GetProperty("thumbprint").GetString()!;
        Assert.Equal(40, thumbprint.Length);

        foreach (var key in new[] { serial, serial.ToLowerInvariant(), thumbprint, thumbprint.ToLowerInvariant() })
        {
            var a = await t.GetOrderAsync(key);
            Assert.True(a.Code == 200, a.Body);
            Assert.Equal(id, a.Json.GetProperty("id").GetInt64());
            Assert.True(a.Json.TryGetProperty("requests", out JsonElement _));
            (await other.GetOrderAsync(key)).IsDigiCertError(404, "not_found|order");
        }
        (await t.GetOrderAsync(new string('A', 32))).IsDigiCertError(404, "not_found|order");
        Assert.False((await t.GetOrderAsync((await t.OrderAsync()).Id)).Json.GetProperty("certificate").TryGetProperty("thumbprint", out _));
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertOrderListTests_Sqlite(SqliteServer server) : DigiCertOrderListTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertOrderListTests_Postgres(PostgresServer server) : DigiCertOrderListTests(server), IClassFixture<PostgresServer>;
