using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>What a billing request leads to, readable at the ids it links: the customer bank account that
/// collect_bank_account takes, the mandate and the payment that fulfil creates; their lists, filters, pages and 404s.</summary>
public abstract class GoCardlessResourcesTests(RescindServer server)
{
    private static string Str(JsonElement e, params string[] path) => path.Aggregate(e, (x, p) => x.GetProperty(p)).GetString()!;

    private static List<string> Ids(Answer a, string key)
    {
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty(key).EnumerateArray().Select(x => x.GetProperty("id").GetString()!).ToList();
    }

    [Fact]
    public async Task Fulfil_creates_the_mandate_and_payment_it_links_pending_submission_on_the_collected_bank_account()
    {
        var t = await Tenant.CreateAsync(server);
        var br = await t.FulfilledRequestAsync();
        var links = br.GetProperty("links");
        var (md, pm, ba) = (Str(links, "mandate_request_mandate"), Str(links, "payment_request_payment"), Str(links, "customer_bank_account"));
        var (customer, creditor) = (Str(links, "customer"), Str(links, "creditor"));

        var mandate = (await t.Gc(HttpMethod.Get, "/mandates/" + md)).Json.GetProperty("mandates");
        Assert.Equal(md, Str(mandate, "id"));
        Assert.Equal("pending_submission", Str(mandate, "status"));
        Assert.Equal("bacs", Str(mandate, "scheme"));
        Assert.Equal("RESCIND-" + md[4..], Str(mandate, "reference"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", Str(mandate, "next_possible_charge_date"));
        Assert.True(string.CompareOrdinal(Str(mandate, "next_possible_charge_date"), Str(mandate, "created_at")[..10]) > 0);
        Assert.False(mandate.GetProperty("payments_require_approval").GetBoolean());
        Assert.Empty(mandate.GetProperty("metadata").EnumerateObject());
        Assert.Equal(ba, Str(mandate, "links", "customer_bank_account"));
        Assert.Equal(creditor, Str(mandate, "links", "creditor"));
        Assert.Equal(customer, Str(mandate, "links", "customer"));

        var payment = (await t.Gc(HttpMethod.Get, "/payments/" + pm)).Json.GetProperty("payments");
        Assert.Equal(pm, Str(payment, "id"));
        Assert.Equal("pending_submission", Str(payment, "status"));
        Assert.Equal(1500, payment.GetProperty("amount").GetInt64());
        Assert.Equal(0, payment.GetProperty("amount_refunded").GetInt64());
        Assert.Equal("GBP", Str(payment, "currency"));
        Assert.Equal("First box", Str(payment, "description"));
        Assert.Equal("faster_payments", Str(payment, "scheme"));
        Assert.Equal(Str(payment, "created_at")[..10], Str(payment, "charge_date")); // an instant bank payment: today
        Assert.Equal(JsonValueKind.Null, payment.GetProperty("reference").ValueKind);
        Assert.Equal(md, Str(payment, "links", "mandate"));
        Assert.Equal(creditor, Str(payment, "links", "creditor"));

        var account = (await t.Gc(HttpMethod.Get, "/customer_bank_accounts/" + ba)).Json.GetProperty("customer_bank_accounts");
        Assert.Equal(br.GetProperty("resources").GetProperty("customer_bank_account").GetRawText(), account.GetRawText());
        Assert.Equal(customer, Str(account, "links", "customer"));
        Assert.True(account.GetProperty("enabled").GetBoolean());
        Assert.Matches("^[0-9]{2}$", Str(account, "account_number_ending"));

        // A created event each, after the request's fulfilled event [doc].
        var mandateCreated = Assert.Single((await t.Gc(HttpMethod.Get, "/events?mandate=" + md)).Json.GetProperty("events").EnumerateArray());
        Assert.Equal(("mandates", "created", "mandate_created", md), (Str(mandateCreated, "resource_type"), Str(mandateCreated, "action"), Str(mandateCreated, "details", "cause"), Str(mandateCreated, "links", "mandate")));
        var paymentCreated = Assert.Single((await t.Gc(HttpMethod.Get, "/events?payment=" + pm)).Json.GetProperty("events").EnumerateArray());
        Assert.Equal(("payments", "created", pm, md), (Str(paymentCreated, "resource_type"), Str(paymentCreated, "action"), Str(paymentCreated, "links", "payment"), Str(paymentCreated, "links", "mandate")));
        var all = (await t.Gc(HttpMethod.Get, "/events")).Json.GetProperty("events").EnumerateArray().Select(e => Str(e, "resource_type") + " " + Str(e, "action")).ToList();
        Assert.Equal(["payments created", "mandates created", "billing_requests fulfilled"], all[..3]);

        // One audit row each, in the fulfil's transaction.
        foreach (var (type, id) in new[] { ("mandates", md), ("payments", pm), ("customer_bank_accounts", ba) })
        {
            Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE resource_type = @type AND resource_id = @id AND action = 'create'", new { type, id }));
        }
    }

    [Fact]
    public async Task The_bank_account_is_readable_once_collected_and_nothing_else_exists_before_fulfil()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        await t.PayerAsync(id, "collect_customer_details");
        var collected = (await t.BrActAsync(id, "collect_bank_account", new { account_holder_name = "PAT PAYER", account_number = "55779911", branch_code = "200000", country_code = "GB", metadata = new { crm = "7" } }))
            .BillingRequest();
        var ba = Str(collected, "links", "customer_bank_account");

        var account = (await t.Gc(HttpMethod.Get, "/customer_bank_accounts/" + ba)).Json.GetProperty("customer_bank_accounts");
        Assert.Equal("11", Str(account, "account_number_ending"));
        Assert.Equal("PAT PAYER", Str(account, "account_holder_name"));
        Assert.Equal("GBP", Str(account, "currency"));
        Assert.Equal("GB", Str(account, "country_code"));
        Assert.Equal("7", Str(account, "metadata", "crm"));
        Assert.Equal([ba], Ids(await t.Gc(HttpMethod.Get, "/customer_bank_accounts?customer=" + Str(collected, "links", "customer")), "customer_bank_accounts"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/mandates"), "mandates"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/payments"), "payments"));

        // Cancelled instead of fulfilled: the bank account stays, no mandate is created.
        Assert.Equal(200, (await t.BrCancelAsync(id)).Code);
        Assert.Equal(200, (await t.Gc(HttpMethod.Get, "/customer_bank_accounts/" + ba)).Code);
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/mandates"), "mandates"));
    }

