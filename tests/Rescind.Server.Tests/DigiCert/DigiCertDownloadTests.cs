using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>Certificate download for issued orders: real X.509 material in each documented format.</summary>
public abstract class DigiCertDownloadTests(RescindServer server)
{
    private static Task<Answer> DownloadAsync(Tenant t, long orderId, string? format = null) =>
        t.DigiCertAsync(HttpMethod.Get, $"/services/v2/certificate/download/order/{orderId}" + (format is null ? "" : "/format/" + format));

    private static async Task<byte[]> BytesAsync(Answer a) => await a.Message.Content.ReadAsByteArrayAsync();

    private static X509Certificate2Collection Certificates(string pem)
    {
        var c = new X509Certificate2Collection();
        c.ImportFromPem(pem);
        return c;
    }

    [Fact]
    public async Task An_issued_TLS_order_downloads_as_pem_all_a_chain_that_verifies_and_carries_the_CSRs_key_and_names()
    {
        var t = await Tenant.CreateAsync(server);
        using var key = RSA.Create(2048);
        var csr = new CertificateRequest("CN=shop.example.com", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
        var placed = await t.DigiCertAsync(HttpMethod.Post, "/services/v2/order/certificate/ssl_basic", new
        {
            certificate = new { common_name = "shop.example.com", dns_names = new[] { "www.shop.example.com" }, csr },
            skip_approval = true,
        });
        Assert.True(placed.Code == 201, placed.Body);
        var id = placed.Json.GetProperty("id").GetInt64();
        Assert.Equal(200, (await t.SimulateAsync(id, "validate")).Code);
        var info = (await t.GetOrderAsync(id)).Json.GetProperty("certificate");

        var a = await DownloadAsync(t, id, "pem_all");

        Assert.True(a.Code == 200, a.Body);
        Assert.Equal("application/x-pem-file", a.Message.Content.Headers.ContentType?.MediaType);
        var chain = Certificates(a.Body);
        Assert.Equal(3, chain.Count);
        var (leaf, intermediate, root) = (chain[0], chain[1], chain[2]);
        Assert.Equal("CN=shop.example.com", leaf.Subject);
        Assert.Equal(info.GetProperty("serial_number").GetString(), leaf.SerialNumber);
        Assert.Equal(info.GetProperty("thumbprint").GetString(), leaf.Thumbprint);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
        Assert.Equal(["shop.example.com", "www.shop.example.com"], san);
        Assert.Equal(info.GetProperty("valid_till").GetString(), leaf.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(root.Subject, root.Issuer);
        Assert.Equal(intermediate.Subject, leaf.Issuer);
        using var verify = new X509Chain();
        verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verify.ChainPolicy.CustomTrustStore.Add(root);
        verify.ChainPolicy.ExtraStore.Add(intermediate);
        verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verify.ChainPolicy.VerificationTime = leaf.NotBefore.AddMinutes(1);
        Assert.True(verify.Build(leaf), string.Join("; ", verify.ChainStatus.Select(s => s.StatusInformation)));

        // The same certificate by its id, and the same bytes on every download.
        var byId = await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/certificate/{info.GetProperty("id").GetInt64()}/download/format/pem_all");
        Assert.Equal(a.Body, byId.Body);
    }

    [Fact]
    public async Task The_pem_formats_leave_out_the_root_or_the_intermediate_and_p7b_holds_the_whole_chain()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var all = Certificates((await DownloadAsync(t, id, "pem_all")).Body);

        var noRoot = Certificates((await DownloadAsync(t, id, "pem_noroot")).Body);
        Assert.Equal([all[0].Thumbprint, all[1].Thumbprint], noRoot.Select(c => c.Thumbprint));
        var noIntermediate = Certificates((await DownloadAsync(t, id, "pem_nointermediate")).Body);
        Assert.Equal([all[0].Thumbprint, all[2].Thumbprint], noIntermediate.Select(c => c.Thumbprint));

        foreach (var format in new[] { "p7b", "cer" })
        {
            var p7 = await DownloadAsync(t, id, format);
            Assert.True(p7.Code == 200, p7.Body);
            Assert.Equal("application/x-pkcs7-certificates", p7.Message.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith("-----BEGIN PKCS7-----", p7.Body, StringComparison.Ordinal);
            var collection = new X509Certificate2Collection();
            var f = PemEncoding.Find(p7.Body);
#pragma warning disable SYSLIB0057 // X509CertificateLoader reads no PKCS#7 bundle; Import is the framework's only reader
            collection.Import(Convert.FromBase64String(p7.Body[f.Base64Data]));
#pragma warning restore SYSLIB0057
            Assert.Equal(all.Select(c => c.Thumbprint).Order(), collection.Select(c => c.Thumbprint).Order());
        }
    }

    [Fact]
    public async Task The_default_format_is_a_zip_of_PEM_files_and_apache_leaves_out_the_root()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync();
        var leaf = Certificates((await DownloadAsync(t, id, "pem_all")).Body)[0];

        foreach (var (format, files) in new[] { ((string?)null, 3), ("default", 3), ("default_pem", 3), ("default_cer", 3), ("apache", 2) })
        {
            var a = await DownloadAsync(t, id, format);
            Assert.True(a.Code == 200, a.Body);
            Assert.Equal("application/zip", a.Message.Content.Headers.ContentType?.MediaType);
            using var zip = new ZipArchive(new MemoryStream(await BytesAsync(a)));
            Assert.Equal(files, zip.Entries.Count);
            Assert.All(zip.Entries, e => Assert.EndsWith(format == "default_cer" ? ".cer" : ".crt", e.Name, StringComparison.Ordinal));
            using var reader = new StreamReader(zip.GetEntry("shop.example.com" + (format == "default_cer" ? ".cer" : ".crt"))!.Open(), Encoding.ASCII);
            Assert.Equal(leaf.Thumbprint, X509Certificate2.CreateFromPem(await reader.ReadToEndAsync()).Thumbprint);
        }
        var platform = await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/certificate/{await CertificateIdAsync(t, id)}/download/platform");
        Assert.True(platform.Code == 200, platform.Body);
        Assert.Equal("application/zip", platform.Message.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<long> CertificateIdAsync(Tenant t, long orderId) =>
        (await t.GetOrderAsync(orderId)).Json.GetProperty("certificate").GetProperty("id").GetInt64();

    [Fact]
    public async Task A_client_certificate_carries_the_recipients_email_and_a_reissue_replaces_the_downloadable_certificate()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.IssuedOrderAsync("client_premium", csr: false);
        var first = await CertificateIdAsync(t, id);
        var leaf = Certificates((await DownloadAsync(t, id, "pem_all")).Body)[0];
        Assert.Equal(["alice@example.com"], SanEmails(leaf));

        Assert.Equal(201, (await t.ReissueAsync(id)).Code);
        Assert.Equal(200, (await DownloadAsync(t, id, "pem_all")).Code); // the active certificate until the reissue completes
        Assert.Equal(200, (await t.SimulateAsync(id, "validate")).Code);
        var second = await CertificateIdAsync(t, id);

        Assert.NotEqual(first, second);
        Assert.NotEqual(leaf.Thumbprint, Certificates((await DownloadAsync(t, id, "pem_all")).Body)[0].Thumbprint);
        (await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/certificate/{first}/download/format/pem_all")).IsDigiCertError(404, "not_found|certificate");
        Assert.Equal(200, (await t.DigiCertAsync(HttpMethod.Get, $"/services/v2/certificate/{second}/download/format/pem_all")).Code);
    }

    private static List<string> SanEmails(X509Certificate2 c)
    {
        // The SAN's rfc822Name entries ([1] IA5String).
        var reader = new System.Formats.Asn1.AsnReader(c.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().RawData, System.Formats.Asn1.AsnEncodingRules.DER);
        var seq = reader.ReadSequence();
        var emails = new List<string>();
        while (seq.HasData)
        {
            var tag = seq.PeekTag();
            if (tag.TagClass == System.Formats.Asn1.TagClass.ContextSpecific && tag.TagValue == 1)
            {
                emails.Add(seq.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 1)));
            }
            else
            {
                seq.ReadEncodedValue();
            }
        }
        return emails;
    }

    [Fact]
    public async Task An_order_without_a_certificate_an_unknown_format_and_another_accounts_order_are_refused_in_DigiCerts_envelope()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = await t.OrderAsync();
        var issued = await t.IssuedOrderAsync();

        (await DownloadAsync(t, pending.Id, "pem_all")).IsDigiCertError(400, "invalid_status|order");
        (await DownloadAsync(t, issued, "pem_everything")).IsDigiCertError(400, "invalid_param|format_type");
        (await DownloadAsync(t, 999_999_999, "pem_all")).IsDigiCertError(404, "not_found|order");
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/certificate/999999999/download/format/pem_all")).IsDigiCertError(404, "not_found|certificate");
        (await t.DigiCertAsync(HttpMethod.Get, "/services/v2/certificate/abc/download/platform")).IsDigiCertError(404, "not_found|certificate");

        var other = await Tenant.CreateAsync(server);
        (await DownloadAsync(other, issued, "pem_all")).IsDigiCertError(404, "not_found|order");
        (await other.DigiCertAsync(HttpMethod.Get, $"/services/v2/certificate/{await CertificateIdAsync(t, issued)}/download/format/pem_all")).IsDigiCertError(404, "not_found|certificate");

        // A canceled order never had one.
        var canceled = await t.OrderAsync();
        Assert.Equal(204, (await t.CancelAsync(canceled.Id)).Code);
        (await DownloadAsync(t, canceled.Id)).IsDigiCertError(400, "invalid_status|order");
    }
}

public sealed class DigiCertDownloadTests_Sqlite(SqliteServer server) : DigiCertDownloadTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertDownloadTests_Postgres(PostgresServer server) : DigiCertDownloadTests(server), IClassFixture<PostgresServer>;
