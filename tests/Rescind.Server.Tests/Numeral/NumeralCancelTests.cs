using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>Every documented outcome of DELETE /tax/certificate-requests/{id}, on each database.</summary>
public abstract class NumeralCancelTests(RescindServer server)
{
    private static readonly HttpMethod Delete = HttpMethod.Delete;

    [Fact]
    public async Task Canceling_a_pending_request_returns_200_with_the_full_object_canceled()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync("ref-42");
        var id = await t.CreateRequestAsync(customer);

        var a = await t.CancelAsync(id);

        Assert.Equal(200, a.Code);
        var o = a.Json;
        Assert.Equal(id, o.GetProperty("id").GetString());
        Assert.Equal("tax.certificate_request", o.GetProperty("object").GetString());
        Assert.Equal("canceled", o.GetProperty("status").GetString());
        Assert.Equal(customer, o.GetProperty("customer").GetProperty("id").GetString());
        Assert.Equal("ref-42", o.GetProperty("customer").GetProperty("reference_customer_id").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, o.GetProperty("certificate_id").ValueKind);
        Assert.Equal("US-CA-CDTFA-230", o.GetProperty("certificate_type_id").GetString());
        Assert.Equal("US-CA", o.GetProperty("jurisdictions")[0].GetString());
        Assert.True(o.GetProperty("livemode").GetBoolean());
        Assert.EndsWith("Z", o.GetProperty("updated_at").GetString(), StringComparison.Ordinal);
        Assert.Equal(a.Body, (await t.GetAsync(id)).Body); // the same shape GET returns [doc]
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "tax.certificate_request.canceled"));
    }

    [Fact]
    public async Task Canceling_twice_returns_200_with_a_byte_for_byte_identical_body_and_writes_once()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();

        var first = await t.CancelAsync(id);
        var second = await t.CancelAsync(id);
        var third = await t.CancelAsync(id);

        Assert.Equal(200, second.Code);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.Body, third.Body);
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "tax.certificate_request.canceled"));
    }

    [Fact]
    public async Task Canceling_a_fulfilled_request_returns_409_REQUEST_ALREADY_FULFILLED_and_changes_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.SimulateAsync(id, "submit")).Code);
        var accepted = await t.SimulateAsync(id, "accept");
        Assert.Equal("fulfilled", accepted.Str("status"));
        Assert.StartsWith("cert_", accepted.Str("certificate_id"), StringComparison.Ordinal);

        var a = await t.CancelAsync(id);

        a.IsNumeralError(409, "REQUEST_ALREADY_FULFILLED");
        Assert.Equal(accepted.Body, (await t.GetAsync(id)).Body);
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
    }

    [Fact]
    public async Task Canceling_a_rejected_request_returns_409_REQUEST_INVALID()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        await t.SimulateAsync(id, "submit");
        var rejected = await t.SimulateAsync(id, "reject");
        Assert.Equal("invalid", rejected.Str("status")); // failed shows as invalid [doc]

        (await t.CancelAsync(id)).IsNumeralError(409, "REQUEST_INVALID");
        Assert.Equal("invalid", (await t.GetAsync(id)).Str("status"));
    }

    [Fact]
    public async Task Canceling_a_request_mid_submission_cancels_it_and_it_showed_as_pending_before()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        await t.SimulateAsync(id, "submit");
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status")); // processing shows as pending [doc]

        var a = await t.CancelAsync(id);

        Assert.Equal("canceled", a.Str("status"));
        (await t.SimulateAsync(id, "accept")).IsNumeralError(409, "REQUEST_NOT_PENDING");
        Assert.Equal("canceled", (await t.GetAsync(id)).Str("status"));
    }

    [Fact]
    public async Task Another_accounts_request_is_404_CERTIFICATE_REQUEST_NOT_FOUND_and_stays_pending()
    {
        var owner = await Tenant.CreateAsync(server, "Owner");
        var other = await Tenant.CreateAsync(server, "Other");
        var id = await owner.PendingRequestAsync();

        (await other.CancelAsync(id)).IsNumeralError(404, "CERTIFICATE_REQUEST_NOT_FOUND");
        (await other.GetAsync(id)).IsNumeralError(404, "CERTIFICATE_REQUEST_NOT_FOUND");
        Assert.Equal("pending", (await owner.GetAsync(id)).Str("status"));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
    }

    [Theory]
    [InlineData("cert_req_01900000-0000-7000-8000-000000000000")]
    [InlineData("cert_req_not-a-uuid")]
    [InlineData("cust_01900000-0000-7000-8000-000000000000")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("cert_req_%F0%9F%92%A5")]
    public async Task Unknown_or_malformed_ids_are_404_CERTIFICATE_REQUEST_NOT_FOUND(string id)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Numeral(Delete, "/tax/certificate-requests/" + id)).IsNumeralError(404, "CERTIFICATE_REQUEST_NOT_FOUND");
        (await t.Numeral(HttpMethod.Get, "/tax/certificate-requests/" + id)).IsNumeralError(404, "CERTIFICATE_REQUEST_NOT_FOUND");
    }

    [Fact]
    public async Task A_test_key_gets_403_TESTMODE_NOT_SUPPORTED_on_every_certificate_request_endpoint()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var test = new Dictionary<string, string?> { ["Authorization"] = "Bearer " + t.TestKey };

        (await t.Numeral(Delete, "/tax/certificate-requests/" + id, headers: test)).IsNumeralError(403, "TESTMODE_NOT_SUPPORTED");
        (await t.Numeral(HttpMethod.Get, "/tax/certificate-requests/" + id, headers: test)).IsNumeralError(403, "TESTMODE_NOT_SUPPORTED");
        (await t.Numeral(HttpMethod.Get, "/tax/certificate-requests", headers: test)).IsNumeralError(403, "TESTMODE_NOT_SUPPORTED");
        (await t.Numeral(HttpMethod.Post, "/tax/certificate-requests", new { customer_id = "x" }, test)).IsNumeralError(403, "TESTMODE_NOT_SUPPORTED");
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("2025-01-01")]
    [InlineData("2026-03-01 ")]
    [InlineData("latest")]
    public async Task A_missing_or_unknown_X_API_Version_is_400_INVALID_API_VERSION(string? version)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();

        var a = await t.Numeral(Delete, "/tax/certificate-requests/" + id, headers: new() { ["X-API-Version"] = version });

        a.IsNumeralError(400, "INVALID_API_VERSION");
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer sk_live_nope")]
    [InlineData("Basic c2tfbGl2ZV94Og==")]
    [InlineData("bearer sk_live_x")]
    public async Task Missing_or_garbled_credentials_are_401_UNAUTHORIZED(string? authorization)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();

        (await t.Numeral(Delete, "/tax/certificate-requests/" + id, headers: new() { ["Authorization"] = authorization }))
            .IsNumeralError(401, "UNAUTHORIZED");
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_and_an_operator_token_is_not_a_numeral_key()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Delete, "/operator/credentials/" + t.LiveKeyId)).Code);

        (await t.CancelAsync(id)).IsNumeralError(401, "UNAUTHORIZED");
        (await t.Numeral(Delete, "/tax/certificate-requests/" + id, headers: new() { ["Authorization"] = "Bearer " + server.OperatorToken }))
            .IsNumeralError(401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Cancel_stops_reminders_and_removes_the_request_from_the_customers_outstanding_queue()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var keep = await t.CreateRequestAsync(customer);
        var cancel = await t.CreateRequestAsync(customer);
        Assert.Equal(2, await server.CountAsync("SELECT COUNT(*) FROM numeral_reminders WHERE request_id IN (@keep, @cancel)", new { keep, cancel }));

        await t.CancelAsync(cancel);

        var queue = await Tenant.Operator(server, HttpMethod.Get, $"/operator/numeral/customers/{customer}/outstanding");
        var ids = queue.Json.GetProperty("outstanding").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal([keep], ids);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM numeral_reminders WHERE request_id = @cancel", new { cancel }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM numeral_reminders WHERE request_id = @keep", new { keep }));
    }

    [Fact]
    public async Task The_audit_row_names_the_key_the_request_id_and_both_states()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();

        await t.Numeral(Delete, "/tax/certificate-requests/" + id, headers: new() { ["X-Request-Id"] = "trace-abc.123" });

        var row = (await Audit.RowsAsync(server, id)).Single(r => r.GetProperty("action").GetString() == "cancel");
        Assert.Equal("pending", row.GetProperty("from_state").GetString());
        Assert.Equal("canceled", row.GetProperty("to_state").GetString());
        Assert.Equal(t.AccountId, row.GetProperty("account_id").GetString());
        Assert.Equal(t.LiveKeyId, row.GetProperty("actor").GetProperty("id").GetString());
        Assert.Equal("trace-abc.123", row.GetProperty("request_id").GetString());
        var evt = (await Audit.EventsAsync(server, id)).Single(e => e.GetProperty("type").GetString() == "tax.certificate_request.canceled");
        Assert.Equal("canceled", evt.GetProperty("payload").GetProperty("status").GetString());
    }
}

[Trait("Category", "Sqlite")]
public sealed class NumeralCancelTests_Sqlite(SqliteServer server) : NumeralCancelTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralCancelTests_Postgres(PostgresServer server) : NumeralCancelTests(server), IClassFixture<PostgresServer>;
