using System.Formats.Asn1;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace Rescind.Server.DigiCert;

/// <summary>
/// The certificate an order is issued with, as real X.509 material, and the download formats DigiCert documents
/// (Glossary – Certificate formats). Every issuance signs its end-entity certificate with a chain of its own,
/// "Rescind Test Root CA" → "Rescind Test Intermediate CA", whose private keys are dropped as soon as the leaf is
/// signed: the material parses, chains and verifies like DigiCert's, and can never sign anything else [ours].
/// </summary>
public static partial class DigiCertCertificates
{
    /// <summary>The issued certificate: its serial number and SHA-1 thumbprint (upper-case hex, as the order info
    /// shows them) and the chain as PEM, end-entity first, then the intermediate, then the root.</summary>
    public sealed record Issued(string SerialNumber, string Thumbprint, string ChainPem);

    /// <summary>A format DigiCert documents: its content type and what it holds [doc: Glossary – Certificate formats].</summary>
    public sealed record Format(string Name, string ContentType, string Extension, bool Zip, bool Pkcs7, bool Root, bool Intermediate);

    public static IReadOnlyDictionary<string, Format> Formats { get; } = new Format[]
    {
        new("default", "application/zip", ".crt", Zip: true, Pkcs7: false, Root: true, Intermediate: true),
        new("apache", "application/zip", ".crt", Zip: true, Pkcs7: false, Root: false, Intermediate: true),
        new("default_cer", "application/zip", ".cer", Zip: true, Pkcs7: false, Root: true, Intermediate: true),
        new("default_pem", "application/zip", ".crt", Zip: true, Pkcs7: false, Root: true, Intermediate: true),
        new("cer", "application/x-pkcs7-certificates", ".cer", Zip: false, Pkcs7: true, Root: true, Intermediate: true),
        new("p7b", "application/x-pkcs7-certificates", ".p7b", Zip: false, Pkcs7: true, Root: true, Intermediate: true),
        new("pem_all", "application/x-pem-file", ".pem", Zip: false, Pkcs7: false, Root: true, Intermediate: true),
        new("pem_noroot", "application/x-pem-file", ".pem", Zip: false, Pkcs7: false, Root: false, Intermediate: true),
        new("pem_nointermediate", "application/x-pem-file", ".pem", Zip: false, Pkcs7: false, Root: true, Intermediate: false),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static IReadOnlyList<string> ContentTypes { get; } = [.. Formats.Values.Select(f => f.ContentType).Distinct()];

    private const string TlsServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string EmailProtection = "1.3.6.1.5.5.7.3.4";

    /// <summary>Signs the order's certificate, valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.
    /// The key is the CSR's when the order carries one that parses; otherwise a fresh key that nobody keeps (the
    /// order's CSR is stored as given and not checked at ordering [ours]).</summary>
    public static Issued Issue(OrderRow order, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caFrom = notBefore.AddDays(-1);
        var caTill = notAfter.AddYears(1);
        var rootName = Name("Rescind Test Root CA");
        var intermediateName = Name("Rescind Test Intermediate CA");

        var rootRequest = new CertificateRequest(rootName, rootKey, HashAlgorithmName.SHA256);
        AddCa(rootRequest, rootKey, pathLength: 1);
        using var root = rootRequest.CreateSelfSigned(caFrom, caTill.AddYears(1));

        var intermediateRequest = new CertificateRequest(intermediateName, intermediateKey, HashAlgorithmName.SHA256);
        AddCa(intermediateRequest, intermediateKey, pathLength: 0);
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediate = intermediateRequest.Create(rootName, X509SignatureGenerator.CreateForECDsa(rootKey), caFrom, caTill, Serial());

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest(Name(order.CommonName), CsrKey(order.Csr) ?? new PublicKey(leafKey), HashAlgorithmName.SHA256);
        var tls = order.ProductType == DigiCertRules.TlsType;
        var rsa = leafRequest.PublicKey.Oid.Value == "1.2.840.113549.1.1.1"; // an RSA key also enciphers keys
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | (rsa ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.None), true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(tls ? [new Oid(TlsServerAuth)] : [new Oid(ClientAuth), new Oid(EmailProtection)], false));
        leafRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(leafRequest.PublicKey, false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        var san = new SubjectAlternativeNameBuilder();
        var names = 0;
        foreach (var name in tls ? DigiCertJson.DnsNames(order).Where(n => HostName().IsMatch(n)) : DigiCertJson.Emails(order))
        {
            if (tls)
            {
                san.AddDnsName(name);
            }
            else
            {
                san.AddEmailAddress(name);
            }
            names++;
        }
        if (names > 0)
        {
            leafRequest.CertificateExtensions.Add(san.Build());
        }
        var serial = Serial();
        using var leaf = leafRequest.Create(intermediateName, X509SignatureGenerator.CreateForECDsa(intermediateKey), notBefore, notAfter, serial);
        return new(Convert.ToHexString(serial), leaf.Thumbprint, Pem(leaf) + Pem(intermediate) + Pem(root));
    }

    /// <summary>The stored chain in a format: the bytes to send and the file name they go under.</summary>
    public static (byte[] Body, string FileName) Render(string chainPem, Format format, string commonName, DateTimeOffset issued)
    {
        var chain = Split(chainPem);
        var (leaf, intermediate, root) = (chain[0], chain[1], chain[2]);
        var file = FileStem(commonName);
        if (format.Zip)
        {
            using var buffer = new MemoryStream();
            using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            {
                void Add(string name, string pem)
                {
                    var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                    entry.LastWriteTime = issued; // the archive's bytes are the same on every download
                    using var w = entry.Open();
                    w.Write(Encoding.ASCII.GetBytes(pem));
                }
                Add(file + format.Extension, leaf);
                Add("RescindTestIntermediateCA" + format.Extension, intermediate);
                if (format.Root)
                {
                    Add("RescindTestRootCA" + format.Extension, root);
                }
            }
            return (buffer.ToArray(), file + ".zip");
        }
        var parts = new List<string> { leaf };
        if (format.Intermediate)
        {
            parts.Add(intermediate);
        }
        if (format.Root)
        {
            parts.Add(root);
        }
        if (format.Pkcs7)
        {
            var collection = new X509Certificate2Collection();
            foreach (var p in parts)
            {
                collection.Add(X509Certificate2.CreateFromPem(p));
            }
            var der = collection.Export(X509ContentType.Pkcs7)!;
            foreach (var c in collection)
            {
                c.Dispose();
            }
            return (Encoding.ASCII.GetBytes(PemEncoding.WriteString("PKCS7", der) + "\n"), file + format.Extension);
        }
        return (Encoding.ASCII.GetBytes(string.Concat(parts)), file + format.Extension);
    }

    /// <summary>The PEM blocks of a stored chain, in order.</summary>
    public static IReadOnlyList<string> Split(string chainPem)
    {
        var blocks = new List<string>();
        var rest = chainPem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            blocks.Add(rest[fields.Location].ToString() + "\n");
            rest = rest[fields.Location.End.Value..];
        }
        return blocks;
    }

