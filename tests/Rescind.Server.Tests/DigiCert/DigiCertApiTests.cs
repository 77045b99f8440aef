using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>Orders, requests and approvals, lists, reissue, revoke and the audit log API, on each database.</summary>
public abstract class DigiCertApiTests(RescindServer server)
{
    [Fact]
    public async Task Placing_a_TLS_order_without_approval_returns_201_with_the_order_and_an_approved_request()
    {
        var t = await Tenant.CreateAsync(server);

        var a = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/ssl_basic", new
        {
            certificate = new { common_name = "www.example.com", csr = DigiCertClient.Csr },
            skip_approval = true,
            validity_years = 2,
            organization = new { id = 112233 }, // fields we do not model are accepted
        });

        Assert.Equal(201, a.Code);
        var id = a.Json.GetProperty("id").GetInt64();
        var request = a.Json.GetProperty("requests")[0];
        Assert.Equal("approved", request.GetProperty("status").GetString());
        var order = (await t.GetOrderAsync(id)).Json;
        Assert.Equal("pending", order.GetProperty("status").GetString());
        Assert.Equal("www.example.com", order.GetProperty("certificate").GetProperty("common_name").GetString());
        Assert.Equal("ssl_basic", order.GetProperty("product").GetProperty("name_id").GetString());
        Assert.Equal("ssl_certificate", order.GetProperty("product").GetProperty("type").GetString());
        Assert.Equal("balance", order.GetProperty("payment_method").GetString());
        Assert.Equal(2, order.GetProperty("validity_years").GetInt32());
        Assert.EndsWith("Z", order.GetProperty("date_created").GetString(), StringComparison.Ordinal);
        Assert.False(order.GetProperty("certificate").TryGetProperty("date_issued", out _));
        var requests = order.GetProperty("requests");
        Assert.Equal(request.GetProperty("id").GetInt64(), requests[0].GetProperty("id").GetInt64());
        Assert.Equal("new_request", requests[0].GetProperty("type").GetString());
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, id, "order_created"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("ssl_basic", true, "pending")]
    [InlineData("client_premium", true, "pending")]
    [InlineData("client_premium", false, "waiting_pickup")]
    public async Task Approving_a_request_places_the_order_pending_or_emailed_to_the_recipient(string product, bool csr, string placed)
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync(product, csr, skipApproval: false);
        Assert.Equal("needs_approval", await t.StatusAsync(o.Id));
        var pending = (await t.GetRequestAsync(o.RequestId)).Json;
        Assert.Equal("pending", pending.GetProperty("status").GetString());
        Assert.Equal(o.Id, pending.GetProperty("order").GetProperty("id").GetInt64());
        Assert.Equal("needs_approval", pending.GetProperty("order").GetProperty("status").GetString());

        Assert.Equal(204, (await t.ProcessAsync(o.RequestId, "approved", "ok")).Code);

        Assert.Equal(placed, await t.StatusAsync(o.Id));
        var approved = (await t.GetRequestAsync(o.RequestId)).Json;
        Assert.Equal("approved", approved.GetProperty("status").GetString());
        Assert.Equal("ok", approved.GetProperty("processor_comment").GetString());
        Assert.EndsWith("Z", approved.GetProperty("date_processed").GetString(), StringComparison.Ordinal);
        // The processor is the user the approving key acts as [doc: a user details object].
        var me = (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/user/me")).Json;
        var processor = approved.GetProperty("processor");
        Assert.Equal(me.GetProperty("id").GetInt64(), processor.GetProperty("id").GetInt64());
        Assert.Equal(me.GetProperty("email").GetString(), processor.GetProperty("email").GetString());
        Assert.Equal(me.GetProperty("id").GetInt64(), approved.GetProperty("requester").GetProperty("id").GetInt64());
        // Approving again is a no-op; rejecting an approved request is refused.
        Assert.Equal(204, (await t.ProcessAsync(o.RequestId, "approved")).Code);
        (await t.ProcessAsync(o.RequestId, "rejected")).IsDigiCertError(400, "invalid_status|request");
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, o.Id, "approve"));
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, o.Id, "order_approved"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_client_certificate_emailed_to_its_recipient_sends_them_the_generation_link()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync("client_authentication_plus", csr: false, email: "bob@example.com");

        var mail = await Tenant.Operator(server, HttpMethod.Get, $"/operator/mail?resource_id={o.Id}");
        var sent = Assert.Single(mail.Json.GetProperty("mail").EnumerateArray());
        Assert.Equal("bob@example.com", sent.GetProperty("to").GetString());
        Assert.Contains($"/operator/digicert/orders/{o.Id}/generate", sent.GetProperty("body").GetString(), StringComparison.Ordinal);
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("""{"skip_approval":true}""", 400, "missing_param|certificate")]
    [InlineData("""{"certificate":"x"}""", 400, "invalid_param|certificate")]
    [InlineData("""{"certificate":{"csr":"x"}}""", 400, "missing_param|certificate.common_name")]
    [InlineData("""{"certificate":{"common_name":"a.example"}}""", 400, "missing_param|certificate.csr")]
    [InlineData("""{"certificate":{"common_name":"a.example","csr":"x"},"payment_method":"gold"}""", 400, "invalid_param|payment_method")]
    [InlineData("""{"certificate":{"common_name":"a.example","csr":"x"},"skip_approval":"yes"}""", 400, "invalid_param|skip_approval")]
    [InlineData("""{"certificate":{"common_name":"a.example","csr":"x"},"validity_years":4}""", 400, "invalid_param|validity_years")]
    [InlineData("""not json""", 400, "bad_request_format")]
    public async Task A_bad_TLS_order_body_is_refused_in_DigiCerts_envelope(string body, int status, string code)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/ssl_plus", body)).IsDigiCertError(status, code);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM digicert_orders WHERE account_id = @AccountId", new { t.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("""{"certificate":{"common_name":"Alice"}}""", "missing_param|certificate.emails")]
    [InlineData("""{"certificate":{"common_name":"Alice","emails":["not-an-email"]}}""", "invalid_param|certificate.emails")]
    [InlineData("""{"certificate":{"common_name":"Alice","emails":"alice@example.com"}}""", "invalid_param|certificate.emails")]
    public async Task A_client_certificate_needs_its_recipients_email(string body, string code)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/client_premium", body)).IsDigiCertError(400, code);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task An_unknown_product_is_404_not_found_product()
    {
        var t = await Tenant.CreateAsync(server);
        (await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/ssl_gold", new { certificate = new { common_name = "x", csr = "y" } }))
            .IsDigiCertError(404, "not_found|product");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_answered_in_DigiCerts_envelope()
    {
        var t = await Tenant.CreateAsync(server);
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/nothing-here")).IsDigiCertError(404, "not_found|route");
        (await t.DigiCertAsync(HttpMethod.Delete, "/services/v2/order/certificate/1")).IsDigiCertError(405, "method_not_allowed");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task The_order_list_filters_by_status_searches_and_pages_by_offset()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        await other.OrderAsync(commonName: "shop.example.com"); // never visible to t
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await t.OrderAsync(commonName: $"host{i}.Example.com")).Id);
        }
        var client = await t.OrderAsync("client_premium", csr: false, email: "carol@corp.example");
        Assert.Equal(204, (await t.CancelAsync(ids[0])).Code);

        var all = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate");
        Assert.Equal(6, all.Json.GetProperty("page").GetProperty("total").GetInt64());
        Assert.Equal(client.Id, all.Json.GetProperty("orders")[0].GetProperty("id").GetInt64()); // newest first

        var pending = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[status]=pending");
        Assert.Equal(ids.Skip(1).Reverse(), pending.Json.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("id").GetInt64()));
        var picked = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[status]=waiting_pickup");
        Assert.Equal(client.Id, Assert.Single(picked.Json.GetProperty("orders").EnumerateArray()).GetProperty("id").GetInt64());
        var canceled = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[status]=canceled");
        Assert.Equal(ids[0], Assert.Single(canceled.Json.GetProperty("orders").EnumerateArray()).GetProperty("id").GetInt64());

        var byName = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[search]=HOST3.example");
        Assert.Equal(ids[3], Assert.Single(byName.Json.GetProperty("orders").EnumerateArray()).GetProperty("id").GetInt64());
        var byEmail = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[search]=carol@");
        Assert.Equal(client.Id, Assert.Single(byEmail.Json.GetProperty("orders").EnumerateArray()).GetProperty("id").GetInt64());
        var byId = await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/order/certificate?filters[search]={ids[2]}");
        Assert.Contains(ids[2], byId.Json.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("id").GetInt64()));
        var wildcard = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[search]=%25");
        Assert.Equal(0, wildcard.Json.GetProperty("page").GetProperty("total").GetInt64()); // % is matched literally

        var page = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?offset=2&limit=2");
        Assert.Equal([ids[3], ids[2]], page.Json.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("id").GetInt64()));
        var p = page.Json.GetProperty("page");
        Assert.Equal((6L, 2, 2), (p.GetProperty("total").GetInt64(), p.GetProperty("limit").GetInt32(), p.GetProperty("offset").GetInt32()));
        var past = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?offset=50");
        Assert.Equal(0, past.Json.GetProperty("orders").GetArrayLength());
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("filters[status]=done", "invalid_param|filters[status]")]
    [InlineData("limit=0", "invalid_param|limit")]
    [InlineData("limit=1001", "invalid_param|limit")]
    [InlineData("offset=-1", "invalid_param|offset")]
    [InlineData("offset=x", "invalid_param|offset")]
    public async Task Bad_list_parameters_are_400(string query, string code)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?" + query)).IsDigiCertError(400, code);
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task The_request_list_shows_pending_approvals_with_their_orders()
    {
        var t = await Tenant.CreateAsync(server);
        var a = await t.OrderAsync("ssl_basic", skipApproval: false, commonName: "a.example.com");
        var b = await t.OrderAsync("client_premium", skipApproval: false);
        await t.OrderAsync("ssl_basic"); // approved at once
        Assert.Equal(204, (await t.ProcessAsync(a.RequestId, "rejected", "no")).Code);

        var pending = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/request?status=pending");

        var only = Assert.Single(pending.Json.GetProperty("requests").EnumerateArray());
        Assert.Equal(b.RequestId, only.GetProperty("id").GetInt64());
        Assert.Equal("new_request", only.GetProperty("type").GetString());
        Assert.Equal(b.Id, only.GetProperty("order").GetProperty("id").GetInt64());
        Assert.Equal("needs_approval", only.GetProperty("order").GetProperty("status").GetString());
        Assert.Equal(1, pending.Json.GetProperty("page").GetProperty("total").GetInt64());
        var rejected = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/request?filters[status]=rejected");
        Assert.Equal(a.RequestId, Assert.Single(rejected.Json.GetProperty("requests").EnumerateArray()).GetProperty("id").GetInt64());
        var all = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/request?limit=2");
        Assert.Equal(3, all.Json.GetProperty("page").GetProperty("total").GetInt64());
        Assert.Equal(2, all.Json.GetProperty("requests").GetArrayLength());
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/request?status=done")).IsDigiCertError(400, "invalid_param|status");
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("""{"processor_comment":"x"}""", "missing_param|status")]
    [InlineData("""{"status":"pending"}""", "invalid_param|status")]
    [InlineData("""{"status":"canceled"}""", "invalid_param|status")]
    public async Task A_bad_request_status_body_is_400(string body, string code)
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync(skipApproval: false);
        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/request/{o.RequestId}/status", body)).IsDigiCertError(400, code);
        Assert.Equal("needs_approval", await t.StatusAsync(o.Id));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_reissue_request_is_not_approved_through_the_request_endpoint()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var reissue = (await t.ReissueAsync(id)).Json.GetProperty("requests")[0].GetProperty("id").GetInt64();

        (await t.ProcessAsync(reissue, "approved")).IsDigiCertError(400, "invalid_type|request");
        Assert.Equal("reissue_pending", await t.StatusAsync(id));
        (await t.ProcessAsync(987654321, "approved")).IsDigiCertError(404, "not_found|request");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Validating_a_pending_TLS_order_issues_it_with_a_certificate_and_an_event()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        var a = await t.SimulateAsync(o.Id, "validate");

        Assert.Equal(200, a.Code);
        var cert = a.Json.GetProperty("certificate");
        Assert.Equal("issued", a.Str("status"));
        Assert.True(cert.GetProperty("id").GetInt64() > 0);
        Assert.Equal(32, cert.GetProperty("serial_number").GetString()!.Length);
        Assert.EndsWith("Z", cert.GetProperty("date_issued").GetString(), StringComparison.Ordinal);
        var issuedOn = DateTimeOffset.Parse(cert.GetProperty("date_issued").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(issuedOn.UtcDateTime.AddDays(365).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            cert.GetProperty("valid_till").GetString()); // one year by default [ours: 365 days a year]
        Assert.Equal(a.Body, (await t.GetOrderAsync(o.Id)).Body);
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, o.Id, "certificate_issued"));
        (await t.SimulateAsync(o.Id, "generate")).IsDigiCertError(400, "invalid_status|order");
        (await t.SimulateAsync(o.Id, "nope")).IsDigiCertError(404, "not_found|route");
        (await t.SimulateAsync(123456789, "validate")).IsDigiCertError(404, "not_found|order");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Revoking_an_issued_order_returns_the_approved_revoke_request_and_emits_certificate_revoked()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();

        var a = await t.RevokeAsync(id);

        Assert.Equal(201, a.Code);
        Assert.Equal("revoke", a.Str("type"));
        Assert.Equal("approved", a.Str("status"));
        Assert.Equal("key compromise", a.Str("comments"));
        Assert.Equal(id, a.Json.GetProperty("order").GetProperty("id").GetInt64());
        Assert.Equal("revoked", await t.StatusAsync(id));
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, id, "certificate_revoked"));
        (await t.RevokeAsync(id)).IsDigiCertError(400, "invalid_status|order");
        (await t.ReissueAsync(id)).IsDigiCertError(400, "invalid_status|order");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Revoke_and_reissue_need_an_issued_order()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();
        (await t.RevokeAsync(o.Id)).IsDigiCertError(400, "invalid_status|order");
        (await t.ReissueAsync(o.Id)).IsDigiCertError(400, "invalid_status|order");
        var id = await t.IssuedOrderAsync();
        Assert.Equal(201, (await t.ReissueAsync(id)).Code);
        (await t.ReissueAsync(id)).IsDigiCertError(400, "invalid_status|order");
        var refused = await t.RevokeAsync(id);
        refused.IsDigiCertError(400, "invalid_status|order");
        Assert.Contains("cancel the reissue", refused.Message(), StringComparison.Ordinal);
        (await t.RevokeAsync(987654321)).IsDigiCertError(404, "not_found|order");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_completed_reissue_issues_a_new_certificate_and_approves_the_reissue_request()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var first = (await t.GetOrderAsync(id)).Json.GetProperty("certificate");
        var request = (await t.ReissueAsync(id)).Json.GetProperty("requests")[0].GetProperty("id").GetInt64();

        var a = await t.SimulateAsync(id, "validate");

        Assert.Equal("issued", a.Str("status"));
        var second = a.Json.GetProperty("certificate");
        Assert.NotEqual(first.GetProperty("id").GetInt64(), second.GetProperty("id").GetInt64());
        Assert.Equal(first.GetProperty("valid_till").GetString(), second.GetProperty("valid_till").GetString());
        Assert.Equal("approved", (await t.GetRequestAsync(request)).Str("status"));
        Assert.Equal(2, await DigiCertClient.EventCountAsync(server, id, "certificate_issued"));
        (await t.CancelAsync(id)).IsDigiCertError(400, "invalid_status|order");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task The_audit_log_lists_an_orders_changes_and_its_requests_with_date_filters_and_paging()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync(skipApproval: false);
        await t.OrderAsync(); // another order: not in the filtered log
        Assert.Equal(204, (await t.ProcessAsync(o.RequestId, "approved", "fine")).Code);
        server.Clock.Advance(TimeSpan.FromDays(1));
        var afterApproval = server.Clock.GetUtcNow();
        Assert.Equal(204, (await t.CancelAsync(o.Id, "changed plans")).Code);

        var log = await t.AuditLogAsync(o.Id);
        Assert.Equal(
            [("order", "create"), ("request", "create"), ("order", "approve"), ("request", "approve"), ("order", "cancel")],
            log.Select(e => (e.GetProperty("resource_type").GetString(), e.GetProperty("action").GetString())));
        Assert.Equal("fine", log[3].GetProperty("processor_comment").GetString());
        Assert.Equal("changed plans", log[4].GetProperty("note").GetString());

        var since = await t.DigiCertAsync(HttpMethod.Get,
            $"/services/v2/audit-log?filters[order_id]={o.Id}&filters[date_from]={afterApproval.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}");
        Assert.Equal("cancel", Assert.Single(since.Json.GetProperty("audit_logs").EnumerateArray()).GetProperty("action").GetString());
        var until = await t.DigiCertAsync(HttpMethod.Get,
            $"/services/v2/audit-log?filters[order_id]={o.Id}&filters[date_to]={afterApproval.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}");
        Assert.Equal(4, until.Json.GetProperty("audit_logs").GetArrayLength());

        var all = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/audit-log?offset=1&limit=2");
        Assert.Equal(2, all.Json.GetProperty("audit_logs").GetArrayLength());
        Assert.Equal(7, all.Json.GetProperty("page").GetProperty("total").GetInt64());
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/audit-log?filters[date_from]=yesterday")).IsDigiCertError(400, "invalid_param|filters[date_from]");
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/audit-log?filters[order_id]=x")).IsDigiCertError(404, "not_found|order");

        var stranger = await Tenant.CreateAsync(server, "Stranger");
        var theirs = await stranger.DigiCertAsync(HttpMethod.Get, "/services/v2/audit-log");
        Assert.Equal(0, theirs.Json.GetProperty("page").GetProperty("total").GetInt64());
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task An_oversized_body_is_413_request_too_large_in_DigiCerts_envelope()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();
        var huge = "{\"status\":\"canceled\",\"note\":\"" + new string('x', 70 * 1024) + "\"}";

        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{o.Id}/status", huge)).IsDigiCertError(413, "request_too_large");
        Assert.Equal("pending", await t.StatusAsync(o.Id));
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_DigiCert_routes()
    {
        var a = await Tenant.SendAsync(server, HttpMethod.Get, "/openapi/digicert.json", null, []);
        Assert.True(a.Code == 200, a.Body);
        var paths = a.Json.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/services/v2/order/certificate/{order_id}/status", out _), a.Body);
        Assert.True(paths.TryGetProperty("/services/v2/audit-log", out _), a.Body);
    }

    [Fact]
    public async Task Every_response_carries_an_X_Request_Id_even_a_401()
    {
        var t = await Tenant.CreateAsync(server);
        var a = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate", headers: new() { ["X-DC-DEVKEY"] = null });
        a.IsDigiCertError(401, "access_denied|invalid_api_key");
        Assert.NotNull(a.Header("X-Request-Id"));
        Assert.Equal(JsonValueKind.Array, a.Json.GetProperty("errors").ValueKind);
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertApiTests_Sqlite(SqliteServer server) : DigiCertApiTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertApiTests_Postgres(PostgresServer server) : DigiCertApiTests(server), IClassFixture<PostgresServer>;
