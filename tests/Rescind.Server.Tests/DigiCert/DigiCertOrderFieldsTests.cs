using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>The S/MIME products and the order fields the vendor documents, validated, stored and returned.</summary>
public abstract class DigiCertOrderFieldsTests(RescindServer server)
{
    private static Task<Answer> PlaceAsync(Tenant t, string product, object body) =>
        t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/" + product, body);

    private static async Task<JsonElement> PlacedOrderAsync(Tenant t, string product, object body)
    {
        var a = await PlaceAsync(t, product, body);
        Assert.True(a.Code == 201, a.Body);
        return (await t.GetOrderAsync(a.Json.GetProperty("id").GetInt64())).Json;
    }

    private static readonly object Signing = new { primary_usage = "signing", additional_usages = new[] { "client_auth" } };

    [Fact]
    public async Task A_secure_email_mailbox_order_needs_only_emails_and_a_usage_and_takes_its_common_name_from_the_email()
    {
        var t = await Tenant.CreateAsync(server);

        var order = await PlacedOrderAsync(t, "secure_email_mailbox", new
        {
            certificate = new { emails = new[] { "alice@example.com" }, usage_designation = Signing },
            skip_approval = true,
        });

        var cert = order.GetProperty("certificate");
        Assert.Equal("alice@example.com", cert.GetProperty("common_name").GetString());
        Assert.Equal("strict", cert.GetProperty("profile_type").GetString()); // the documented default
        Assert.Equal("signing", cert.GetProperty("usage_designation").GetProperty("primary_usage").GetString());
        Assert.Equal("client_auth", cert.GetProperty("usage_designation").GetProperty("additional_usages")[0].GetString());
        Assert.False(cert.TryGetProperty("common_name_indicator", out _));
        Assert.Equal("secure_email_mailbox", order.GetProperty("product").GetProperty("name_id").GetString());
        Assert.Equal("waiting_pickup", order.GetProperty("status").GetString()); // no CSR: emailed to the recipient
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_secure_email_sponsor_order_stores_its_individual_and_derives_the_common_name_from_the_indicator()
    {
        var t = await Tenant.CreateAsync(server);

        var named = await PlacedOrderAsync(t, "secure_email_sponsor", new
        {
            certificate = new
            {
                emails = new[] { "dana@example.com" },
                csr = DigiCertClient.Csr,
                profile_type = "multipurpose",
                common_name_indicator = "given_name_surname",
                individual = new { first_name = "Dana", last_name = "Smith" },
                usage_designation = Signing,
            },
            organization = new { id = 112233 },
        });
        var pseudonymous = await PlacedOrderAsync(t, "secure_email_sponsor", new
        {
            certificate = new
            {
                emails = new[] { "ops@example.com" },
                common_name_indicator = "pseudonym",
                individual = new { pseudonym = "Night Shift" },
                usage_designation = Signing,
            },
            organization = new { id = 112233 },
        });

        var cert = named.GetProperty("certificate");
        Assert.Equal("Dana Smith", cert.GetProperty("common_name").GetString());
        Assert.Equal("multipurpose", cert.GetProperty("profile_type").GetString());
        Assert.Equal("given_name_surname", cert.GetProperty("common_name_indicator").GetString());
        Assert.Equal("Smith", cert.GetProperty("individual").GetProperty("last_name").GetString());
        Assert.Equal(112233, named.GetProperty("organization").GetProperty("id").GetInt64());
        Assert.Equal("needs_approval", named.GetProperty("status").GetString());
        Assert.Equal("Night Shift", pseudonymous.GetProperty("certificate").GetProperty("common_name").GetString());
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Secure_email_organization_and_class1_smime_orders_are_placed_and_cancel_like_client_certificates()
    {
        var t = await Tenant.CreateAsync(server);
        var org = await PlaceAsync(t, "secure_email_organization", new
        {
            certificate = new { emails = new[] { "billing@example.com" }, common_name_indicator = "email_address", usage_designation = Signing },
            organization = new { id = 7 },
            skip_approval = true,
        });
        var class1 = await PlaceAsync(t, "class1_smime", new
        {
            certificate = new { emails = new[] { "erin@example.com" }, csr = DigiCertClient.Csr },
            skip_approval = true,
        });
        Assert.Equal(201, org.Code);
        Assert.Equal(201, class1.Code);
        var class1Id = class1.Json.GetProperty("id").GetInt64();

        var order = (await t.GetOrderAsync(class1Id)).Json;
        Assert.Equal("erin@example.com", order.GetProperty("certificate").GetProperty("common_name").GetString());
        Assert.Equal("pending", order.GetProperty("status").GetString()); // with a CSR: the recipient validates the email
        Assert.Equal(204, (await t.CancelAsync(class1Id)).Code);
        Assert.Equal(204, (await t.CancelAsync(org.Json.GetProperty("id").GetInt64())).Code);
        await Audit.AssertVerifiedAsync(server);
    }

    public static TheoryData<string, string, string> BadSmimeBodies() => new()
    {
        { "secure_email_mailbox", """{"certificate":{"emails":["a@example.com"]}}""", "missing_param|certificate.usage_designation.primary_usage" },
        { "secure_email_mailbox", """{"certificate":{"usage_designation":{"primary_usage":"signing"}}}""", "missing_param|certificate.emails" },
        { "secure_email_mailbox", """{"certificate":{"emails":["a@example.com"],"profile_type":"legacy","usage_designation":{"primary_usage":"signing"}}}""", "invalid_param|certificate.profile_type" },
        { "secure_email_mailbox", """{"certificate":{"emails":["a@example.com"],"usage_designation":"signing"}}""", "invalid_param|certificate.usage_designation" },
        { "secure_email_sponsor", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"individual":{"first_name":"A","last_name":"B"}},"organization":{"id":1}}""", "missing_param|certificate.common_name_indicator" },
        { "secure_email_sponsor", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"common_name_indicator":"given_name_surname"},"organization":{"id":1}}""", "missing_param|certificate.individual" },
        { "secure_email_sponsor", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"common_name_indicator":"given_name_surname","individual":{"first_name":"A"}},"organization":{"id":1}}""", "missing_param|certificate.individual.last_name" },
        { "secure_email_sponsor", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"common_name_indicator":"pseudonym","individual":{"first_name":"A","last_name":"B"}},"organization":{"id":1}}""", "missing_param|certificate.individual.pseudonym" },
        { "secure_email_sponsor", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"common_name_indicator":"organization_name","individual":{"pseudonym":"P"}},"organization":{"id":1}}""", "invalid_param|certificate.common_name_indicator" },
        { "secure_email_sponsor", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"common_name_indicator":"pseudonym","individual":{"pseudonym":"P"}}}""", "missing_param|organization.id" },
        { "secure_email_organization", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"common_name_indicator":"organization_name"},"organization":{"id":1}}""", "missing_param|certificate.common_name" },
        { "secure_email_organization", """{"certificate":{"emails":["a@example.com"],"usage_designation":{"primary_usage":"signing"},"common_name_indicator":"email_address"},"organization":{"id":"one"}}""", "invalid_param|organization.id" },
        { "class1_smime", """{"certificate":{"common_name":"Erin"}}""", "missing_param|certificate.emails" },
        { "ssl_basic", """{"certificate":{"common_name":"example.com","csr":"x","dns_names":["ok.example.com","not a name"]}}""", "invalid_param|certificate.dns_names" },
        { "ssl_basic", """{"certificate":{"common_name":"example.com","csr":"x","dns_names":"www.example.com"}}""", "invalid_param|certificate.dns_names" },
        { "client_premium", """{"certificate":{"common_name":"Dana","emails":["d@example.com"],"dns_names":["www.example.com"]}}""", "invalid_param|certificate.dns_names" },
    };

    [Theory]
    [MemberData(nameof(BadSmimeBodies))]
    public async Task A_body_missing_or_misusing_a_documented_field_is_refused_with_that_field(string product, string body, string code)
    {
        var t = await Tenant.CreateAsync(server);
        (await PlaceAsync(t, product, body)).IsDigiCertError(400, code);
        var list = await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate");
        Assert.Equal(0, list.Json.GetProperty("page").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task The_dns_names_of_a_TLS_order_are_stored_and_returned_after_its_common_name()
    {
        var t = await Tenant.CreateAsync(server);

        var order = await PlacedOrderAsync(t, "ssl_multi_domain", new
        {
            certificate = new { common_name = "example.com", csr = DigiCertClient.Csr, dns_names = new[] { "www.example.com", "example.com", "*.api.example.com" } },
            organization = new { id = 5 },
            skip_approval = true,
        });

        var names = order.GetProperty("certificate").GetProperty("dns_names").EnumerateArray().Select(n => n.GetString()).ToList();
        Assert.Equal(["example.com", "www.example.com", "*.api.example.com"], names);
        Assert.Equal(5, order.GetProperty("organization").GetProperty("id").GetInt64());
        var listed = (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/order/certificate")).Json.GetProperty("orders")[0];
        Assert.Equal(3, listed.GetProperty("certificate").GetProperty("dns_names").GetArrayLength());
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertOrderFieldsTests_Sqlite(SqliteServer server) : DigiCertOrderFieldsTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertOrderFieldsTests_Postgres(PostgresServer server) : DigiCertOrderFieldsTests(server), IClassFixture<PostgresServer>;
