using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>The actions that move a billing request through its lifecycle, and its flows over their 7 days.</summary>
public abstract class GoCardlessLifecycleTests(RescindServer server)
{
    [Fact]
    public async Task A_new_mandate_and_payment_request_lists_its_required_actions_pending()
    {
        var t = await Tenant.CreateAsync(server);
        var br = (await t.BrGetAsync(await t.CreateBillingRequestAsync(payment: true))).BillingRequest();

        Assert.Equal("pending", br.GetProperty("status").GetString());
        Assert.Matches("^BRQ[0-9A-Z]{12}$", br.GetProperty("id").GetString()!);
        var actions = br.GetProperty("actions").EnumerateArray().ToList();
        Assert.Equal(["collect_customer_details", "collect_bank_account", "confirm_payer_details", "bank_authorisation"],
            actions.Select(a => a.GetProperty("type").GetString()!).ToArray());
        Assert.All(actions, a => Assert.Equal("pending", a.GetProperty("status").GetString()));
        Assert.All(actions, a => Assert.True(a.GetProperty("required").GetBoolean()));
        var links = br.GetProperty("links");
        Assert.Matches("^CU", links.GetProperty("customer").GetString()!);
        Assert.Matches("^CR", links.GetProperty("creditor").GetString()!);
        Assert.Matches("^MRQ", links.GetProperty("mandate_request").GetString()!);
        Assert.Matches("^PRQ", links.GetProperty("payment_request").GetString()!);
        Assert.Equal(1500, br.GetProperty("payment_request").GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task The_api_collects_details_in_order_and_fulfil_creates_the_mandate_and_payment()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync(payment: true);

        (await t.BrActAsync(id, "collect_bank_account", new { account_holder_name = "PAT", account_number = "55779911", branch_code = "200000" }))
            .IsGcError(422, "invalid_state", "required_actions_not_completed");
        (await t.BrActAsync(id, "collect_customer_details", new { customer = new { email = "p@example.com", given_name = "Pat", family_name = "Payer" } }))
            .IsGcError(422, "validation_failed", field: "address_line1");
        var details = await t.BrActAsync(id, "collect_customer_details", new
        {
            customer = new { email = "p@example.com", given_name = "Pat", family_name = "Payer" },
            customer_billing_detail = new { address_line1 = "1 Street", postal_code = "E8 3GX", country_code = "GB" },
        });
        Assert.Equal("p@example.com", details.BillingRequest().GetProperty("resources").GetProperty("customer").GetProperty("email").GetString());
        Assert.Matches("^CBD", details.BillingRequest().GetProperty("links").GetProperty("customer_billing_detail").GetString()!);
        var bank = await t.BrActAsync(id, "collect_bank_account", new { account_holder_name = "PAT PAYER", account_number = "55779911", branch_code = "200000", country_code = "GB" });
        Assert.Equal("11", bank.BillingRequest().GetProperty("resources").GetProperty("customer_bank_account").GetProperty("account_number_ending").GetString());
        Assert.Equal(200, (await t.BrActAsync(id, "confirm_payer_details")).Code);
        (await t.BrActAsync(id, "fulfil")).IsGcError(422, "invalid_state", "billing_request_not_ready_to_fulfil");

        var ready = await t.PayerAsync(id, "bank_authorisation"); // only the payer authorises with their bank
        Assert.Equal("ready_to_fulfil", ready.BillingRequest().GetProperty("status").GetString());
        var fulfilled = (await t.BrActAsync(id, "fulfil")).BillingRequest();

        Assert.Equal("fulfilled", fulfilled.GetProperty("status").GetString());
        Assert.Matches("^MD[0-9A-Z]{12}$", fulfilled.GetProperty("mandate_request").GetProperty("links").GetProperty("mandate").GetString()!);
        Assert.Matches("^PM[0-9A-Z]{12}$", fulfilled.GetProperty("payment_request").GetProperty("links").GetProperty("payment").GetString()!);
        var actions = (await t.EventsAsync(id)).Select(e => e.GetProperty("action").GetString()!).Reverse().ToArray();
        Assert.Equal(["created", "collect_customer_details", "collect_bank_account", "payer_details_confirmed", "bank_authorisation_authorised", "fulfilled"], actions);
        (await t.BrActAsync(id, "collect_customer_details", new { customer = new { email = "x@example.com", company_name = "X" } }))
            .IsGcError(422, "invalid_state", "billing_request_not_pending");
    }

    [Fact]
    public async Task Notify_and_fallback_act_only_where_allowed()
    {
        var t = await Tenant.CreateAsync(server);
        var plain = await t.CreateBillingRequestAsync();
        var withFallback = await t.CreateBillingRequestAsync(fallback: true);

        Assert.Equal(200, (await t.BrActAsync(plain, "notify", new { notification_type = "email", redirect_uri = "https://example.com" })).Code);
        (await t.BrActAsync(plain, "notify", new { notification_type = "sms" })).IsGcError(422, "validation_failed", field: "notification_type");
        (await t.BrActAsync(plain, "fallback")).IsGcError(422, "invalid_state", "fallback_not_enabled");
        Assert.True((await t.BrActAsync(withFallback, "fallback")).BillingRequest().GetProperty("fallback_occurred").GetBoolean());
        await t.BrCancelAsync(plain);
        (await t.BrActAsync(plain, "notify", new { notification_type = "email" })).IsGcError(422, "invalid_state", "billing_request_not_pending");
        (await t.BrActAsync(plain, "explode")).IsGcError(404, "invalid_api_usage", "path_not_found");
    }

    [Fact]
    public async Task A_payer_completes_every_action_on_the_flow_page_and_auto_fulfil_fulfils_in_the_same_step()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var (flow, url) = await t.CreateFlowAsync(id, autoFulfil: true);
        Assert.EndsWith("/gocardless/flows/" + flow, url, StringComparison.Ordinal);
        var page = await t.SendAsync(HttpMethod.Get, new Uri(url).PathAndQuery, null, []);
        Assert.Equal(200, page.Code);
        Assert.Contains("collect_customer_details", page.Body, StringComparison.Ordinal);

        (await t.PageActAsync(flow, "collect_customer_details", new { customer = new { email = "bad" } })).IsGcError(422, "validation_failed", field: "given_name");
        Assert.Equal(200, (await t.PageActAsync(flow, "collect_customer_details")).Code);
        Assert.Equal(200, (await t.PageActAsync(flow, "collect_bank_account")).Code);
        var last = await t.PageActAsync(flow, "confirm_payer_details");

        Assert.Equal("fulfilled", last.BillingRequest().GetProperty("status").GetString());
        var events = await t.EventsAsync(id);
        Assert.Equal("payer", events.First(e => e.GetProperty("action").GetString() == "fulfilled").GetProperty("details").GetProperty("origin").GetString());
    }

