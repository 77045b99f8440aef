using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>Customers as Numeral's reference documents them: the vendor's example body, its object, get by either
/// id, the list and its cursor, deletion, and the vendor's error type for each validation failure.</summary>
public abstract class NumeralCustomerTests(RescindServer server)
{
    private const string Customers = "/tax/customers";

    private static List<string> Ids(Answer a) =>
        a.Json.GetProperty("customers").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task The_vendor_s_example_body_creates_a_tax_customer_with_200_and_exactly_the_documented_fields()
    {
        var t = await Tenant.CreateAsync(server);

        var a = await t.Numeral(HttpMethod.Post, Customers, """
            {"name": "Customer Name", "email": "customer@example.com", "is_tax_exempt": true, "reference_customer_id": "20506"}
            """);

        Assert.Equal(200, a.Code);
        Assert.Equal(["id", "object", "reference_customer_id", "name", "email", "is_tax_exempt"], a.Json.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^cust_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", a.Str("id"));
        Assert.Equal("tax.customer", a.Str("object"));
        Assert.Equal("20506", a.Str("reference_customer_id"));
        Assert.True(a.Json.GetProperty("is_tax_exempt").GetBoolean());
        Assert.Equal(a.Body, (await t.Numeral(HttpMethod.Get, Customers + "/" + a.Str("id"))).Body);
        Assert.Equal(1, await Audit.EventCountAsync(server, a.Str("id"), "customer.created"));

        var plain = await t.Numeral(HttpMethod.Post, Customers, new { email = "only@example.com" });
        Assert.Equal(200, plain.Code);
        Assert.False(plain.Json.GetProperty("is_tax_exempt").GetBoolean()); // the default is false [doc]
        Assert.Equal(System.Text.Json.JsonValueKind.Null, plain.Json.GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task A_customer_is_read_by_its_id_or_by_its_reference_id()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var id = await t.CreateCustomerAsync("erp-77");
        await other.CreateCustomerAsync("erp-78");
        var byId = await t.Numeral(HttpMethod.Get, $"{Customers}/{id}");
        var explicitId = await t.Numeral(HttpMethod.Get, $"{Customers}/{id}?id_type=id");

        var byReference = await t.Numeral(HttpMethod.Get, $"{Customers}/erp-77?id_type=reference_customer_id");

        Assert.Equal(200, byReference.Code);
        Assert.Equal(byId.Body, byReference.Body);
        Assert.Equal(byId.Body, explicitId.Body);
        (await t.Numeral(HttpMethod.Get, $"{Customers}/erp-78?id_type=reference_customer_id")).IsNumeralError(404, "CUSTOMER_NOT_FOUND");
        (await t.Numeral(HttpMethod.Get, $"{Customers}/erp-77")).IsNumeralError(404, "CUSTOMER_NOT_FOUND");
        (await t.Numeral(HttpMethod.Get, $"{Customers}/{id}?id_type=email")).IsNumeralError(400, "INVALID_REQUEST");
        (await t.Numeral(HttpMethod.Get, $"{Customers}/{id}?expand=all")).IsNumeralError(400, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Listing_customers_pages_newest_first_by_last_customer_id_and_leaves_out_removed_ones()
    {
        var t = await Tenant.CreateAsync(server);
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await t.CreateCustomerAsync("list-" + i));
        }
        Assert.Equal(200, (await t.Numeral(HttpMethod.Delete, $"{Customers}/{created[2]}")).Code);

        var seen = new List<string>();
        string? cursor = null;
        bool more;
        do
        {
            var page = await t.Numeral(HttpMethod.Get, $"{Customers}?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(200, page.Code);
            Assert.Equal(["customers", "has_more", "last_customer_id"], page.Json.EnumerateObject().Select(p => p.Name));
            seen.AddRange(Ids(page));
            more = page.Json.GetProperty("has_more").GetBoolean();
            cursor = page.Str("last_customer_id");
            Assert.Equal(Ids(page)[^1], cursor);
        }
        while (more);

        Assert.Equal([created[4], created[3], created[1], created[0]], seen);
        Assert.Equal(4, Ids(await t.Numeral(HttpMethod.Get, Customers)).Count);
        (await t.Numeral(HttpMethod.Get, $"{Customers}?cursor=cust_01900000-0000-7000-8000-000000000000")).IsNumeralError(400, "INVALID_REQUEST");
        (await t.Numeral(HttpMethod.Get, $"{Customers}?limit=0")).IsNumeralError(400, "INVALID_REQUEST");
        (await t.Numeral(HttpMethod.Get, $"{Customers}?email=a@example.com")).IsNumeralError(400, "INVALID_REQUEST");
    }

    [Fact]
    public async Task A_reference_id_in_use_is_409_DUPLICATE_CUSTOMER_until_its_customer_is_removed()
    {
        var t = await Tenant.CreateAsync(server);
        var first = await t.CreateCustomerAsync("dup-1");
        var test = new Dictionary<string, string?> { ["Authorization"] = "Bearer " + t.TestKey };
        var body = new { email = "again@example.com", reference_customer_id = "dup-1" };

        (await t.Numeral(HttpMethod.Post, Customers, body)).IsNumeralError(409, "DUPLICATE_CUSTOMER");
        Assert.Equal(200, (await t.Numeral(HttpMethod.Post, Customers, body, test)).Code); // test customers are apart

        Assert.Equal(200, (await t.Numeral(HttpMethod.Delete, $"{Customers}/{first}")).Code);
        var second = await t.Numeral(HttpMethod.Post, Customers, body);
        Assert.Equal(200, second.Code);
        Assert.Equal(second.Body, (await t.Numeral(HttpMethod.Get, $"{Customers}/dup-1?id_type=reference_customer_id")).Body);
    }

    [Fact]
    public async Task Deleting_a_customer_answers_its_object_name_and_the_deletion_time_and_records_the_event()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateCustomerAsync();

        var deleted = await t.Numeral(HttpMethod.Delete, $"{Customers}/{id}");

        Assert.Equal(200, deleted.Code);
        Assert.Equal(["object", "deleted_at"], deleted.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("tax.customer", deleted.Str("object"));
        Assert.InRange(deleted.Json.GetProperty("deleted_at").GetInt64(), server.Clock.GetUtcNow().ToUnixTimeSeconds() - 1, server.Clock.GetUtcNow().ToUnixTimeSeconds());
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "customer.deleted"));
        Assert.DoesNotContain(id, (await t.Numeral(HttpMethod.Get, Customers)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parallel_creates_with_one_reference_id_make_exactly_one_customer()
    {
        var t = await Tenant.CreateAsync(server);
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            t.Numeral(HttpMethod.Post, Customers, new { email = $"p{i}@example.com", reference_customer_id = "raced" })));

        Assert.Equal(1, answers.Count(a => a.Code == 200));
        Assert.All(answers.Where(a => a.Code != 200), a => a.IsNumeralError(409, "DUPLICATE_CUSTOMER"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM numeral_customers WHERE account_id = @AccountId", new { t.AccountId }));
    }

    [Fact]
    public async Task There_is_no_customer_update_as_the_reference_documents_none()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateCustomerAsync();
        // PATCH and PUT, and POST on the customer, the way Numeral updates the objects it does let you update (merchants).
        foreach (var method in new[] { HttpMethod.Patch, HttpMethod.Put, HttpMethod.Post })
        {
            (await t.Numeral(method, $"{Customers}/{id}", new { name = "Renamed" })).IsNumeralError(405, "METHOD_NOT_ALLOWED");
        }
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE resource_id = @id AND action <> 'create'", new { id }));
        Assert.Equal("Buyer", (await t.Numeral(HttpMethod.Get, $"{Customers}/{id}")).Str("name"));
    }

    public static TheoryData<string, string, string> BadCustomers => new()
    {
        { """{"name": "No Email"}""", "email missing", "MISSING_FIELD" },
        { """{"email": null}""", "email null", "MISSING_FIELD" },
        { """{"email": "not-an-email"}""", "no @", "INVALID_EMAIL" },
        { """{"email": "two words@example.com"}""", "whitespace", "INVALID_EMAIL" },
        { """{"email": "a@example.com", "is_tax_exempt": "yes"}""", "string for a boolean", "INCORRECT_TYPE" },
        { """{"email": 7}""", "number for the email", "INCORRECT_TYPE" },
        { """{"email": "a@example.com", "name": ["A"]}""", "array for a string", "INCORRECT_TYPE" },
        { """{"email": "a@example.com", "tax_exempt": true}""", "unknown field", "UNRECOGNIZED_FIELD" },
        { """{"email": "a@example.com", "reference_customer_id": ""}""", "empty reference", "INVALID_REQUEST" },
        { "[1]", "not an object", "INVALID_REQUEST" },
    };

    [Theory]
    [MemberData(nameof(BadCustomers))]
    public async Task Each_customer_validation_failure_is_400_with_the_vendor_s_error_type_and_writes_nothing(string body, string why, string type)
    {
        var t = await Tenant.CreateAsync(server);

        var a = await t.Numeral(HttpMethod.Post, Customers, body);

        Assert.True(a.Code == 400, $"{why}: {a.Code} {a.Body}");
        a.IsNumeralError(400, type);
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM numeral_customers WHERE account_id = @AccountId", new { t.AccountId }));
    }
}

[Trait("Category", "Sqlite")]
public sealed class NumeralCustomerTests_Sqlite(SqliteServer server) : NumeralCustomerTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralCustomerTests_Postgres(PostgresServer server) : NumeralCustomerTests(server), IClassFixture<PostgresServer>;
