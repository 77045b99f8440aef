using Dapper;
using Rescind.Server.Numeral;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>Exemption certificates: the customer's reviewed submission creates one, the fulfilled request names it,
/// list and get show the vendor's object, the pre-signed download works without a key for an hour, and certificate
/// types are accepted by stable identifier or numeric id.</summary>
public abstract class NumeralCertificateTests(RescindServer server)
{
    private const string Certificates = "/tax/certificates";

    private static List<string> Ids(Answer a) =>
        a.Json.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();

    /// <summary>A request for <paramref name="customer"/> that the customer submits and the review accepts
    /// (or rejects); the certificate id the submission left.</summary>
    private async Task<(string Request, string Certificate)> ReviewedAsync(Tenant t, string customer, bool accept = true, string type = "US-CA-CDTFA-230", string[]? jurisdictions = null)
    {
        var request = await t.CreateRequestAsync(customer, type, jurisdictions: jurisdictions);
        Assert.Equal(200, (await t.SimulateAsync(request, "submit")).Code);
        var reviewed = await t.SimulateAsync(request, accept ? "accept" : "reject");
        Assert.Equal(200, reviewed.Code);
        await using var connection = await server.Db.OpenAsync(CancellationToken.None);
        var certificate = await connection.ExecuteScalarAsync<string>("SELECT id FROM numeral_certificates WHERE request_id = @request", new { request });
        return (request, certificate!);
    }

    [Fact]
    public async Task An_accepted_submission_creates_the_certificate_the_fulfilled_request_names()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync("20506");
        var (request, certificate) = await ReviewedAsync(t, customer, jurisdictions: ["US-CA", "US-NV"]);
        Assert.Equal(certificate, (await t.GetAsync(request)).Str("certificate_id"));

