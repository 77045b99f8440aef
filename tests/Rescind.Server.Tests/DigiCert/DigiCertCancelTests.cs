using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>Every outcome of PUT /services/v2/order/certificate/{id}/status, on each database.</summary>
public abstract class DigiCertCancelTests(RescindServer server)
{
    [Fact]
    public async Task Canceling_a_pending_TLS_order_returns_204_and_the_order_stays_readable_as_canceled()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync("ssl_basic");
        Assert.Equal("pending", await t.StatusAsync(o.Id));

        var a = await t.CancelAsync(o.Id, "ordered the wrong product");

        Assert.Equal(204, a.Code);
        Assert.Equal("", a.Body);
        var order = (await t.GetOrderAsync(o.Id)).Json;
        Assert.Equal("canceled", order.GetProperty("status").GetString());
        Assert.True(order.GetProperty("refund_required").GetBoolean()); // paid from the balance by default
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, o.Id, "order_canceled"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_a_client_certificate_emailed_to_its_recipient_returns_204()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync("client_premium", csr: false);
        Assert.Equal("waiting_pickup", await t.StatusAsync(o.Id));

        Assert.Equal(204, (await t.CancelAsync(o.Id)).Code);

        Assert.Equal("canceled", await t.StatusAsync(o.Id));
        (await t.SimulateAsync(o.Id, "generate")).IsDigiCertError(400, "invalid_status|order"); // the link is dead
        Assert.Equal("canceled", await t.StatusAsync(o.Id));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_a_client_certificate_waiting_for_email_validation_returns_204()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync("client_email_security_plus", csr: true);
        Assert.Equal("pending", await t.StatusAsync(o.Id));

        Assert.Equal(204, (await t.CancelAsync(o.Id)).Code);

        Assert.Equal("canceled", await t.StatusAsync(o.Id));
        (await t.SimulateAsync(o.Id, "validate")).IsDigiCertError(400, "invalid_status|order");
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_an_order_paid_by_card_does_not_require_a_refund()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync(payment: "card");

        Assert.Equal(204, (await t.CancelAsync(o.Id)).Code);

