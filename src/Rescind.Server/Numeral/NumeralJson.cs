using Rescind.Server.Http;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rescind.Core;

namespace Rescind.Server.Numeral;

/// <summary>Numeral's wire objects, snake_case as the vendor writes them.</summary>
public static class NumeralJson
{
    public static readonly JsonSerializerOptions Options = WireJson.Options(JsonNamingPolicy.SnakeCaseLower, writeNulls: true);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>A certificate request as Numeral shows it: <c>customer</c> is null once the customer is removed
    /// [doc]. <paramref name="asAnswered"/> renders it as it stood at its last change (a repeat cancel answers the
    /// first cancel's body [doc], so a customer removed after the cancel still shows).</summary>
    public static CertificateRequestObject Request(RequestRow r, long now, bool asAnswered = false) => new(
        r.Id,
        "tax.certificate_request",
        NumeralRules.PublicStatus(r.Status, r.ExpiresAt, now),
        r.CustomerId is not null && (r.CustomerDeletedAt is null || (asAnswered && r.CustomerDeletedAt > r.UpdatedAt))
            ? new CustomerRef(r.CustomerId, r.CustomerReference) : null,
        r.Status == NumeralRules.Fulfilled ? r.CertificateId : null,
        r.CertificateTypeId,
        JsonSerializer.Deserialize<string[]>(r.Jurisdictions) ?? [],
        Time.Iso(r.CreatedAt),
        Time.Iso(r.UpdatedAt),
        Time.Iso(r.ExpiresAt),
        true);

    /// <summary>An exemption certificate as the reference shows it [doc]: <c>status</c> as of <paramref name="now"/>,
    /// <c>customer</c> null once the customer is removed [ours, as on requests]; <c>download_url</c> only on the single
    /// read (pass it), never in lists [doc].</summary>
    public static CertificateObject Certificate(CertificateRow x, long now, string? downloadUrl = null)
    {
        var type = NumeralCertificates.TypeOf(x.CertificateTypeId) ?? new CertificateType("", x.CertificateTypeId, x.CertificateTypeId);
        var jurisdictions = (JsonSerializer.Deserialize<string[]>(x.Jurisdictions) ?? [])
            .Select(j => new CertificateJurisdiction(j, x.EffectiveDate, x.ExpirationDate)).ToList();
        return new(
            x.Id,
            NumeralCertificates.ObjectName,
            NumeralCertificates.PublicStatus(x.Status, x.ExpirationDate, NumeralCertificates.Date(now)),
            type,
            x.CustomerId is not null && x.CustomerDeletedAt is null ? new CustomerRef(x.CustomerId, x.CustomerReference) : null,
            jurisdictions,
            x.EffectiveDate,
            x.ExpirationDate,
            Time.Iso(x.CreatedAt),
            Time.Iso(x.UpdatedAt),
            true,
            downloadUrl);
    }

    /// <summary>A customer as the reference shows it: exactly its six fields [doc].</summary>
    public static CustomerObject Customer(CustomerRow c) =>
        new(c.Id, CustomerObjectName, c.ReferenceCustomerId, c.Name, c.Email, c.IsTaxExempt != 0);

    public const string CustomerObjectName = "tax.customer";
}

public sealed record CustomerRef(string Id, string? ReferenceCustomerId);

public sealed record CertificateJurisdiction(string JurisdictionId, string EffectiveDate, string? ExpirationDate);

/// <summary><c>tax.exemption_certificate</c> [doc]. <c>download_url</c> is written only when the certificate is
/// read on its own; Rescind always has the document, so there it is never null.</summary>
public sealed record CertificateObject(
    string Id,
    string Object,
    string Status,
    CertificateType CertificateType,
    CustomerRef? Customer,
    IReadOnlyList<CertificateJurisdiction> Jurisdictions,
    string EffectiveDate,
    string? ExpirationDate,
    string CreatedAt,
    string UpdatedAt,
    bool Livemode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DownloadUrl = null);

public sealed record CertificateList(
    string Object,
    IReadOnlyList<CertificateObject> Certificates,
    bool HasMore,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextCursor);

public sealed record CertificateRequestObject(
    string Id,
    string Object,
    string Status,
    CustomerRef? Customer,
    string? CertificateId,
    string CertificateTypeId,
    IReadOnlyList<string> Jurisdictions,
    string CreatedAt,
    string UpdatedAt,
    string? ExpiresAt,
    bool Livemode);

public sealed record CertificateRequestList(
    string Object,
    IReadOnlyList<CertificateRequestObject> CertificateRequests,
    bool HasMore,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextCursor);

public sealed record CustomerObject(string Id, string Object, string? ReferenceCustomerId, string? Name, string? Email, bool IsTaxExempt);

/// <summary>The answer to a customer's deletion [doc]: its object name and the removal time in Unix seconds.</summary>
public sealed record DeletedCustomerObject(string Object, long DeletedAt);

/// <summary><c>GET /tax/customers</c> [doc]: <c>last_customer_id</c> is the cursor of the next page (null when the
/// page is empty) [ours: on every page].</summary>
public sealed record CustomerList(IReadOnlyList<CustomerObject> Customers, bool HasMore, string? LastCustomerId);

/// <summary>The body of <c>POST /tax/customers</c>: <c>email</c> required [doc].</summary>
public sealed record NewCustomerBody(string Email, string? Name = null, bool? IsTaxExempt = null, string? ReferenceCustomerId = null);

/// <summary>The body of <c>POST /tax/certificate-requests</c>; <c>expires_at</c> is an ISO-8601 UTC timestamp.</summary>
public sealed record NewCertificateRequestBody(string CustomerId, string CertificateTypeId, IReadOnlyList<string> Jurisdictions, string? ExpiresAt = null);

/// <summary>A customer's outstanding queue (the operator's simulation).</summary>
public sealed record OutstandingList(string CustomerId, IReadOnlyList<CertificateRequestObject> Outstanding);