    [Fact]
    public async Task A_flow_lasts_seven_days_then_its_page_and_initialise_refuse_and_the_job_writes_it_down()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var (flow, url) = await t.CreateFlowAsync(id);
        var created = (await t.Gc(HttpMethod.Get, "/billing_request_flows/" + flow)).Json.GetProperty("billing_request_flows");
        Assert.Equal(TimeSpan.FromDays(7),
            DateTimeOffset.Parse(created.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(created.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var init = await t.Gc(HttpMethod.Post, $"/billing_request_flows/{flow}/actions/initialise", new { data = new { } });
        Assert.NotEqual(created.GetProperty("session_token").GetString(), init.Json.GetProperty("billing_request_flows").GetProperty("session_token").GetString());

        server.Clock.Advance(TimeSpan.FromDays(7));

        Assert.Equal(410, (await t.SendAsync(HttpMethod.Get, new Uri(url).PathAndQuery, null, [])).Code);
        (await t.PageActAsync(flow, "collect_customer_details")).IsGcError(410, "invalid_state", "billing_request_flow_expired");
        (await t.Gc(HttpMethod.Post, $"/billing_request_flows/{flow}/actions/initialise", new { data = new { } }))
            .IsGcError(422, "invalid_state", "billing_request_flow_expired");
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run")).Code);
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE id = @flow AND state = 'expired'", new { flow }));
        Assert.Equal(1, await Audit.ActionCountAsync(server, flow, "expire"));
        Assert.Equal("pending", await t.StatusAsync(id)); // the request itself waits for a new flow [ours]
        var (again, _) = await t.CreateFlowAsync(id);
        Assert.Equal(200, (await t.PageActAsync(again, "collect_customer_details")).Code);
    }

    [Fact]
    public async Task An_abandoned_flow_expires_now_and_no_flow_can_be_created_for_a_cancelled_request()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var (flow, _) = await t.CreateFlowAsync(id);

        Assert.Equal(200, (await t.SimulateAsync($"billing_request_flows/{flow}/abandon")).Code);
        (await t.PageActAsync(flow, "collect_customer_details")).IsGcError(410, "invalid_state", "billing_request_flow_expired");
        await t.BrCancelAsync(id);
        (await t.Gc(HttpMethod.Post, "/billing_request_flows", new { billing_request_flows = new { links = new { billing_request = id } } }))
            .IsGcError(422, "invalid_state", "billing_request_not_pending");
        (await t.Gc(HttpMethod.Post, "/billing_request_flows", new { billing_request_flows = new { links = new { billing_request = "BRQ0000000000AA" } } }))
            .IsGcError(422, "validation_failed", field: "billing_request");
    }
    [Fact]
    public async Task GoCardless_fulfilling_a_request_holds_it_in_fulfilling_until_the_simulation_finishes_it()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.ReadyRequestAsync();

        Assert.Equal("fulfilling", (await t.SimulateAsync($"billing_requests/{id}/fulfilling")).BillingRequest().GetProperty("status").GetString());
        Assert.Equal("fulfilling", (await t.SimulateAsync($"billing_requests/{id}/fulfilling")).BillingRequest().GetProperty("status").GetString());
        var done = (await t.SimulateAsync($"billing_requests/{id}/fulfil")).BillingRequest();

        Assert.Equal("fulfilled", done.GetProperty("status").GetString());
        Assert.Matches("^MD", done.GetProperty("links").GetProperty("mandate_request_mandate").GetString()!);
        var fulfilled = Assert.Single(await t.EventsAsync(id), e => e.GetProperty("action").GetString() == "fulfilled");
        Assert.Equal("gocardless", fulfilled.GetProperty("details").GetProperty("origin").GetString());
        (await t.SimulateAsync($"billing_requests/{id}/fulfilling")).IsGcError(422, "invalid_state", "billing_request_not_pending");
    }

