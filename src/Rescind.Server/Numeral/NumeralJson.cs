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

    public static CertificateRequestObject Request(RequestRow r, long now) => new(
        r.Id,
        "tax.certificate_request",
        NumeralRules.PublicStatus(r.Status, r.ExpiresAt, now),
        r.CustomerId is not null && r.CustomerDeletedAt is null ? new CustomerRef(r.CustomerId, r.CustomerReference) : null,
        r.Status == NumeralRules.Fulfilled ? r.CertificateId : null,
        r.CertificateTypeId,
        JsonSerializer.Deserialize<string[]>(r.Jurisdictions) ?? [],
        Time.Iso(r.CreatedAt),
        Time.Iso(r.UpdatedAt),
        Time.Iso(r.ExpiresAt),
        true);

    public static CustomerObject Customer(CustomerRow c) =>
        new(c.Id, "customer", c.ReferenceCustomerId, c.Name, c.Email, Time.Iso(c.CreatedAt), c.Mode == "live");
}

public sealed record CustomerRef(string Id, string? ReferenceCustomerId);

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

public sealed record CustomerObject(string Id, string Object, string? ReferenceCustomerId, string? Name, string? Email, string CreatedAt, bool Livemode);

public sealed record DeletedObject(string Id, string Object, bool Deleted);

/// <summary>The body of <c>POST /tax/customers</c>: every field optional.</summary>
public sealed record NewCustomerBody(string? ReferenceCustomerId = null, string? Name = null, string? Email = null);

/// <summary>The body of <c>POST /tax/certificate-requests</c>; <c>expires_at</c> is an ISO-8601 UTC timestamp.</summary>
public sealed record NewCertificateRequestBody(string CustomerId, string CertificateTypeId, IReadOnlyList<string> Jurisdictions, string? ExpiresAt = null);

/// <summary>A customer's outstanding queue (the operator's simulation).</summary>
public sealed record OutstandingList(string CustomerId, IReadOnlyList<CertificateRequestObject> Outstanding);
