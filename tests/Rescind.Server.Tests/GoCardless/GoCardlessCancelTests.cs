using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>Every outcome of POST /billing_requests/{id}/actions/cancel, and the flows it expires, on each database.</summary>
public abstract class GoCardlessCancelTests(RescindServer server)
{
    [Fact]
    public async Task Cancelling_a_pending_request_returns_200_cancelled_with_an_event_an_audit_row_and_every_flow_expired()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync(payment: true);
        var (flow1, url1) = await t.CreateFlowAsync(id);
        var (flow2, _) = await t.CreateFlowAsync(id);

        var a = await t.BrCancelAsync(id, new { reason = "customer asked" });

        var br = a.BillingRequest();
        Assert.Equal(200, a.Code);
        Assert.Equal("cancelled", br.GetProperty("status").GetString());
        Assert.Equal(0, br.GetProperty("actions").GetArrayLength()); // as the vendor's example shows
        Assert.Equal("customer asked", br.GetProperty("metadata").GetProperty("reason").GetString());
        Assert.Equal(a.Body, (await t.BrGetAsync(id)).Body);

        var events = await t.EventsAsync(id);
        var cancelled = Assert.Single(events, e => e.GetProperty("action").GetString() == "cancelled");
        Assert.Equal("billing_requests", cancelled.GetProperty("resource_type").GetString());
        Assert.Equal("api", cancelled.GetProperty("details").GetProperty("origin").GetString());
        Assert.Equal("billing_request_cancelled", cancelled.GetProperty("details").GetProperty("cause").GetString());
        Assert.Equal("This billing request has been cancelled none of the resources have been created.",
            cancelled.GetProperty("details").GetProperty("description").GetString());
        Assert.Equal(id, cancelled.GetProperty("links").GetProperty("billing_request").GetString());
        Assert.Matches("^EV[0-9A-Z]{12}$", cancelled.GetProperty("id").GetString()!);

        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "billing_requests.cancelled"));
        var cancelledAt = DateTimeOffset.Parse(cancelled.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var flow in new[] { flow1, flow2 })
        {
            var f = (await t.Gc(HttpMethod.Get, "/billing_request_flows/" + flow)).Json.GetProperty("billing_request_flows");
            Assert.Equal(cancelledAt, DateTimeOffset.Parse(f.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(1, await Audit.ActionCountAsync(server, flow, "expire"));
        }
        Assert.Equal(2, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE billing_request_id = @id AND state = 'expired'", new { id }));

        // The expired flow's page says so and accepts nothing.
        var page = await t.SendAsync(HttpMethod.Get, new Uri(url1).PathAndQuery, null, []);
        Assert.Equal(410, page.Code);
        Assert.Contains("expired", page.Body, StringComparison.Ordinal);
        (await t.PageActAsync(flow1, "collect_customer_details")).IsGcError(410, "invalid_state", "billing_request_flow_expired");
        (await t.Gc(HttpMethod.Post, $"/billing_request_flows/{flow1}/actions/initialise", new { data = new { } }))
            .IsGcError(422, "invalid_state", "billing_request_flow_expired");
        Assert.Equal("cancelled", await t.StatusAsync(id));
    }

    [Fact]
    public async Task Cancelling_a_request_ready_to_fulfil_cancels_it()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.ReadyRequestAsync();

        Assert.Equal("cancelled", (await t.BrCancelAsync(id)).BillingRequest().GetProperty("status").GetString());
        (await t.BrActAsync(id, "fulfil")).IsGcError(422, "invalid_state", "billing_request_not_ready_to_fulfil");
    }

    [Theory]
    [InlineData("fulfilling")]
    [InlineData("fulfilled")]
    [InlineData("cancelled")]
    public async Task Cancelling_a_request_that_is_fulfilling_fulfilled_or_cancelled_is_422_invalid_state_cancellation_failed(string state)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.ReadyRequestAsync();
        switch (state)
        {
            case "fulfilling":
                Assert.Equal(200, (await t.SimulateAsync($"billing_requests/{id}/fulfilling")).Code);
                break;
            case "fulfilled":
                Assert.Equal(200, (await t.BrActAsync(id, "fulfil")).Code);
                break;
            default:
                Assert.Equal(200, (await t.BrCancelAsync(id)).Code);
                break;
        }
        var before = await t.BrGetAsync(id);
        var audit = (await Audit.RowsAsync(server, id)).Count;

        (await t.BrCancelAsync(id)).IsGcError(422, "invalid_state", "cancellation_failed");

        Assert.Equal(before.Body, (await t.BrGetAsync(id)).Body);
        Assert.Equal(audit, (await Audit.RowsAsync(server, id)).Count);
    }

    [Fact]
    public async Task GoCardless_cancelling_a_request_itself_records_origin_gocardless()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var (flow, _) = await t.CreateFlowAsync(id);
        Assert.Equal(200, (await t.SimulateAsync($"billing_request_flows/{flow}/abandon")).Code);

        var a = await t.SimulateAsync($"billing_requests/{id}/cancel");

        Assert.Equal("cancelled", a.BillingRequest().GetProperty("status").GetString());
        var e = Assert.Single(await t.EventsAsync(id), e => e.GetProperty("action").GetString() == "cancelled");
        Assert.Equal("gocardless", e.GetProperty("details").GetProperty("origin").GetString());
        var row = (await Audit.RowsAsync(server, id)).Single(r => r.GetProperty("action").GetString() == "cancel");
        Assert.Equal("operator", row.GetProperty("actor").GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("{\"data\": {\"metadata\": {\"a\": \"1\", \"b\": \"2\", \"c\": \"3\", \"d\": \"4\"}}}", "metadata")]
    [InlineData("{\"data\": {\"metadata\": {\"a\": 5}}}", "metadata")]
    [InlineData("{\"data\": {\"reason\": \"x\"}}", "reason")]
    public async Task Cancel_data_that_fails_validation_is_422_validation_failed_naming_the_field_and_cancels_nothing(string body, string field)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();

        (await t.Gc(HttpMethod.Post, $"/billing_requests/{id}/actions/cancel", body)).IsGcError(422, "validation_failed", field: field);

        Assert.Equal("pending", await t.StatusAsync(id));
    }

    [Fact]
    public async Task Cancel_accepts_an_empty_body_and_metadata_with_long_keys_is_refused()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var longKey = new Dictionary<string, string> { [new string('k', 51)] = "v" };

        (await t.BrCancelAsync(id, longKey)).IsGcError(422, "validation_failed", field: "metadata");
        var a = await t.Gc(HttpMethod.Post, $"/billing_requests/{id}/actions/cancel", "");

        Assert.Equal("cancelled", a.BillingRequest().GetProperty("status").GetString());
    }

    [Fact]
    public async Task Another_accounts_or_the_sandboxs_request_is_404_resource_not_found_and_stays_pending()
    {
        var owner = await Tenant.CreateAsync(server, "Owner");
        var other = await Tenant.CreateAsync(server, "Other");
        var id = await owner.CreateBillingRequestAsync();

        (await other.BrCancelAsync(id)).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await owner.BrCancelAsync(id, mode: "sandbox")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await owner.BrCancelAsync("BRQ0000000000XX")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await owner.BrCancelAsync("..%2Fetc")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        Assert.Equal("pending", await owner.StatusAsync(id));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
    }

    [Fact]
    public async Task A_retried_cancel_with_the_same_Idempotency_Key_returns_the_first_answer_and_acts_once()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "cancel-" + Guid.NewGuid() };

        var first = await t.BrActAsync(id, "cancel", null, headers: key);
        var retry = await t.BrActAsync(id, "cancel", null, headers: key);
        var fresh = await t.BrActAsync(id, "cancel");

        Assert.Equal(200, retry.Code);
        Assert.Equal(first.Body, retry.Body);
        fresh.IsGcError(422, "invalid_state", "cancellation_failed");
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "billing_requests.cancelled"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessCancelTests_Sqlite(SqliteServer server) : GoCardlessCancelTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessCancelTests_Postgres(PostgresServer server) : GoCardlessCancelTests(server), IClassFixture<PostgresServer>;
