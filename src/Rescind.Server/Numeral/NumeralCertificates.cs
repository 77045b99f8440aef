using System.Globalization;
using Rescind.Core;
using Rescind.Core.Webhooks;

namespace Rescind.Server.Numeral;

/// <summary>A certificate type: its numeric id, its name and its stable identifier (<c>certificate_identifier</c>)
/// [doc: the shape, and the example 12 / US-CA-CDTFA-230].</summary>
public sealed record CertificateType(string Id, string Name, string CertificateIdentifier);

/// <summary>An exemption certificate as stored: what an accepted or rejected submission left.</summary>
public sealed class CertificateRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string? CustomerId { get; set; }

    public string RequestId { get; set; } = "";

    public string CertificateTypeId { get; set; } = "";

    public string Jurisdictions { get; set; } = "[]";

    public string Status { get; set; } = "";

    public string EffectiveDate { get; set; } = "";

    public string? ExpirationDate { get; set; }

    public string Document { get; set; } = "";

    public string DownloadSecret { get; set; } = "";

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public string? CustomerReference { get; set; }

    public long? CustomerDeletedAt { get; set; }
}

/// <summary>
/// Exemption certificates as data and pure rules: the certificate-type catalog, the public status at a moment, the
/// document and its pre-signed download URL. No I/O.
/// </summary>
public static class NumeralCertificates
{
    public const string ObjectName = "tax.exemption_certificate";

    /// <summary>Written when a reviewed submission leaves a certificate [ours: named after the object, as the request
    /// events are; Numeral documents no certificate event in 2026-03-01 and announces
    /// <c>certificate.processing_completed</c> only for a future release].</summary>
    public const string EventCreated = "tax.exemption_certificate.created";

    /// <summary>Stored states: a submission the reviewer accepted, or one it rejected.</summary>
    public const string Active = "active";

    public const string Invalid = "invalid";

    /// <summary>The public vocabulary [doc]. Rescind's simulated review decides at once, so <c>processing</c> and
    /// <c>needs_info</c> are never shown [ours]; <c>expiring</c> and <c>expired</c> follow from the expiration date.</summary>
    public static readonly IReadOnlyList<string> PublicStates = ["processing", "needs_info", "active", "expiring", "expired", Invalid];

    /// <summary>How long an accepted certificate is valid [ours], and how long before that it shows as expiring [ours].</summary>
    public const int ValidityDays = 3 * 365;

    public const int ExpiringDays = 30;

    /// <summary>How long a download URL works once issued [doc: one hour].</summary>
    public static readonly TimeSpan DownloadLifetime = TimeSpan.FromHours(1);

    /// <summary>The certificate types Rescind knows. 12 / US-CA-CDTFA-230 is the reference's example [doc]; the
    /// others, and their numeric ids, are ours.</summary>
    public static readonly IReadOnlyList<CertificateType> Types =
    [
        new("12", "California Resale Certificate (CDTFA-230)", "US-CA-CDTFA-230"),
        new("21", "Texas Sales and Use Tax Resale Certificate (01-339)", "US-TX-01-339"),
        new("31", "New York Resale Certificate (ST-120)", "US-NY-ST-120"),
        new("41", "Florida Annual Resale Certificate (DR-13)", "US-FL-DR-13"),
        new("51", "Illinois Certificate of Resale (CRT-61)", "US-IL-CRT-61"),
        new("61", "Washington Reseller Permit", "US-WA-RESELLER-PERMIT"),
        new("71", "Multistate Tax Commission Uniform Sales & Use Tax Certificate", "US-MTC-UNIFORM"),
        new("81", "Streamlined Sales Tax Certificate of Exemption (F0003)", "US-SST-F0003"),
    ];

    /// <summary>A type by its stable identifier or its numeric id [doc: both are accepted], else null.</summary>
    public static CertificateType? TypeOf(string? idOrIdentifier) =>
        Types.FirstOrDefault(t => t.CertificateIdentifier == idOrIdentifier || t.Id == idOrIdentifier);

    /// <summary>The UTC calendar date of a moment, as the reference writes dates (<c>2023-12-25</c>).</summary>
    public static string Date(long unixMs) => Time.FromUnixMs(unixMs).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string AddDays(string date, int days) =>
        DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The public status on <paramref name="today"/>: an accepted certificate is active until 30 days
    /// before its expiration date, then expiring, and expired after it.</summary>
    public static string PublicStatus(string stored, string? expirationDate, string today) => stored switch
    {
        Active when expirationDate is not null && string.CompareOrdinal(expirationDate, today) < 0 => "expired",
        Active when expirationDate is not null && string.CompareOrdinal(expirationDate, AddDays(today, ExpiringDays)) < 0 => "expiring",
        _ => stored,
    };

    /// <summary>The document a simulated submission carries [ours: plain text naming what it certifies].</summary>
    public static string Document(string certificateId, string customerId, CertificateType type, IReadOnlyList<string> jurisdictions, string effectiveDate) =>
        $"Exemption certificate {certificateId}\n{type.Name} ({type.CertificateIdentifier})\nCustomer {customerId}\n"
        + $"Jurisdictions {string.Join(", ", jurisdictions)}\nEffective {effectiveDate}\nSimulated by Rescind; not a tax document.\n";

    public static string DocumentPath(string certificateId) => $"/tax/certificates/{certificateId}/document";

    /// <summary>The pre-signed query of a download URL: its expiry (Unix seconds) and an HMAC of the certificate id
    /// and that expiry under the certificate's own secret, so the URL needs no credential and cannot be stretched.</summary>
    public static string DownloadQuery(string certificateId, string secret, long expiresUnixSeconds) =>
        FormattableString.Invariant($"expires={expiresUnixSeconds}&signature={Sign(certificateId, secret, expiresUnixSeconds)}");

    public static string Sign(string certificateId, string secret, long expiresUnixSeconds) =>
        Signatures.HmacSha256Hex(secret, FormattableString.Invariant($"{certificateId}.{expiresUnixSeconds}"));

    /// <summary>Why a download is refused, or null when the URL is genuine and still valid at <paramref name="nowUnixSeconds"/>.</summary>
    public static string? CheckDownload(string certificateId, string secret, string? expires, string? signature, long nowUnixSeconds)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var e) || signature is null
            || !Signatures.HexEquals(Sign(certificateId, secret, e), signature))
        {
            return NumeralEnvelope.DownloadUrlInvalid;
        }
        return nowUnixSeconds >= e ? NumeralEnvelope.DownloadUrlExpired : null;
    }
}
