using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>Realistic journeys per product type, driven through HTTP from order to issuance, cancel or expiry,
/// and the clock that expires certificates.</summary>
public abstract class DigiCertScenarioTests(RescindServer server)
{
    [Fact]
    public async Task A_TLS_order_is_approved_validated_reissued_the_reissue_canceled_then_revoked()
    {
        var t = await Tenant.CreateAsync(server, "Web team");
        var placed = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/ssl_securesite_flex", new
        {
            certificate = new { common_name = "www.shop.example", csr = DigiCertClient.Csr, server_platform = new { id = -1 } },
            comments = "for the new shop",
            payment_method = "card",
        });
        Assert.Equal(201, placed.Code);
        var id = placed.Json.GetProperty("id").GetInt64();
        var requestId = placed.Json.GetProperty("requests")[0].GetProperty("id").GetInt64();
        Assert.Equal("pending", placed.Json.GetProperty("requests")[0].GetProperty("status").GetString());

        // The approver finds it in the pending requests and approves it.
        var queue = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/request?status=pending");
        Assert.Contains(requestId, queue.Json.GetProperty("requests").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal(204, (await t.ProcessAsync(requestId, "approved", "budget ok")).Code);
        Assert.Equal("pending", await t.StatusAsync(id));

        // The CA validates; the certificate is issued.
        Assert.Equal(200, (await t.SimulateAsync(id, "validate")).Code);
        Assert.Equal("issued", await t.StatusAsync(id));

        // A reissue is requested, then canceled: the order is issued again with its certificate.
        Assert.Equal(201, (await t.ReissueAsync(id)).Code);
        var listed = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[status]=reissue_pending");
        Assert.Equal(id, Assert.Single(listed.Json.GetProperty("orders").EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(204, (await t.CancelAsync(id, "wrong CSR")).Code);
        Assert.Equal("issued", await t.StatusAsync(id));

        // Decommissioned: cancel is refused, revoke works.
        (await t.CancelAsync(id)).IsDigiCertError(400, "invalid_status|order");
        Assert.Equal(201, (await t.RevokeAsync(id)).Code);
        Assert.Equal("revoked", await t.StatusAsync(id));

        var log = (await t.AuditLogAsync(id)).Where(e => e.GetProperty("resource_type").GetString() == "order")
            .Select(e => (e.GetProperty("action").GetString(), e.GetProperty("to_status").GetString())).ToList();
        Assert.Equal(
            [("create", "needs_approval"), ("approve", "pending"), ("validate", "issued"), ("reissue", "reissue_pending"), ("cancel", "issued"), ("revoke", "revoked")],
            log);
        Assert.Equal(
            ["order_created", "order_approved", "certificate_issued", "reissue_requested", "order_canceled", "certificate_revoked"],
            await DigiCertClient.EventTypesAsync(server, id));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_client_certificate_without_CSR_is_emailed_canceled_and_flagged_for_a_refund()
    {
        var t = await Tenant.CreateAsync(server, "HR");
        var o = await t.OrderAsync("client_premium", csr: false, skipApproval: false, commonName: "Dana Smith", email: "dana@corp.example");
        (await t.CancelAsync(o.Id)).IsDigiCertError(400, "invalid_status|order"); // not placed yet
        Assert.Equal(204, (await t.ProcessAsync(o.RequestId, "approved")).Code);
        Assert.Equal("waiting_pickup", await t.StatusAsync(o.Id));
        var mail = await Tenant.Operator(server, HttpMethod.Get, $"/operator/mail?resource_id={o.Id}");
        Assert.Equal("dana@corp.example", Assert.Single(mail.Json.GetProperty("mail").EnumerateArray()).GetProperty("to").GetString());

        // Dana left before generating it: the order is canceled from "Emailed to Recipient".
        var emailed = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate?filters[status]=waiting_pickup&filters[search]=dana");
        Assert.Equal(o.Id, Assert.Single(emailed.Json.GetProperty("orders").EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(204, (await t.CancelAsync(o.Id, "employee left")).Code);

        var order = (await t.GetOrderAsync(o.Id)).Json;
        Assert.Equal("canceled", order.GetProperty("status").GetString());
        Assert.True(order.GetProperty("refund_required").GetBoolean());
        (await t.SimulateAsync(o.Id, "generate")).IsDigiCertError(400, "invalid_status|order");
        var cancel = (await t.AuditLogAsync(o.Id)).Single(e => e.GetProperty("action").GetString() == "cancel");
        Assert.Equal("waiting_pickup", cancel.GetProperty("from_status").GetString());
        Assert.Equal("employee left", cancel.GetProperty("note").GetString());
        Assert.True(cancel.GetProperty("refund_required").GetBoolean());
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_client_certificate_with_CSR_is_issued_when_the_recipient_validates_their_email_and_expires_on_the_clock()
    {
        var t = await Tenant.CreateAsync(server, "Ops");
        var o = await t.OrderAsync("client_digital_signature_plus", csr: true, email: "erin@corp.example");
        Assert.Equal("pending", await t.StatusAsync(o.Id));
        var mail = await Tenant.Operator(server, HttpMethod.Get, $"/operator/mail?resource_id={o.Id}");
        Assert.Contains("Validate your email", Assert.Single(mail.Json.GetProperty("mail").EnumerateArray()).GetProperty("subject").GetString(), StringComparison.Ordinal);
        (await t.SimulateAsync(o.Id, "generate")).IsDigiCertError(400, "invalid_status|order"); // with a CSR there is no link to use

        Assert.Equal(200, (await t.SimulateAsync(o.Id, "validate")).Code);
        var reissue = await t.ReissueAsync(o.Id);
        Assert.Equal(201, reissue.Code);
        var reissueRequest = reissue.Json.GetProperty("requests")[0].GetProperty("id").GetInt64();

        // A year later the job expires it; the pending reissue dies with it.
        server.Clock.Advance(TimeSpan.FromDays(366));
        var run = await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");
        Assert.True(run.Json.GetProperty("handled").GetProperty("digicert-expiry").GetInt32() >= 1, run.Body);

        Assert.Equal("expired", await t.StatusAsync(o.Id));
        Assert.Equal("rejected", (await t.GetRequestAsync(reissueRequest)).Str("status"));
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, o.Id, "certificate_expired"));
        (await t.CancelAsync(o.Id)).IsDigiCertError(400, "invalid_status|order");
        (await t.RevokeAsync(o.Id)).IsDigiCertError(400, "invalid_status|order");
        var again = await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");
        Assert.Equal(0, again.Json.GetProperty("handled").GetProperty("digicert-expiry").GetInt32());
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, o.Id, "expire"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task The_expiry_job_leaves_certificates_that_are_still_valid_and_orders_that_were_never_issued()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = await t.OrderAsync();
        var issued = await t.IssuedOrderAsync();

        server.Clock.Advance(TimeSpan.FromDays(30));
        await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");

        Assert.Equal("pending", await t.StatusAsync(pending.Id));
        Assert.Equal("issued", await t.StatusAsync(issued));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertScenarioTests_Sqlite(SqliteServer server) : DigiCertScenarioTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertScenarioTests_Postgres(PostgresServer server) : DigiCertScenarioTests(server), IClassFixture<PostgresServer>;