        var a = await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}");

        Assert.Equal(200, a.Code);
        string[] fields = ["id", "object", "status", "certificate_type", "customer", "jurisdictions", "effective_date", "expiration_date", "created_at", "updated_at", "livemode", "download_url"];
        Assert.Equal(fields, a.Json.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^cert_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", certificate);
        Assert.Equal("tax.exemption_certificate", a.Str("object"));
        Assert.Equal("active", a.Str("status"));
        var type = a.Json.GetProperty("certificate_type");
        Assert.Equal(("12", "US-CA-CDTFA-230"), (type.GetProperty("id").GetString(), type.GetProperty("certificate_identifier").GetString()));
        Assert.Equal(customer, a.Json.GetProperty("customer").GetProperty("id").GetString());
        Assert.Equal("20506", a.Json.GetProperty("customer").GetProperty("reference_customer_id").GetString());
        var today = server.Clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(today, a.Str("effective_date"));
        Assert.Equal(["US-CA", "US-NV"], a.Json.GetProperty("jurisdictions").EnumerateArray().Select(j => j.GetProperty("jurisdiction_id").GetString()));
        Assert.All(a.Json.GetProperty("jurisdictions").EnumerateArray(), j => Assert.Equal(today, j.GetProperty("effective_date").GetString()));
        Assert.True(a.Json.GetProperty("livemode").GetBoolean());

        // The 409 tells the caller to retrieve the certificate: it is there.
        (await t.CancelAsync(request)).IsNumeralError(409, "REQUEST_ALREADY_FULFILLED");
        Assert.Equal(200, (await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}")).Code);
    }

    [Fact]
    public async Task A_reviewed_submission_writes_one_certificate_created_event_with_the_certificate_as_listed()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync("ev-1");
        var (_, accepted) = await ReviewedAsync(t, customer);
        var (_, rejected) = await ReviewedAsync(t, customer, accept: false);

        foreach (var (certificate, status) in new[] { (accepted, "active"), (rejected, "invalid") })
        {
            var events = await Audit.EventsAsync(server, certificate);
            var created = Assert.Single(events);
            Assert.Equal("tax.exemption_certificate.created", created.GetProperty("type").GetString());
            var listed = (await t.Numeral(HttpMethod.Get, $"{Certificates}?customer_id={customer}")).Json.GetProperty("certificates")
                .EnumerateArray().Single(c => c.GetProperty("id").GetString() == certificate);
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(
                System.Text.Json.Nodes.JsonNode.Parse(listed.GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(created.GetProperty("payload").GetRawText())),
                created.GetProperty("payload").GetRawText());
            Assert.Equal(status, listed.GetProperty("status").GetString());
        }
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task The_download_url_serves_the_document_without_a_key_and_expires_an_hour_after_it_was_issued()
    {
        var t = await Tenant.CreateAsync(server);
        var (_, certificate) = await ReviewedAsync(t, await t.CreateCustomerAsync());
        var url = new Uri((await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}")).Str("download_url"));
        Assert.Equal($"/tax/certificates/{certificate}/document", url.AbsolutePath);

        var document = await Tenant.SendAsync(server, HttpMethod.Get, url.PathAndQuery, null, []);
        Assert.Equal(200, document.Code);
        Assert.Equal("text/plain", document.Message.Content.Headers.ContentType?.MediaType);
        Assert.Contains(certificate, document.Body, StringComparison.Ordinal);
        Assert.Contains("US-CA-CDTFA-230", document.Body, StringComparison.Ordinal);

        (await Tenant.SendAsync(server, HttpMethod.Get, url.PathAndQuery[..^1] + (url.PathAndQuery[^1] == '0' ? "1" : "0"), null, []))
            .IsNumeralError(403, "DOWNLOAD_URL_INVALID");
        (await Tenant.SendAsync(server, HttpMethod.Get, url.AbsolutePath, null, [])).IsNumeralError(403, "DOWNLOAD_URL_INVALID");
        (await Tenant.SendAsync(server, HttpMethod.Get, $"/tax/certificates/cert_01900000-0000-7000-8000-000000000000/document{url.Query}", null, []))
            .IsNumeralError(404, "CERTIFICATE_NOT_FOUND");

        server.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(200, (await Tenant.SendAsync(server, HttpMethod.Get, url.PathAndQuery, null, [])).Code);
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        (await Tenant.SendAsync(server, HttpMethod.Get, url.PathAndQuery, null, [])).IsNumeralError(403, "DOWNLOAD_URL_EXPIRED");

        var fresh = new Uri((await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}")).Str("download_url"));
        Assert.Equal(200, (await Tenant.SendAsync(server, HttpMethod.Get, fresh.PathAndQuery, null, [])).Code);
    }

    [Fact]
    public async Task Listing_certificates_filters_by_status_customer_jurisdiction_and_type_and_pages_by_cursor()
    {
        var t = await Tenant.CreateAsync(server);
        var alice = await t.CreateCustomerAsync("alice-cert");
        var bob = await t.CreateCustomerAsync("bob-cert");
        var (_, accepted) = await ReviewedAsync(t, alice, jurisdictions: ["US-CA", "US-NV"]);
        var (rejectedRequest, rejected) = await ReviewedAsync(t, bob, accept: false, type: "US-TX-01-339", jurisdictions: ["US-TX"]);
        Assert.Equal("invalid", (await t.GetAsync(rejectedRequest)).Str("status"));

        async Task<List<string>> List(string query) => Ids(await t.Numeral(HttpMethod.Get, $"{Certificates}?{query}"));

        Assert.Equal([rejected, accepted], await List(""));
        Assert.Equal([accepted], await List("status=active"));
        Assert.Equal([rejected], await List("status=invalid"));
        Assert.Empty(await List("status=needs_info"));
        Assert.Equal([accepted], await List($"customer_id={alice}"));
        Assert.Equal([rejected], await List("customer_id=bob-cert&id_type=reference_customer_id"));
        Assert.Empty(await List("customer_id=nobody&id_type=reference_customer_id"));
        Assert.Equal([accepted], await List("jurisdiction=US-NV"));
        Assert.Equal([accepted], await List("certificate_type_id=US-CA-CDTFA-230"));
        Assert.Equal([accepted], await List("certificate_type_id=12"));
        Assert.Equal([rejected], await List("certificate_type_id=21"));
        Assert.Empty(await List("certificate_type_id=999"));

        var first = await t.Numeral(HttpMethod.Get, $"{Certificates}?limit=1");
        Assert.Equal(["object", "certificates", "has_more", "next_cursor"], first.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("list", first.Str("object"));
        Assert.True(first.Json.GetProperty("has_more").GetBoolean());
        Assert.Equal(rejected, first.Str("next_cursor"));
        Assert.DoesNotContain("download_url", first.Body, StringComparison.Ordinal); // only the single read mints one
        var last = await t.Numeral(HttpMethod.Get, $"{Certificates}?limit=1&cursor={rejected}");
        Assert.Equal([accepted], Ids(last));
        Assert.False(last.Json.TryGetProperty("next_cursor", out _)); // omitted on the last page [doc]

        foreach (var bad in new[] { "status=pending", "status=expiring&status=active", "id_type=email", "jurisdiction=us-ca", "limit=101", "cursor=cert_garbage", "colour=blue" })
        {
            (await t.Numeral(HttpMethod.Get, $"{Certificates}?{bad}")).IsNumeralError(400, "INVALID_REQUEST");
        }
    }

    [Fact]
    public async Task An_accepted_certificate_shows_expiring_30_days_before_its_expiration_date_and_expired_after_it()
    {
        var t = await Tenant.CreateAsync(server);
        var (_, certificate) = await ReviewedAsync(t, await t.CreateCustomerAsync());
        var expiration = (await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}")).Str("expiration_date");
        var until = DateTimeOffset.Parse(expiration + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture) - server.Clock.GetUtcNow();

        server.Clock.Advance(until - TimeSpan.FromDays(29));
        Assert.Equal("expiring", (await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}")).Str("status"));
        Assert.Equal([certificate], Ids(await t.Numeral(HttpMethod.Get, $"{Certificates}?status=expiring")));
        server.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal("expired", (await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}")).Str("status"));
        Assert.Equal([certificate], Ids(await t.Numeral(HttpMethod.Get, $"{Certificates}?status=expired")));
        Assert.Empty(Ids(await t.Numeral(HttpMethod.Get, $"{Certificates}?status=active")));
    }

    [Fact]
    public async Task Another_account_s_or_an_unknown_certificate_is_404_and_a_test_key_is_403()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var (_, certificate) = await ReviewedAsync(other, await other.CreateCustomerAsync());
        var test = new Dictionary<string, string?> { ["Authorization"] = "Bearer " + t.TestKey };

        (await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}")).IsNumeralError(404, "CERTIFICATE_NOT_FOUND");
        (await t.Numeral(HttpMethod.Get, $"{Certificates}/cert_nothing")).IsNumeralError(404, "CERTIFICATE_NOT_FOUND");
        (await t.Numeral(HttpMethod.Get, $"{Certificates}/{certificate}", null, test)).IsNumeralError(403, "TESTMODE_NOT_SUPPORTED");
        (await t.Numeral(HttpMethod.Get, Certificates, null, test)).IsNumeralError(403, "TESTMODE_NOT_SUPPORTED");
        Assert.Empty(Ids(await t.Numeral(HttpMethod.Get, Certificates)));
    }

    [Fact]
    public async Task A_certificate_type_is_accepted_by_its_numeric_id_wherever_its_stable_identifier_is()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var byNumber = await t.CreateRequestAsync(customer, type: "12");
        var byIdentifier = await t.CreateRequestAsync(customer, type: "US-TX-01-339");

        Assert.Equal("US-CA-CDTFA-230", (await t.GetAsync(byNumber)).Str("certificate_type_id")); // shown by its stable identifier [doc]
        async Task<List<string>> Requests(string type) => (await t.Numeral(HttpMethod.Get, $"/tax/certificate-requests?certificate_type_id={type}")).Json
            .GetProperty("certificate_requests").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();
        Assert.Equal([byNumber], await Requests("12"));
        Assert.Equal([byNumber], await Requests("US-CA-CDTFA-230"));
        Assert.Equal([byIdentifier], await Requests("21"));
        Assert.Empty(await Requests("US-ZZ-NOPE"));
    }

    [Theory]
    [InlineData("active", null, "2026-03-02", "active")]
    [InlineData("active", "2029-03-01", "2029-01-30", "active")]
    [InlineData("active", "2029-03-01", "2029-01-31", "expiring")]
    [InlineData("active", "2029-03-01", "2029-03-01", "expiring")]
    [InlineData("active", "2029-03-01", "2029-03-02", "expired")]
    [InlineData("invalid", "2029-03-01", "2030-01-01", "invalid")]
    public void The_public_status_follows_the_stored_one_and_the_expiration_date(string stored, string? expiration, string today, string shown) =>
        Assert.Equal(shown, NumeralCertificates.PublicStatus(stored, expiration, today));
}

[Trait("Category", "Sqlite")]
public sealed class NumeralCertificateTests_Sqlite(SqliteServer server) : NumeralCertificateTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralCertificateTests_Postgres(PostgresServer server) : NumeralCertificateTests(server), IClassFixture<PostgresServer>;
