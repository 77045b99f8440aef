using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>Auth, version, envelope, validation, lists, customers, creditors, events and Idempotency-Key.</summary>
public abstract class GoCardlessApiTests(RescindServer server)
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer live_nope")]
    [InlineData("bearer live_x")]
    public async Task Missing_or_garbled_tokens_are_401_authentication_failed(string? authorization)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Gc(HttpMethod.Get, "/billing_requests", headers: new() { ["Authorization"] = authorization }))
            .IsGcError(401, "invalid_api_usage", "authentication_failed");
    }

    [Fact]
    public async Task A_numeral_key_or_the_operator_token_is_not_a_gocardless_token()
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Gc(HttpMethod.Get, "/billing_requests", headers: new() { ["Authorization"] = "Bearer " + t.LiveKey }))
            .IsGcError(401, "invalid_api_usage", "authentication_failed");
        (await t.Gc(HttpMethod.Get, "/events", headers: new() { ["Authorization"] = "Bearer " + server.OperatorToken }))
            .IsGcError(401, "invalid_api_usage", "authentication_failed");
    }

    [Theory]
    [InlineData(null, "version_required")]
    [InlineData("2014-11-03", "version_not_found")]
    [InlineData("latest", "version_not_found")]
    public async Task A_missing_or_unknown_GoCardless_Version_is_400_invalid_api_usage(string? version, string reason)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        (await t.Gc(HttpMethod.Post, $"/billing_requests/{id}/actions/cancel", new { data = new { } }, new() { ["GoCardless-Version"] = version }))
            .IsGcError(400, "invalid_api_usage", reason);
        Assert.Equal("pending", await t.StatusAsync(id));
    }

    [Theory]
    [InlineData("{\"billing_requests\": {\"mandate_request\": {\"currency\": \"XXX\"}}}", "currency", "/billing_requests/mandate_request/currency")]
    [InlineData("{\"billing_requests\": {\"mandate_request\": {}}}", "currency", "/billing_requests/mandate_request/currency")]
    [InlineData("{\"billing_requests\": {}}", "mandate_request", "/billing_requests")]
    [InlineData("{\"billing_requests\": {\"payment_request\": {\"currency\": \"GBP\", \"amount\": 0}}}", "amount", "/billing_requests/payment_request/amount")]
    [InlineData("{\"billing_requests\": {\"payment_request\": {\"currency\": \"GBP\", \"amount\": 1.5}}}", "amount", "/billing_requests/payment_request/amount")]
    [InlineData("{\"billing_requests\": {\"mandate_request\": {\"currency\": \"GBP\"}, \"metadata\": {\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}}}", "metadata", "/billing_requests/metadata")]
    [InlineData("{\"billing_requests\": {\"mandate_request\": {\"currency\": \"GBP\"}, \"colour\": \"red\"}}", "colour", "/billing_requests/colour")]
    [InlineData("{\"billing_requests\": {\"mandate_request\": {\"currency\": \"GBP\"}, \"links\": {\"customer\": \"CU0000000000ZZ\"}}}", "customer", "/billing_requests/links/customer")]
    public async Task Invalid_creates_are_422_validation_failed_naming_the_field_and_create_nothing(string body, string field, string pointer)
    {
        var t = await Tenant.CreateAsync(server);
        var error = (await t.Gc(HttpMethod.Post, "/billing_requests", body)).IsGcError(422, "validation_failed", field: field);
        Assert.Equal(pointer, error.GetProperty("request_pointer").GetString());
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM gc_billing_requests WHERE account_id = @AccountId", new { t.AccountId }));
    }

    [Theory]
    [InlineData("{", "invalid_json")]
    [InlineData("[]", "invalid_json")]
    [InlineData("{\"mandate_request\": {}}", "invalid_document_structure")]
    [InlineData("{\"billing_requests\": []}", "invalid_document_structure")]
    public async Task Malformed_bodies_are_400_invalid_api_usage(string body, string reason)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Gc(HttpMethod.Post, "/billing_requests", body)).IsGcError(400, "invalid_api_usage", reason);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_in_GoCardless_envelope_with_the_request_id()
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Gc(HttpMethod.Get, "/billing_requests/BRQ0000000000AA/nothing")).IsGcError(404, "invalid_api_usage", "path_not_found");
        (await t.Gc(HttpMethod.Delete, "/billing_requests")).IsGcError(405, "invalid_api_usage", "method_not_allowed");
        (await t.Gc(HttpMethod.Get, "/billing_requests/BRQ0000000000AA")).IsGcError(404, "invalid_api_usage", "resource_not_found");
    }

    [Fact]
    public async Task Live_and_sandbox_tokens_of_one_account_see_separate_data_events_and_keys()
    {
        var t = await Tenant.CreateAsync(server);
        var live = await t.CreateBillingRequestAsync();
        var sandbox = await t.CreateBillingRequestAsync(mode: "sandbox");
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "shared-key" };
        var body = new { customers = new { email = "a@example.com", given_name = "A", family_name = "B" } };

        Assert.Equal(201, (await t.Gc(HttpMethod.Post, "/customers", body, key)).Code);
        Assert.Equal(201, (await t.Gc(HttpMethod.Post, "/customers", body, key, "sandbox")).Code); // keys are per mode too

        (await t.BrGetAsync(live, "sandbox")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await t.BrGetAsync(sandbox)).IsGcError(404, "invalid_api_usage", "resource_not_found");
        var liveList = (await t.Gc(HttpMethod.Get, "/billing_requests")).Json.GetProperty("billing_requests").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
        Assert.Equal([live], liveList);
        Assert.Empty(await t.EventsAsync(live, "sandbox"));
        Assert.Single(await t.EventsAsync(sandbox, "sandbox"));
        var liveCreditor = (await t.Gc(HttpMethod.Get, "/creditors")).Json.GetProperty("creditors")[0].GetProperty("id").GetString();
        var sandboxCreditor = (await t.Gc(HttpMethod.Get, "/creditors", mode: "sandbox")).Json.GetProperty("creditors")[0].GetProperty("id").GetString();
        Assert.NotEqual(liveCreditor, sandboxCreditor);
    }

    [Fact]
    public async Task Each_account_has_one_default_creditor_that_its_requests_link_to()
    {
        var t = await Tenant.CreateAsync(server);
        var creditors = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => t.Gc(HttpMethod.Get, "/creditors")));
        var ids = creditors.Select(c => c.Json.GetProperty("creditors").EnumerateArray().Single().GetProperty("id").GetString()).Distinct().ToList();
        var id = Assert.Single(ids);
        Assert.Equal(200, (await t.Gc(HttpMethod.Get, "/creditors/" + id)).Code);
        var br = (await t.BrGetAsync(await t.CreateBillingRequestAsync())).BillingRequest();
        Assert.Equal(id, br.GetProperty("links").GetProperty("creditor").GetString());
    }

    [Fact]
    public async Task Customers_are_created_fetched_listed_and_linked_by_billing_requests()
    {
        var t = await Tenant.CreateAsync(server);
        var created = await t.Gc(HttpMethod.Post, "/customers", new { customers = new { email = "pat@example.com", given_name = "Pat", family_name = "Payer", metadata = new { crm = "42" } } });
        Assert.Equal(201, created.Code);
        var c = created.Json.GetProperty("customers");
        var id = c.GetProperty("id").GetString()!;
        Assert.Matches("^CU[0-9A-Z]{12}$", id);
        Assert.Equal(created.Body, (await t.Gc(HttpMethod.Get, "/customers/" + id)).Body);
        (await t.Gc(HttpMethod.Post, "/customers", new { customers = new { email = "nope" } })).IsGcError(422, "validation_failed", field: "email");

        var a = await t.CreateBillingRequestAsync(customer: id);
        var b = await t.CreateBillingRequestAsync();
        var filtered = (await t.Gc(HttpMethod.Get, "/billing_requests?customer=" + id)).Json.GetProperty("billing_requests");
        Assert.Equal([a], filtered.EnumerateArray().Select(x => x.GetProperty("id").GetString()!).ToArray());
        Assert.Equal("pat@example.com", filtered[0].GetProperty("resources").GetProperty("customer").GetProperty("email").GetString());
        Assert.NotEqual(a, b);
        var customers = (await t.Gc(HttpMethod.Get, "/customers")).Json.GetProperty("customers").GetArrayLength();
        Assert.Equal(2, customers); // the request without a customer link made its own
    }

    [Fact]
    public async Task Lists_page_newest_first_with_meta_cursors_and_filter_by_status_and_created_at()
    {
        var t = await Tenant.CreateAsync(server);
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await t.CreateBillingRequestAsync());
        }
        await t.BrCancelAsync(ids[2]);
        ids.Reverse(); // newest first

        var seen = new List<string>();
        string? after = null;
        do
        {
            var page = (await t.Gc(HttpMethod.Get, "/billing_requests?limit=3" + (after is null ? "" : "&after=" + after))).Json;
            Assert.Equal(3, page.GetProperty("meta").GetProperty("limit").GetInt32());
            seen.AddRange(page.GetProperty("billing_requests").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
            var cursors = page.GetProperty("meta").GetProperty("cursors");
            Assert.Equal(after is null, cursors.GetProperty("before").ValueKind == JsonValueKind.Null);
            after = cursors.GetProperty("after").ValueKind == JsonValueKind.Null ? null : cursors.GetProperty("after").GetString();
        }
        while (after is not null);
        Assert.Equal(ids, seen);

        var back = (await t.Gc(HttpMethod.Get, $"/billing_requests?limit=2&before={ids[4]}")).Json.GetProperty("billing_requests");
        Assert.Equal([ids[2], ids[3]], back.EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToArray());

        var cancelled = (await t.Gc(HttpMethod.Get, "/billing_requests?status=cancelled")).Json.GetProperty("billing_requests");
        Assert.Equal([ids[4]], cancelled.EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToArray());
        var middle = (await t.BrGetAsync(ids[3])).BillingRequest().GetProperty("created_at").GetString();
        var newer = (await t.Gc(HttpMethod.Get, "/billing_requests?created_at[gt]=" + middle)).Json.GetProperty("billing_requests");
        Assert.Equal(ids.Take(3), newer.EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
        var upTo = (await t.Gc(HttpMethod.Get, "/billing_requests?created_at[lte]=" + middle)).Json.GetProperty("billing_requests");
        Assert.Equal(ids.Skip(3), upTo.EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("status=done", "status")]
    [InlineData("created_at[gt]=yesterday", "created_at[gt]")]
    [InlineData("after=BRQ0000000000AA", "after")]
    [InlineData("sort=asc", "sort")]
    public async Task Bad_list_parameters_are_422_validation_failed_naming_the_parameter(string query, string field)
    {
        var t = await Tenant.CreateAsync(server);
        await t.CreateBillingRequestAsync();
        (await t.Gc(HttpMethod.Get, "/billing_requests?" + query)).IsGcError(422, "validation_failed", field: field);
    }

    [Fact]
    public async Task Events_filter_by_action_and_page_with_cursors()
    {
        var t = await Tenant.CreateAsync(server);
        var a = await t.CreateBillingRequestAsync();
        var b = await t.CreateBillingRequestAsync();
        await t.BrCancelAsync(a);
        await t.BrCancelAsync(b);

        var cancelled = (await t.Gc(HttpMethod.Get, "/events?resource_type=billing_requests&action=cancelled")).Json.GetProperty("events");
        Assert.Equal([b, a], cancelled.EnumerateArray().Select(e => e.GetProperty("links").GetProperty("billing_request").GetString()!).ToArray());
        var first = (await t.Gc(HttpMethod.Get, "/events?limit=1")).Json;
        var next = first.GetProperty("meta").GetProperty("cursors").GetProperty("after").GetString();
        var second = (await t.Gc(HttpMethod.Get, "/events?limit=1&after=" + next)).Json.GetProperty("events")[0];
        Assert.Equal("cancelled", second.GetProperty("action").GetString());
        Assert.Equal(a, second.GetProperty("links").GetProperty("billing_request").GetString());
        var one = await t.Gc(HttpMethod.Get, "/events/" + second.GetProperty("id").GetString());
        Assert.Equal(second.GetRawText(), one.Json.GetProperty("events").GetRawText());
        (await t.Gc(HttpMethod.Get, "/events/EV0000000000ZZ")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await t.Gc(HttpMethod.Get, "/events?resource_type=payouts")).IsGcError(422, "validation_failed", field: "resource_type");
        var other = await Tenant.CreateAsync(server, "Other");
        (await other.Gc(HttpMethod.Get, "/events/" + second.GetProperty("id").GetString())).IsGcError(404, "invalid_api_usage", "resource_not_found");
    }

    [Fact]
    public async Task A_repeated_create_with_one_Idempotency_Key_is_409_idempotent_creation_conflict_naming_the_request()
    {
        var t = await Tenant.CreateAsync(server);
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "create-" + Guid.NewGuid() };
        var body = new { billing_requests = new { mandate_request = new { currency = "GBP" } } };

        var first = await t.Gc(HttpMethod.Post, "/billing_requests", body, key);
        var again = await t.Gc(HttpMethod.Post, "/billing_requests", body, key);
        var different = await t.Gc(HttpMethod.Post, "/billing_requests", new { billing_requests = new { mandate_request = new { currency = "EUR" } } }, key);

        var id = first.BillingRequest().GetProperty("id").GetString();
        foreach (var answer in new[] { again, different })
        {
            var error = answer.IsGcError(409, "invalid_state", "idempotent_creation_conflict");
            Assert.Equal(id, error.GetProperty("links").GetProperty("conflicting_resource_id").GetString());
        }
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_billing_requests WHERE account_id = @AccountId", new { t.AccountId }));
    }

    [Fact]
    public async Task A_failed_create_replays_its_failure_and_keys_over_128_characters_are_refused()
    {
        var t = await Tenant.CreateAsync(server);
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "k-" + Guid.NewGuid() };
        var bad = new { billing_requests = new { mandate_request = new { currency = "GBP" }, links = new { customer = "CU0000000000ZZ" } } };

        var first = await t.Gc(HttpMethod.Post, "/billing_requests", bad, key);
        var again = await t.Gc(HttpMethod.Post, "/billing_requests", bad, key);
        first.IsGcError(422, "validation_failed", field: "customer");
        Assert.Equal(first.Body, again.Body);
        (await t.Gc(HttpMethod.Post, "/billing_requests", new { billing_requests = new { mandate_request = new { currency = "GBP" } } },
            new() { ["Idempotency-Key"] = new string('k', 129) })).IsGcError(400, "invalid_api_usage", "idempotency_key_too_long");
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessApiTests_Sqlite(SqliteServer server) : GoCardlessApiTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessApiTests_Postgres(PostgresServer server) : GoCardlessApiTests(server), IClassFixture<PostgresServer>;
