using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>Create, get, list with every filter and its cursor, customers, bad input and idempotent creates.</summary>
public abstract class NumeralApiTests(RescindServer server)
{
    private const string Requests = "/tax/certificate-requests";

    private static List<string> Ids(Answer a) =>
        a.Json.GetProperty("certificate_requests").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task A_created_request_is_pending_with_every_documented_field()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync("erp-7");

        var a = await t.Numeral(HttpMethod.Post, Requests, new
        {
            customer_id = customer,
            certificate_type_id = "US-CA-CDTFA-230",
            jurisdictions = new[] { "US-CA", "US-NV" },
            expires_at = "2026-04-01T00:00:00Z",
        });

        Assert.Equal(201, a.Code);
        Assert.Matches("^cert_req_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", a.Str("id"));
        Assert.Equal("pending", a.Str("status"));
        Assert.Equal("2026-04-01T00:00:00.000Z", a.Str("expires_at"));
        Assert.Equal(["US-CA", "US-NV"], a.Json.GetProperty("jurisdictions").EnumerateArray().Select(j => j.GetString()));
        string[] fields = ["id", "object", "status", "customer", "certificate_id", "certificate_type_id", "jurisdictions", "created_at", "updated_at", "expires_at", "livemode"];
        Assert.Equal(fields, a.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(a.Body, (await t.GetAsync(a.Str("id"))).Body);
        Assert.Equal(1, await Audit.EventCountAsync(server, a.Str("id"), "tax.certificate_request.created"));
    }