        Assert.False((await t.GetOrderAsync(o.Id)).Json.GetProperty("refund_required").GetBoolean());
        var entry = (await t.AuditLogAsync(o.Id)).Single(e => e.GetProperty("action").GetString() == "cancel");
        Assert.False(entry.GetProperty("refund_required").GetBoolean());
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task The_cancel_is_in_the_audit_log_with_user_time_note_and_refund_flag()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        var a = await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{o.Id}/status",
            new { status = "canceled", note = "duplicate of order 41" }, new() { ["X-Request-Id"] = "req-cancel-1" });
        Assert.Equal(204, a.Code);
        Assert.Equal("req-cancel-1", a.Header("X-Request-Id"));

        var entry = (await t.AuditLogAsync(o.Id)).Single(e => e.GetProperty("action").GetString() == "cancel");
        Assert.Equal("order", entry.GetProperty("resource_type").GetString());
        Assert.Equal(o.Id, entry.GetProperty("resource_id").GetInt64());
        Assert.Equal("pending", entry.GetProperty("from_status").GetString());
        Assert.Equal("canceled", entry.GetProperty("to_status").GetString());
        Assert.Equal("duplicate of order 41", entry.GetProperty("note").GetString());
        Assert.True(entry.GetProperty("refund_required").GetBoolean());
        Assert.Equal("credential", entry.GetProperty("user").GetProperty("kind").GetString());
        Assert.Equal(t.Credential("digicert", "live").Id, entry.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("req-cancel-1", entry.GetProperty("request_id").GetString());
        Assert.EndsWith("Z", entry.GetProperty("date").GetString(), StringComparison.Ordinal);

        var evt = (await Audit.EventsAsync(server, o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Single(e => e.GetProperty("type").GetString() == "order_canceled");
        Assert.Equal(o.Id, evt.GetProperty("payload").GetProperty("order_id").GetInt64());
        Assert.Equal("canceled", evt.GetProperty("payload").GetProperty("status").GetString());
        Assert.Equal("duplicate of order 41", evt.GetProperty("payload").GetProperty("note").GetString());
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_an_order_that_needs_approval_is_refused_and_names_the_request_to_reject()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync("client_premium", skipApproval: false);
        Assert.Equal("needs_approval", await t.StatusAsync(o.Id));

        var a = await t.CancelAsync(o.Id);

        a.IsDigiCertError(400, "invalid_status|order");
        Assert.Contains("needs_approval", a.Message(), StringComparison.Ordinal);
        Assert.Contains($"/services/v2/request/{o.RequestId}/status", a.Message(), StringComparison.Ordinal);
        Assert.Equal("needs_approval", await t.StatusAsync(o.Id));
        Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));

        // The documented way out: the approver rejects the request.
        Assert.Equal(204, (await t.ProcessAsync(o.RequestId, "rejected", "not approved by finance")).Code);
        Assert.Equal("rejected", await t.StatusAsync(o.Id));
        var request = (await t.GetRequestAsync(o.RequestId)).Json;
        Assert.Equal("rejected", request.GetProperty("status").GetString());
        Assert.Equal("not approved by finance", request.GetProperty("processor_comment").GetString());
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, o.Id, "order_rejected"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task After_the_approver_rejects_the_request_the_cancel_of_the_order_is_accepted_as_the_seed_describes()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync("client_premium", csr: false, skipApproval: false, email: "dana@example.com");
        (await t.CancelAsync(o.Id, "Dana left")).IsDigiCertError(400, "invalid_status|order");

        // "The approver must reject the certificate request before the order can be canceled."
        Assert.Equal(204, (await t.ProcessAsync(o.RequestId, "rejected", "Dana left")).Code);
        var a = await t.CancelAsync(o.Id, "Dana left");

        Assert.Equal(204, a.Code);
        Assert.Equal("", a.Body);
        Assert.Equal(204, (await t.CancelAsync(o.Id, note: null)).Code); // nothing left to cancel: no note needed
        var order = (await t.GetOrderAsync(o.Id)).Json;
        Assert.Equal("rejected", order.GetProperty("status").GetString()); // never placed, so never charged
        Assert.False(order.GetProperty("refund_required").GetBoolean());
        Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));
        Assert.Equal(["order_created", "order_rejected"], await DigiCertClient.EventTypesAsync(server, o.Id));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_pending_reissue_is_canceled_without_a_note_and_its_request_has_no_processor_comment()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var reissue = (await t.ReissueAsync(id)).Json.GetProperty("requests")[0].GetProperty("id").GetInt64();

        Assert.Equal(204, (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{id}/status", """{"status":"canceled"}""")).Code);

        Assert.Equal("issued", await t.StatusAsync(id));
        var request = (await t.GetRequestAsync(reissue)).Json;
        Assert.Equal("rejected", request.GetProperty("status").GetString());
        Assert.False(request.TryGetProperty("processor_comment", out _));
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, id, "order_canceled"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Rejecting_a_pending_reissue_request_through_the_request_endpoint_cancels_the_reissue()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync("client_premium", csr: false);
        var certificate = (await t.GetOrderAsync(id)).Json.GetProperty("certificate").GetProperty("id").GetInt64();
        var reissue = (await t.ReissueAsync(id)).Json.GetProperty("requests")[0].GetProperty("id").GetInt64();

        Assert.Equal(204, (await t.ProcessAsync(reissue, "rejected", "not needed after all")).Code);

        var order = (await t.GetOrderAsync(id)).Json;
        Assert.Equal("issued", order.GetProperty("status").GetString());
        Assert.Equal(certificate, order.GetProperty("certificate").GetProperty("id").GetInt64());
        var request = (await t.GetRequestAsync(reissue)).Json;
        Assert.Equal("rejected", request.GetProperty("status").GetString());
        Assert.Equal("not needed after all", request.GetProperty("processor_comment").GetString());
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, id, "order_canceled"));
        Assert.Equal(204, (await t.ProcessAsync(reissue, "rejected")).Code); // already rejected: done
        (await t.SimulateAsync(id, "generate")).IsDigiCertError(400, "invalid_status|order"); // nothing left to generate
        (await t.CancelAsync(id)).IsDigiCertError(400, "invalid_status|order"); // issued again: revoke instead
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_an_issued_order_is_refused_with_advice_to_revoke()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var before = (await t.GetOrderAsync(id)).Body;

        var a = await t.CancelAsync(id);

        a.IsDigiCertError(400, "invalid_status|order");
        Assert.Contains("issued", a.Message(), StringComparison.Ordinal);
        Assert.Contains($"/services/v2/order/certificate/{id}/revoke", a.Message(), StringComparison.Ordinal);
        Assert.Equal(before, (await t.GetOrderAsync(id)).Body);
        Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, id, "cancel"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_a_revoked_an_expired_or_a_canceled_order_is_refused_naming_its_status()
    {
        var t = await Tenant.CreateAsync(server);
        var revoked = await t.IssuedOrderAsync();
        Assert.Equal(201, (await t.RevokeAsync(revoked)).Code);
        var expired = await t.IssuedOrderAsync();
        Assert.Equal(200, (await t.SimulateAsync(expired, "expire")).Code);
        var canceled = (await t.OrderAsync()).Id;
        Assert.Equal(204, (await t.CancelAsync(canceled)).Code);

        foreach (var (id, status) in new[] { (revoked, "revoked"), (expired, "expired"), (canceled, "canceled") })
        {
            var a = await t.CancelAsync(id);
            a.IsDigiCertError(400, "invalid_status|order");
            Assert.Contains(status, a.Message(), StringComparison.Ordinal);
            Assert.Equal(status, await t.StatusAsync(id));
        }
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, canceled, "cancel")); // not undoable, not repeatable
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, canceled, "order_canceled"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Canceling_a_pending_reissue_returns_the_order_to_issued_and_rejects_the_reissue_request_with_the_note()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var issued = (await t.GetOrderAsync(id)).Json.GetProperty("certificate");
        var reissue = await t.ReissueAsync(id);
        Assert.Equal(201, reissue.Code);
        var reissueRequest = reissue.Json.GetProperty("requests")[0].GetProperty("id").GetInt64();
        Assert.Equal("reissue_pending", await t.StatusAsync(id));

        var a = await t.CancelAsync(id, "reissued by mistake");

        Assert.Equal(204, a.Code);
        var order = (await t.GetOrderAsync(id)).Json;
        Assert.Equal("issued", order.GetProperty("status").GetString());
        Assert.Equal(issued.GetProperty("id").GetInt64(), order.GetProperty("certificate").GetProperty("id").GetInt64());
        Assert.Equal(issued.GetProperty("serial_number").GetString(), order.GetProperty("certificate").GetProperty("serial_number").GetString());
        Assert.False(order.GetProperty("refund_required").GetBoolean()); // a reissue costs nothing
        var request = (await t.GetRequestAsync(reissueRequest)).Json;
        Assert.Equal("reissue", request.GetProperty("type").GetString());
        Assert.Equal("rejected", request.GetProperty("status").GetString());
        Assert.Equal("reissued by mistake", request.GetProperty("processor_comment").GetString());
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, reissueRequest, "reject"));
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, id, "order_canceled"));

        // The reissue is gone: nothing left to validate, and the issued order can be reissued again.
        (await t.SimulateAsync(id, "validate")).IsDigiCertError(400, "invalid_status|order");
        Assert.Equal(201, (await t.ReissueAsync(id)).Code);
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("""{"status":"canceled"}""", "missing_param|note")]
    [InlineData("""{"status":"canceled","note":""}""", "missing_param|note")]
    [InlineData("""{"status":"canceled","note":"   "}""", "missing_param|note")]
    [InlineData("""{"status":"canceled","note":null}""", "missing_param|note")]
    [InlineData("""{"status":"canceled","note":42}""", "invalid_param|note")]
    [InlineData("""{"note":"x"}""", "missing_param|status")]
    [InlineData("""{"status":"issued","note":"x"}""", "invalid_param|status")]
    [InlineData("""{"status":"CANCELED","note":"x"}""", "invalid_param|status")]
    [InlineData("""{"status":true,"note":"x"}""", "invalid_param|status")]
    [InlineData("""{"status":"canceled","note":"x""", "bad_request_format")]
    [InlineData("""[]""", "bad_request_format")]
    public async Task A_bad_cancel_body_is_400_and_changes_nothing(string body, string code)
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{o.Id}/status", body)).IsDigiCertError(400, code);

        Assert.Equal("pending", await t.StatusAsync(o.Id));
        Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_note_longer_than_900_characters_is_invalid_param_note()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();
        (await t.CancelAsync(o.Id, new string('n', 901))).IsDigiCertError(400, "invalid_param|note");
        Assert.Equal(204, (await t.CancelAsync(o.Id, new string('n', 900))).Code);
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("renewed")]
    [InlineData("not_renewed")]
    public async Task The_renewal_markers_are_accepted_and_change_nothing(string status)
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        var a = await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{o.Id}/status", new { status });

        Assert.Equal(204, a.Code);
        Assert.Equal("pending", await t.StatusAsync(o.Id));
        Assert.Single(await Audit.RowsAsync(server, o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))); // only the create
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Another_accounts_order_is_404_not_found_order_and_stays_pending()
    {
        var owner = await Tenant.CreateAsync(server, "Owner");
        var other = await Tenant.CreateAsync(server, "Other");
        var o = await owner.OrderAsync();

        (await other.CancelAsync(o.Id)).IsDigiCertError(404, "not_found|order");
        (await other.GetOrderAsync(o.Id)).IsDigiCertError(404, "not_found|order");
        (await other.ProcessAsync(o.RequestId, "approved")).IsDigiCertError(404, "not_found|request");
        (await other.GetRequestAsync(o.RequestId)).IsDigiCertError(404, "not_found|request");
        (await other.DigiCertAsync(HttpMethod.Get, $"/services/v2/audit-log?filters[order_id]={o.Id}")).IsDigiCertError(404, "not_found|order");
        Assert.Equal("pending", await owner.StatusAsync(o.Id));
        Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData("999999999")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("12abc")]
    [InlineData("99999999999999999999999")]
    [InlineData("%F0%9F%92%A5")]
    public async Task Unknown_or_malformed_order_ids_are_404_not_found_order(string id)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{id}/status", new { status = "canceled", note = "x" }))
            .IsDigiCertError(404, "not_found|order");
        (await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/order/certificate/{id}")).IsDigiCertError(404, "not_found|order");
        await Audit.AssertVerifiedAsync(server);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-key")]
    public async Task Missing_or_wrong_dev_keys_are_401_access_denied_invalid_api_key(string? key)
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        (await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{o.Id}/status", new { status = "canceled", note = "x" },
            new() { ["X-DC-DEVKEY"] = key })).IsDigiCertError(401, "access_denied|invalid_api_key");
        Assert.Equal("pending", await t.StatusAsync(o.Id));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Another_APIs_key_the_operator_token_and_a_revoked_key_are_not_DigiCert_keys()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        (await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/order/certificate/{o.Id}", headers: new() { ["X-DC-DEVKEY"] = t.LiveKey }))
            .IsDigiCertError(401, "access_denied|invalid_api_key");
        (await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/order/certificate/{o.Id}", headers: new() { ["X-DC-DEVKEY"] = server.OperatorToken }))
            .IsDigiCertError(401, "access_denied|invalid_api_key");
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Delete, "/operator/credentials/" + t.Credential("digicert", "live").Id)).Code);
        (await t.CancelAsync(o.Id)).IsDigiCertError(401, "access_denied|invalid_api_key");
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertCancelTests_Sqlite(SqliteServer server) : DigiCertCancelTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertCancelTests_Postgres(PostgresServer server) : DigiCertCancelTests(server), IClassFixture<PostgresServer>;