    [Fact]
    public async Task GoCardless_finishing_a_fulfilling_request_creates_them_too_and_a_payment_alone_links_no_mandate()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.ReadyRequestAsync();
        Assert.Equal(200, (await t.SimulateAsync($"billing_requests/{id}/fulfilling")).Code);
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/mandates"), "mandates"));
        var done = (await t.SimulateAsync($"billing_requests/{id}/fulfil")).BillingRequest();
        var md = Str(done, "links", "mandate_request_mandate");
        Assert.Equal("pending_submission", Str((await t.Gc(HttpMethod.Get, "/mandates/" + md)).Json, "mandates", "status"));

        var paymentOnly = await t.FulfilledRequestAsync(mandate: false);
        var payment = (await t.Gc(HttpMethod.Get, "/payments/" + Str(paymentOnly, "links", "payment_request_payment"))).Json.GetProperty("payments");
        Assert.False(payment.GetProperty("links").TryGetProperty("mandate", out _));
        Assert.False(paymentOnly.GetProperty("links").TryGetProperty("customer_bank_account", out _));
    }

    [Fact]
    public async Task Lists_filter_by_their_links_status_and_reference_and_page_newest_first()
    {
        var t = await Tenant.CreateAsync(server);
        var requests = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            requests.Add(await t.FulfilledRequestAsync(payment: i != 1));
        }
        string L(int i, string name) => Str(requests[i], "links", name);
        var mandates = Enumerable.Range(0, 3).Select(i => L(i, "mandate_request_mandate")).Reverse().ToList();

        Assert.Equal(mandates, Ids(await t.Gc(HttpMethod.Get, "/mandates"), "mandates"));
        Assert.Equal([mandates[0]], Ids(await t.Gc(HttpMethod.Get, "/mandates?customer=" + L(2, "customer")), "mandates"));
        Assert.Equal([mandates[1]], Ids(await t.Gc(HttpMethod.Get, "/mandates?customer_bank_account=" + L(1, "customer_bank_account")), "mandates"));
        Assert.Equal(mandates, Ids(await t.Gc(HttpMethod.Get, "/mandates?creditor=" + L(0, "creditor")), "mandates"));
        Assert.Equal(mandates, Ids(await t.Gc(HttpMethod.Get, "/mandates?status=pending_submission"), "mandates"));
        Assert.Equal(mandates, Ids(await t.Gc(HttpMethod.Get, "/mandates?status=active,pending_submission"), "mandates"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/mandates?status=active"), "mandates"));
        Assert.Equal([mandates[2]], Ids(await t.Gc(HttpMethod.Get, "/mandates?reference=RESCIND-" + mandates[2][4..]), "mandates"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/mandates?created_at[lt]=2000-01-01T00:00:00.000Z"), "mandates"));

        var first = await t.Gc(HttpMethod.Get, "/mandates?limit=2");
        Assert.Equal(mandates[..2], Ids(first, "mandates"));
        var after = first.Json.GetProperty("meta").GetProperty("cursors").GetProperty("after").GetString();
        Assert.Equal(2, first.Json.GetProperty("meta").GetProperty("limit").GetInt32());
        var second = await t.Gc(HttpMethod.Get, "/mandates?limit=2&after=" + after);
        Assert.Equal([mandates[2]], Ids(second, "mandates"));
        Assert.Equal(JsonValueKind.Null, second.Json.GetProperty("meta").GetProperty("cursors").GetProperty("after").ValueKind);
        var before = second.Json.GetProperty("meta").GetProperty("cursors").GetProperty("before").GetString();
        Assert.Equal(mandates[..2], Ids(await t.Gc(HttpMethod.Get, "/mandates?limit=2&before=" + before), "mandates"));

        var payments = new[] { 2, 0 }.Select(i => L(i, "payment_request_payment")).ToList();
        Assert.Equal(payments, Ids(await t.Gc(HttpMethod.Get, "/payments"), "payments"));
        Assert.Equal([payments[1]], Ids(await t.Gc(HttpMethod.Get, "/payments?mandate=" + L(0, "mandate_request_mandate")), "payments"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/payments?mandate=" + L(1, "mandate_request_mandate")), "payments"));
        Assert.Equal([payments[0]], Ids(await t.Gc(HttpMethod.Get, "/payments?customer=" + L(2, "customer")), "payments"));
        Assert.Equal(payments, Ids(await t.Gc(HttpMethod.Get, "/payments?creditor=" + L(0, "creditor") + "&status=pending_submission"), "payments"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/payments?status=paid_out"), "payments"));
        Assert.Equal([payments[0]], Ids(await t.Gc(HttpMethod.Get, "/payments?limit=1"), "payments"));
        Assert.Equal([payments[1]], Ids(await t.Gc(HttpMethod.Get, "/payments?limit=1&after=" + payments[0]), "payments"));

        var accounts = Enumerable.Range(0, 3).Select(i => L(i, "customer_bank_account")).Reverse().ToList();
        Assert.Equal(accounts, Ids(await t.Gc(HttpMethod.Get, "/customer_bank_accounts?enabled=true"), "customer_bank_accounts"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/customer_bank_accounts?enabled=false"), "customer_bank_accounts"));
        Assert.Equal([accounts[1]], Ids(await t.Gc(HttpMethod.Get, "/customer_bank_accounts?customer=" + L(1, "customer")), "customer_bank_accounts"));
        Assert.Equal(accounts[1..], Ids(await t.Gc(HttpMethod.Get, "/customer_bank_accounts?after=" + accounts[0]), "customer_bank_accounts"));
    }

    [Fact]
    public async Task Payments_filter_by_currency_scheme_subscription_and_charge_date_and_mandates_by_a_list_of_schemes()
    {
        var t = await Tenant.CreateAsync(server);
        var requests = new List<JsonElement>();
        for (var i = 0; i < 2; i++)
        {
            requests.Add(await t.FulfilledRequestAsync());
            server.Clock.Advance(TimeSpan.FromDays(3));
        }
        var payments = requests.Select(r => Str(r, "links", "payment_request_payment")).Reverse().ToList();
        var dates = new List<string>();
        foreach (var id in payments)
        {
            dates.Add(Str((await t.Gc(HttpMethod.Get, "/payments/" + id)).Json.GetProperty("payments"), "charge_date"));
        }
        Assert.True(string.CompareOrdinal(dates[0], dates[1]) > 0, $"{dates[0]} after {dates[1]}");

        Assert.Equal(payments, Ids(await t.Gc(HttpMethod.Get, "/payments?currency=GBP&scheme=faster_payments"), "payments"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/payments?currency=EUR"), "payments"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/payments?scheme=bacs"), "payments"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/payments?subscription=SB0000000000"), "payments"));
        Assert.Equal([payments[0]], Ids(await t.Gc(HttpMethod.Get, "/payments?charge_date[gt]=" + dates[1]), "payments"));
        Assert.Equal(payments, Ids(await t.Gc(HttpMethod.Get, "/payments?charge_date[gte]=" + dates[1]), "payments"));
        Assert.Equal([payments[1]], Ids(await t.Gc(HttpMethod.Get, "/payments?charge_date[lt]=" + dates[0]), "payments"));
        Assert.Equal([payments[1]], Ids(await t.Gc(HttpMethod.Get, "/payments?charge_date[gte]=" + dates[1] + "&charge_date[lte]=" + dates[1]), "payments"));

        // The payments list takes one status, unlike the mandates list [sdk: PaymentListRequest].
        (await t.Gc(HttpMethod.Get, "/payments?status=pending_submission,submitted")).IsGcError(422, "validation_failed", field: "status");
        (await t.Gc(HttpMethod.Get, "/payments?currency=XYZ")).IsGcError(422, "validation_failed", field: "currency");
        (await t.Gc(HttpMethod.Get, "/payments?charge_date[gt]=2026-13-01")).IsGcError(422, "validation_failed", field: "charge_date[gt]");

        var mandates = requests.Select(r => Str(r, "links", "mandate_request_mandate")).Reverse().ToList();
        Assert.Equal(mandates, Ids(await t.Gc(HttpMethod.Get, "/mandates?scheme=sepa_core,bacs"), "mandates"));
        Assert.Equal(mandates, Ids(await t.Gc(HttpMethod.Get, "/mandates?scheme=bacs"), "mandates"));
        Assert.Empty(Ids(await t.Gc(HttpMethod.Get, "/mandates?scheme=sepa_core"), "mandates"));
    }

    [Fact]
    public async Task Every_accepted_field_is_kept_on_the_request_and_carried_to_the_mandate_and_payment()
    {
        var t = await Tenant.CreateAsync(server);
        var created = (await t.Gc(HttpMethod.Post, "/billing_requests", new
        {
            billing_requests = new
            {
                mandate_request = new
                {
                    currency = "GBP", reference = "GYM-0042", description = "Monthly membership", authorisation_source = "telephone",
                    consent_type = "recurring", funds_settlement = "direct", metadata = new { plan = "gold" },
                },
                payment_request = new { amount = 1500, currency = "GBP", reference = "JOIN-42", app_fee = 100, funds_settlement = "managed", metadata = new { order = "42" } },
                purpose_code = "utility",
                payment_context_code = "billing_goods_and_services_in_advance",
                payment_purpose_code = "GDSV",
            },
        })).BillingRequest();
        var id = Str(created, "id");
        foreach (var br in new[] { created, (await t.BrGetAsync(id)).BillingRequest() })
        {
            Assert.Equal("utility", Str(br, "purpose_code"));
            Assert.Equal("billing_goods_and_services_in_advance", Str(br, "payment_context_code"));
            Assert.Equal("GDSV", Str(br, "payment_purpose_code"));
            var m = br.GetProperty("mandate_request");
            Assert.Equal(("GYM-0042", "Monthly membership", "telephone", "recurring", "direct", "gold"),
                (Str(m, "reference"), Str(m, "description"), Str(m, "authorisation_source"), Str(m, "consent_type"), Str(m, "funds_settlement"), Str(m, "metadata", "plan")));
            var p = br.GetProperty("payment_request");
            Assert.Equal(("JOIN-42", 100L, "managed", "42"), (Str(p, "reference"), p.GetProperty("app_fee").GetInt64(), Str(p, "funds_settlement"), Str(p, "metadata", "order")));
        }

        foreach (var action in new[] { "collect_customer_details", "collect_bank_account" })
        {
            Assert.Equal(200, (await t.PayerAsync(id, action)).Code);
        }
        var confirmed = (await t.BrActAsync(id, "confirm_payer_details", new { metadata = new { confirmed_by = "phone" } })).BillingRequest();
        Assert.Equal("phone", Str(confirmed, "metadata", "confirmed_by"));
        Assert.Equal(200, (await t.PayerAsync(id, "bank_authorisation")).Code);
        var fulfilled = (await t.BrActAsync(id, "fulfil", new { metadata = new { fulfilled_by = "crm" } })).BillingRequest();
        Assert.Equal("crm", Str(fulfilled, "metadata", "fulfilled_by"));
        Assert.False(fulfilled.GetProperty("metadata").TryGetProperty("confirmed_by", out _)); // replaced, as cancel's
        var events = await t.EventsAsync(id);
        Assert.Equal("crm", Str(events.Single(e => Str(e, "action") == "fulfilled"), "metadata", "fulfilled_by"));
        Assert.Equal("phone", Str(events.Single(e => Str(e, "action") == "payer_details_confirmed"), "metadata", "confirmed_by"));

        var md = Str(fulfilled, "links", "mandate_request_mandate");
        var mandate = (await t.Gc(HttpMethod.Get, "/mandates/" + md)).Json.GetProperty("mandates");
        Assert.Equal(("GYM-0042", "telephone", "recurring", "direct", "gold"),
            (Str(mandate, "reference"), Str(mandate, "authorisation_source"), Str(mandate, "consent_type"), Str(mandate, "funds_settlement"), Str(mandate, "metadata", "plan")));
        Assert.Equal([md], Ids(await t.Gc(HttpMethod.Get, "/mandates?reference=GYM-0042"), "mandates"));
        var payment = (await t.Gc(HttpMethod.Get, "/payments/" + Str(fulfilled, "links", "payment_request_payment"))).Json.GetProperty("payments");
        Assert.Equal(("JOIN-42", 100L, "42"), (Str(payment, "reference"), payment.GetProperty("app_fee").GetInt64(), Str(payment, "metadata", "order")));
    }

    [Theory]
    [InlineData("{\"mandate_request\": {\"currency\": \"GBP\", \"reference\": \"A-REFERENCE-LONGER-THAN-THIRTY-FIVE-CHARS\"}}", "reference")]
    [InlineData("{\"mandate_request\": {\"currency\": \"GBP\", \"authorisation_source\": \"fax\"}}", "authorisation_source")]
    [InlineData("{\"mandate_request\": {\"currency\": \"GBP\", \"funds_settlement\": \"later\"}}", "funds_settlement")]
    [InlineData("{\"payment_request\": {\"amount\": 100, \"currency\": \"GBP\", \"app_fee\": 101}}", "app_fee")]
    [InlineData("{\"payment_request\": {\"amount\": 100, \"currency\": \"GBP\", \"app_fee\": -1}}", "app_fee")]
    [InlineData("{\"payment_request\": {\"amount\": 100, \"currency\": \"GBP\", \"reference\": 7}}", "reference")]
    [InlineData("{\"mandate_request\": {\"currency\": \"GBP\"}, \"purpose_code\": \"holiday\"}", "purpose_code")]
    [InlineData("{\"mandate_request\": {\"currency\": \"GBP\"}, \"payment_context_code\": \"gift\"}", "payment_context_code")]
    public async Task Bad_values_of_the_kept_fields_are_422_validation_failed_naming_them(string request, string field)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Gc(HttpMethod.Post, "/billing_requests", "{\"billing_requests\": " + request + "}")).IsGcError(422, "validation_failed", field: field);
    }

    [Theory]
    [InlineData("/mandates?status=nope", "status")]
    [InlineData("/mandates?status=active,nope", "status")]
    [InlineData("/mandates?colour=red", "colour")]
    [InlineData("/mandates?limit=501", "limit")]
    [InlineData("/mandates?after=MD0000000000AA", "after")]
    [InlineData("/payments?status=pending", "status")]
    [InlineData("/payments?before=PM0000000000AA", "before")]
    [InlineData("/customer_bank_accounts?enabled=yes", "enabled")]
    [InlineData("/customer_bank_accounts?created_at[gt]=yesterday", "created_at[gt]")]
    public async Task Bad_list_parameters_are_422_validation_failed_naming_them(string path, string field)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Gc(HttpMethod.Get, path)).IsGcError(422, "validation_failed", field: field);
    }

    [Theory]
    [InlineData("/mandates/MD0000000000AA")]
    [InlineData("/mandates/PM0000000000AA")]
    [InlineData("/payments/PM0000000000AA")]
    [InlineData("/customer_bank_accounts/BA0000000000AA")]
    [InlineData("/customer_bank_accounts/nope")]
    public async Task Unknown_ids_are_404_resource_not_found_in_GoCardless_envelope(string path)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Gc(HttpMethod.Get, path)).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await t.Gc(HttpMethod.Get, path + "/nothing")).IsGcError(404, "invalid_api_usage", "path_not_found");
        (await t.Gc(HttpMethod.Delete, path)).IsGcError(405, "invalid_api_usage", "method_not_allowed");
    }

    [Fact]
    public async Task Another_account_or_the_other_mode_cannot_read_or_list_them()
    {
        var owner = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var links = (await owner.FulfilledRequestAsync()).GetProperty("links");
        var paths = new[]
        {
            "/mandates/" + Str(links, "mandate_request_mandate"), "/payments/" + Str(links, "payment_request_payment"),
            "/customer_bank_accounts/" + Str(links, "customer_bank_account"),
        };
        foreach (var path in paths)
        {
            Assert.Equal(200, (await owner.Gc(HttpMethod.Get, path)).Code);
            (await other.Gc(HttpMethod.Get, path)).IsGcError(404, "invalid_api_usage", "resource_not_found");
            (await owner.Gc(HttpMethod.Get, path, mode: "sandbox")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        }
        foreach (var list in new[] { "mandates", "payments", "customer_bank_accounts" })
        {
            Assert.Empty(Ids(await other.Gc(HttpMethod.Get, "/" + list), list));
            Assert.Empty(Ids(await owner.Gc(HttpMethod.Get, "/" + list, mode: "sandbox"), list));
            Assert.Single(Ids(await owner.Gc(HttpMethod.Get, "/" + list), list));
        }

        var sandbox = (await owner.FulfilledRequestAsync(mode: "sandbox")).GetProperty("links");
        Assert.Equal([Str(sandbox, "mandate_request_mandate")], Ids(await owner.Gc(HttpMethod.Get, "/mandates", mode: "sandbox"), "mandates"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessResourcesTests_Sqlite(SqliteServer server) : GoCardlessResourcesTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessResourcesTests_Postgres(PostgresServer server) : GoCardlessResourcesTests(server), IClassFixture<PostgresServer>;