    private static X500DistinguishedName Name(string commonName)
    {
        var b = new X500DistinguishedNameBuilder();
        b.AddCommonName(commonName.Length > 64 ? commonName[..64] : commonName); // X.520's upper bound for a CN
        return b.Build();
    }

    private static void AddCa(CertificateRequest request, ECDsa key, int pathLength)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, pathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(new PublicKey(key), false));
    }

    /// <summary>A positive 128-bit serial number (RFC 5280: positive, at most 20 octets).</summary>
    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x10); // positive and a full 16 octets in DER
        return serial;
    }

    /// <summary>The CSR's public key, or null when the stored CSR is not a PKCS#10 request that parses and verifies.</summary>
    private static PublicKey? CsrKey(string? csr)
    {
        if (csr is null || !PemEncoding.TryFind(csr, out var fields) || csr[fields.Label] is not ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"))
        {
            return null;
        }
        try
        {
            return CertificateRequest.LoadSigningRequestPem(csr[fields.Location], HashAlgorithmName.SHA256).PublicKey;
        }
        catch (CryptographicException)
        {
            // The order took the CSR as text; one that does not parse gets a key of ours, as documented above.
            return null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static string Pem(X509Certificate2 c) => PemEncoding.WriteString("CERTIFICATE", c.RawData) + "\n";

    /// <summary>A file name from the common name: letters, digits, dots and hyphens; a wildcard's star as "star".</summary>
    private static string FileStem(string commonName)
    {
        var s = new string([.. commonName.Replace("*", "star", StringComparison.Ordinal).Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' ? ch : '_')]).Trim('.');
        return s.Length == 0 ? "certificate" : s.Length > 64 ? s[..64] : s;
    }

    [GeneratedRegex(@"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex HostName();
}