    [Fact]
    public async Task Unknown_flows_and_requests_are_404_on_the_page_and_in_the_simulation()
    {
        var t = await Tenant.CreateAsync(server);
        Assert.Equal(404, (await t.SendAsync(HttpMethod.Get, "/gocardless/flows/BRF0000000000AA", null, [])).Code);
        (await t.PageActAsync("BRF0000000000AA", "collect_customer_details")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await t.PageActAsync("BRF0000000000AA", "cancel")).IsGcError(404, "invalid_api_usage", "path_not_found");
        (await t.PayerAsync("BRQ0000000000AA", "collect_customer_details")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await t.SimulateAsync("billing_request_flows/BRF0000000000AA/abandon")).IsGcError(404, "invalid_api_usage", "resource_not_found");
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessLifecycleTests_Sqlite(SqliteServer server) : GoCardlessLifecycleTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessLifecycleTests_Postgres(PostgresServer server) : GoCardlessLifecycleTests(server), IClassFixture<PostgresServer>;

/// <summary>A configured public URL is what flows hand the payer.</summary>
public sealed class PublicUrlSqliteServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Rescind:GoCardless:PublicUrl", "https://pay.example.com/")];
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessPublicUrlTests(PublicUrlSqliteServer server) : IClassFixture<PublicUrlSqliteServer>
{
    [Fact]
    public async Task Flows_use_Rescind_GoCardless_PublicUrl_for_their_authorisation_url()
    {
        var t = await Tenant.CreateAsync(server);
        var (flow, url) = await t.CreateFlowAsync(await t.CreateBillingRequestAsync());
        Assert.Equal("https://pay.example.com/gocardless/flows/" + flow, url);
    }
}