    [Fact]
    public async Task Listing_pages_newest_first_by_cursor_without_gaps_or_repeats()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var created = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            created.Add(await t.CreateRequestAsync(customer));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await t.Numeral(HttpMethod.Get, $"{Requests}?limit=10" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(200, page.Code);
            Assert.Equal("list", page.Str("object"));
            seen.AddRange(Ids(page));
            var hasMore = page.Json.GetProperty("has_more").GetBoolean();
            cursor = page.Json.TryGetProperty("next_cursor", out var c) ? c.GetString() : null;
            Assert.Equal(hasMore, cursor is not null); // next_cursor omitted on the last page [doc]
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(created), seen);
        Assert.Equal(10, Ids(await t.Numeral(HttpMethod.Get, Requests)).Count); // default limit
    }

    [Fact]
    public async Task Status_filters_use_the_public_vocabulary()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = await t.PendingRequestAsync();
        var processing = await t.PendingRequestAsync();
        await t.SimulateAsync(processing, "submit");
        var fulfilled = await t.PendingRequestAsync();
        await t.SimulateAsync(fulfilled, "submit");
        await t.SimulateAsync(fulfilled, "accept");
        var failed = await t.PendingRequestAsync();
        await t.SimulateAsync(failed, "submit");
        await t.SimulateAsync(failed, "reject");
        var canceled = await t.PendingRequestAsync();
        await t.CancelAsync(canceled);

        async Task<List<string>> Status(string s) => Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?status={s}&limit=100"));

        Assert.Equal([processing, pending], await Status("pending"));
        Assert.Equal([fulfilled], await Status("fulfilled"));
        Assert.Equal([failed], await Status("invalid"));
        Assert.Equal([canceled], await Status("canceled"));
        // The internal states and the certificate vocabulary are not request statuses [doc: pending, fulfilled, canceled, invalid].
        foreach (var s in new[] { "processing", "failed", "needs_info", "active" })
        {
            (await t.Numeral(HttpMethod.Get, $"{Requests}?status={s}")).IsNumeralError(400, "INVALID_REQUEST");
        }
        Assert.Equal("pending", (await t.GetAsync(processing)).Str("status"));
    }

    [Fact]
    public async Task Customer_filters_resolve_by_id_or_reference_and_an_unresolvable_customer_lists_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var alice = await t.CreateCustomerAsync("alice-erp");
        var bob = await t.CreateCustomerAsync("bob-erp");
        var forAlice = await t.CreateRequestAsync(alice);
        var forBob = await t.CreateRequestAsync(bob, type: "US-TX-01-339");
        var othersCustomer = await other.CreateCustomerAsync("alice-erp");
        await other.CreateRequestAsync(othersCustomer);

        Assert.Equal([forAlice], Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?customer_id={alice}")));
        Assert.Equal([forAlice], Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?customer_id={alice}&id_type=id")));
        Assert.Equal([forBob], Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?customer_id=bob-erp&id_type=reference_customer_id")));
        Assert.Equal([forBob], Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?certificate_type_id=US-TX-01-339")));
        Assert.Empty(Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?customer_id=nobody&id_type=reference_customer_id")));
        Assert.Empty(Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?customer_id={othersCustomer}")));
        (await t.Numeral(HttpMethod.Get, $"{Requests}?customer_id={alice}&id_type=email")).IsNumeralError(400, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Time_filters_select_by_created_and_updated_time()
    {
        var t = await Tenant.CreateAsync(server);
        var first = await t.PendingRequestAsync();
        var cut = (await t.GetAsync(first)).Str("created_at");
        var second = await t.PendingRequestAsync();
        await t.CancelAsync(first);
        var firstUpdated = (await t.GetAsync(first)).Str("updated_at");

        Assert.Equal([second], Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?created_after={cut}")));
        Assert.Empty(Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?created_before={cut}")));
        Assert.Equal([first], Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?updated_after={(await t.GetAsync(second)).Str("updated_at")}")));
        Assert.Contains(second, Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?updated_before={firstUpdated}")));
        (await t.Numeral(HttpMethod.Get, $"{Requests}?created_after=yesterday")).IsNumeralError(400, "INVALID_REQUEST");
        (await t.Numeral(HttpMethod.Get, $"{Requests}?created_after=2026-03-01T00:00:00%2B02:00")).IsNumeralError(400, "INVALID_REQUEST");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("limit=-1")]
    [InlineData("limit=99999999999999999999")]
    [InlineData("cursor=cert_req_01900000-0000-7000-8000-000000000000")]
    [InlineData("cursor=garbage")]
    [InlineData("colour=blue")]
    [InlineData("status=pending&status=canceled")]
    [InlineData("id_type=phone")]
    public async Task Bad_list_parameters_are_400_INVALID_REQUEST(string query)
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Numeral(HttpMethod.Get, $"{Requests}?{query}")).IsNumeralError(400, "INVALID_REQUEST");
    }

    [Theory]
    [InlineData("id_type=id")]
    [InlineData("id_type=reference_customer_id")]
    public async Task Id_type_without_customer_id_is_the_default_filter_and_filters_nothing(string query)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var list = await t.Numeral(HttpMethod.Get, $"{Requests}?{query}");
        Assert.Equal(200, list.Code);
        Assert.Equal([id], Ids(list));
    }

    [Fact]
    public async Task A_cursor_from_another_account_is_refused()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var foreign = await other.PendingRequestAsync();
        (await t.Numeral(HttpMethod.Get, $"{Requests}?cursor={foreign}")).IsNumeralError(400, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Removing_a_customer_leaves_its_requests_with_customer_null()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync("gone");
        var id = await t.CreateRequestAsync(customer);

        var deleted = await t.Numeral(HttpMethod.Delete, "/tax/customers/" + customer);

        Assert.Equal(200, deleted.Code);
        Assert.Equal("tax.customer", deleted.Str("object"));
        Assert.InRange(deleted.Json.GetProperty("deleted_at").GetInt64(), server.Clock.GetUtcNow().ToUnixTimeSeconds() - 1, server.Clock.GetUtcNow().ToUnixTimeSeconds());
        Assert.Equal(JsonValueKind.Null, (await t.GetAsync(id)).Json.GetProperty("customer").ValueKind);
        Assert.Empty(Ids(await t.Numeral(HttpMethod.Get, $"{Requests}?customer_id={customer}")));
        (await t.Numeral(HttpMethod.Get, "/tax/customers/" + customer)).IsNumeralError(404, "CUSTOMER_NOT_FOUND");
        (await t.Numeral(HttpMethod.Delete, "/tax/customers/" + customer)).IsNumeralError(404, "CUSTOMER_NOT_FOUND");
        Assert.Equal("canceled", (await t.CancelAsync(id)).Str("status"));
    }

    [Fact]
    public async Task A_repeat_cancel_answers_the_first_cancel_s_body_after_its_customer_is_removed()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync("leaves-later");
        var id = await t.CreateRequestAsync(customer);
        var first = await t.CancelAsync(id);
        Assert.Equal(200, first.Code);
        Assert.Equal(customer, first.Json.GetProperty("customer").GetProperty("id").GetString());

        Assert.Equal(200, (await t.Numeral(HttpMethod.Delete, "/tax/customers/" + customer)).Code);
        var again = await t.CancelAsync(id);

        Assert.Equal(200, again.Code);
        Assert.Equal(first.Body, again.Body);
        Assert.Equal(JsonValueKind.Null, (await t.GetAsync(id)).Json.GetProperty("customer").ValueKind);
    }

    [Theory]
    [InlineData("bearer ")]
    [InlineData("BEARER ")]
    [InlineData("Bearer ")]
    public async Task The_auth_scheme_is_matched_without_regard_to_case(string scheme)
    {
        var t = await Tenant.CreateAsync(server);
        var created = await t.Numeral(HttpMethod.Post, "/tax/customers", new { name = "Any case", email = "any@example.com" }, new() { ["Authorization"] = scheme + t.LiveKey });
        Assert.Equal(200, created.Code);
        (await t.Numeral(HttpMethod.Get, "/tax/customers/" + created.Str("id"), null, new() { ["Authorization"] = scheme.ToLowerInvariant() + t.LiveKey + "x" }))
            .IsNumeralError(401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Test_mode_customers_are_separate_and_cannot_receive_certificate_requests()
    {
        var t = await Tenant.CreateAsync(server);
        var test = new Dictionary<string, string?> { ["Authorization"] = "Bearer " + t.TestKey };
        var created = await t.Numeral(HttpMethod.Post, "/tax/customers", new { name = "Sandbox", email = "sandbox@example.com" }, test);
        Assert.Equal(200, created.Code);
        Assert.Equal(200, (await t.Numeral(HttpMethod.Get, "/tax/customers/" + created.Str("id"), null, test)).Code);
        Assert.DoesNotContain(created.Str("id"), (await t.Numeral(HttpMethod.Get, "/tax/customers")).Body, StringComparison.Ordinal);

        (await t.Numeral(HttpMethod.Get, "/tax/customers/" + created.Str("id"))).IsNumeralError(404, "CUSTOMER_NOT_FOUND");
        (await t.Numeral(HttpMethod.Post, Requests, new { customer_id = created.Str("id"), certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } }))
            .IsNumeralError(404, "CUSTOMER_NOT_FOUND");
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "{", "malformed JSON", "INVALID_REQUEST" },
        { "", "empty body", "INVALID_REQUEST" },
        { "[]", "not an object", "INVALID_REQUEST" },
        { "null", "null", "INVALID_REQUEST" },
        { """{"customer_id": 42, "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"]}""", "number for a string", "INCORRECT_TYPE" },
        { """{"customer_id": "CUST", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"]}""", "bad id format", "INVALID_REQUEST" },
        { """{"certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"]}""", "missing customer", "MISSING_FIELD" },
        { """{"customer_id": "@C", "certificate_type_id": "US CA", "jurisdictions": ["US-CA"]}""", "bad type", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": "US-CA"}""", "string for an array", "INCORRECT_TYPE" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": []}""", "empty array", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": [1]}""", "number in array", "INCORRECT_TYPE" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA", "US-CA"]}""", "repeated item", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"], "expires_at": "2027-01-01T00:00:00"}""", "no zone", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"], "expires_at": "2027-01-01T00:00:00+02:00"}""", "not UTC", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"], "expires_at": "2020-01-01T00:00:00Z"}""", "in the past", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"], "expires_at": 1767225600}""", "number for a time", "INCORRECT_TYPE" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"], "priority": "high"}""", "unknown field", "UNRECOGNIZED_FIELD" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230\u0000", "jurisdictions": ["US-CA"]}""", "NUL in a string", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": ["US-CA"]} trailing""", "trailing garbage", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "certificate_type_id": "US-ZZ-NOPE", "jurisdictions": ["US-CA"]}""", "unknown certificate type", "INVALID_REQUEST" },
        { """{"customer_id": "@C", "jurisdictions": ["US-CA"]}""", "missing type", "MISSING_FIELD" },
        { """{"customer_id": "@C", "certificate_type_id": "US-CA-CDTFA-230", "jurisdictions": true}""", "boolean for an array", "INCORRECT_TYPE" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_create_bodies_are_400_with_the_vendor_s_error_type_and_write_nothing(string body, string why, string type)
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();

        var a = await t.Numeral(HttpMethod.Post, Requests, body.Replace("@C", customer, StringComparison.Ordinal));

        Assert.True(a.Code == 400, $"{why}: {a.Code} {a.Body}");
        a.IsNumeralError(400, type);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId", new { t.AccountId }));
    }

    [Fact]
    public async Task An_oversized_body_is_413_in_Numerals_envelope_and_writes_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var huge = JsonSerializer.Serialize(new { customer_id = customer, certificate_type_id = new string('A', 70_000), jurisdictions = new[] { "US-CA" } });

        (await t.Numeral(HttpMethod.Post, Requests, huge)).IsNumeralError(413, "PAYLOAD_TOO_LARGE");
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId", new { t.AccountId }));
    }

    [Fact]
    public async Task An_unknown_customer_is_404_CUSTOMER_NOT_FOUND()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var foreign = await other.CreateCustomerAsync();
        (await t.Numeral(HttpMethod.Post, Requests, new { customer_id = foreign, certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } }))
            .IsNumeralError(404, "CUSTOMER_NOT_FOUND");
    }

    [Fact]
    public async Task An_idempotency_key_replays_the_first_create_and_refuses_a_different_body()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "k-" + Guid.NewGuid() };
        var body = new { customer_id = customer, certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } };

        var first = await t.Numeral(HttpMethod.Post, Requests, body, key);
        var again = await t.Numeral(HttpMethod.Post, Requests, body, key);
        var different = await t.Numeral(HttpMethod.Post, Requests, body with { certificate_type_id = "US-TX-01-339" }, key);

        Assert.Equal(201, again.Code);
        Assert.Equal(first.Body, again.Body);
        different.IsNumeralError(422, "IDEMPOTENCY_KEY_REUSED");
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId", new { t.AccountId }));
        Assert.Equal(201, (await t.Numeral(HttpMethod.Post, Requests, body, new() { ["Idempotency-Key"] = "k-" + Guid.NewGuid() })).Code);
        (await t.Numeral(HttpMethod.Post, Requests, body, new() { ["Idempotency-Key"] = new string('k', 256) })).IsNumeralError(400, "INVALID_REQUEST");
    }

    [Fact]
    public async Task An_idempotency_key_is_scoped_to_its_account()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "shared-" + Guid.NewGuid() };

        var mine = await t.Numeral(HttpMethod.Post, "/tax/customers", new { name = "A", email = "a@example.com" }, key);
        var theirs = await other.Numeral(HttpMethod.Post, "/tax/customers", new { name = "A", email = "a@example.com" }, key);

        Assert.Equal(200, theirs.Code);
        Assert.NotEqual(mine.Str("id"), theirs.Str("id"));
    }

    [Fact]
    public async Task Every_response_carries_X_Request_Id_echoing_a_well_formed_one()
    {
        var t = await Tenant.CreateAsync(server);
        var echoed = await t.Numeral(HttpMethod.Get, Requests, headers: new() { ["X-Request-Id"] = "abc-123_Z" });
        var replaced = await t.Numeral(HttpMethod.Get, Requests, headers: new() { ["X-Request-Id"] = "bad id with spaces" });
        var error = await t.Numeral(HttpMethod.Get, Requests, headers: new() { ["X-API-Version"] = null });
        var unknownRoute = await t.Numeral(HttpMethod.Get, "/tax/nothing-here");

        Assert.Equal("abc-123_Z", echoed.Header("X-Request-Id"));
        Assert.StartsWith("req_", replaced.Header("X-Request-Id"), StringComparison.Ordinal);
        Assert.NotNull(error.Header("X-Request-Id"));
        unknownRoute.IsNumeralError(404, "NOT_FOUND");
        Assert.NotNull(unknownRoute.Header("X-Request-Id"));
    }

    [Fact]
    public async Task A_wrong_method_is_405_in_Numerals_envelope()
    {
        var t = await Tenant.CreateAsync(server);
        (await t.Numeral(HttpMethod.Put, Requests)).IsNumeralError(405, "METHOD_NOT_ALLOWED");
    }

    [Fact]
    public async Task The_operator_api_needs_the_operator_credential_and_speaks_problem_details()
    {
        var t = await Tenant.CreateAsync(server);
        var a = await Tenant.SendAsync(server, HttpMethod.Get, "/operator/accounts", null, new() { ["Authorization"] = "Bearer " + t.LiveKey });
        Assert.Equal(401, a.Code);
        Assert.Equal(401, a.Json.GetProperty("status").GetInt32());
        Assert.Equal("application/problem+json", a.Message.Content.Headers.ContentType?.MediaType);
        Assert.Equal(200, (await Tenant.Operator(server, HttpMethod.Get, "/operator/accounts")).Code);
        Assert.Equal(200, (await Tenant.SendAsync(server, HttpMethod.Get, "/healthz", null, [])).Code);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_numeral_routes()
    {
        var a = await Tenant.SendAsync(server, HttpMethod.Get, "/openapi/numeral.json", null, []);
        Assert.Equal(200, a.Code);
        var paths = a.Json.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/tax/certificate-requests/{request_id}", out var one));
        Assert.True(one.TryGetProperty("delete", out _));
    }
}

[Trait("Category", "Sqlite")]
public sealed class NumeralApiTests_Sqlite(SqliteServer server) : NumeralApiTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralApiTests_Postgres(PostgresServer server) : NumeralApiTests(server), IClassFixture<PostgresServer>;
