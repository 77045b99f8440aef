using Rescind.Server.Http;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rescind.Core;

namespace Rescind.Server.DigiCert;

/// <summary>DigiCert's wire objects, snake_case as the vendor writes them. Absent values are omitted, as the
/// vendor omits e.g. <c>date_issued</c> before issuance [doc].</summary>
public static class DigiCertJson
{
    public static readonly JsonSerializerOptions Options = WireJson.Options(JsonNamingPolicy.SnakeCaseLower, writeNulls: false);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static IReadOnlyList<string> Emails(OrderRow o) => JsonSerializer.Deserialize<string[]>(o.Emails) ?? [];

    /// <summary>The names a TLS order secures: its common name, then the additional names it was ordered with.</summary>
    public static IReadOnlyList<string> DnsNames(OrderRow o) =>
        [.. new[] { o.CommonName }.Concat(o.DnsNames is null ? [] : JsonSerializer.Deserialize<string[]>(o.DnsNames) ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase)];

    public static OrderObject Order(OrderRow o, IEnumerable<RequestRow>? requests)
    {
        var smime = o.Smime is null ? null : JsonSerializer.Deserialize<SmimeDetails>(o.Smime, Options);
        return new(
        o.Id,
        new CertificateObject(
            o.CertificateId,
            o.CommonName,
            o.ProductType == DigiCertRules.TlsType ? DnsNames(o) : null,
            o.ProductType == DigiCertRules.ClientType ? Emails(o) : null,
            o.Csr,
            o.SerialNumber,
            o.Thumbprint,
            Time.Iso(o.DateCreated),
            Time.Iso(o.DateIssued),
            o.DateIssued is { } issued ? Day(issued) : null,
            o.ValidTill is { } till ? Day(till) : null,
            new CertValidity(o.ValidityYears),
            smime?.ProfileType,
            smime?.CommonNameIndicator,
            smime?.Individual,
            smime?.UsageDesignation),
        o.Status,
        Time.Iso(o.DateCreated),
        new ProductObject(o.ProductNameId, DigiCertRules.Products.TryGetValue(o.ProductNameId, out var p) ? p.Name : o.ProductNameId, o.ProductType),
        o.PaymentMethod,
        o.ValidityYears,
        o.RefundRequired != 0,
        o.OrganizationId is { } org ? new OrganizationRef(org) : null,
        requests?.Select(r => new OrderRequest(r.Id, Time.Iso(r.Date), r.Type, r.Status, r.Comments)).ToList());
    }

    public static RequestObject Request(RequestRow r) => new(
        r.Id,
        Time.Iso(r.Date),
        r.Type,
        r.Status,
        Time.Iso(r.DateProcessed),
        r.RequesterUserId is { } requester ? new UserRef(requester, r.RequesterFirstName!, r.RequesterLastName!, r.RequesterEmail!) : null,
        r.ProcessorId is not null && r.ProcessorUserId is { } processor ? new UserRef(processor, r.ProcessorFirstName!, r.ProcessorLastName!, r.ProcessorEmail!) : null,
        r.Comments,
        r.ProcessorComment,
        new RequestOrder(r.OrderId, r.OrderStatus, new RequestCertificate(r.CommonName), new RequestProduct(r.ProductNameId)));

    private static string Day(long ms) => Time.FromUnixMs(ms).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

public sealed record CertValidity(int Years);

public sealed record CertificateObject(
    long? Id,
    string CommonName,
    IReadOnlyList<string>? DnsNames,
    IReadOnlyList<string>? Emails,
    string? Csr,
    string? SerialNumber,
    string? Thumbprint,
    string DateCreated,
    string? DateIssued,
    string? ValidFrom,
    string? ValidTill,
    CertValidity CertValidity,
    string? ProfileType,
    string? CommonNameIndicator,
    IndividualObject? Individual,
    UsageDesignation? UsageDesignation);

/// <summary>A Secure Email order's subject details [doc: individual].</summary>
public sealed record IndividualObject(string? FirstName, string? LastName, string? Pseudonym);

/// <summary>A Secure Email order's key usages [doc: usage_designation].</summary>
public sealed record UsageDesignation(string PrimaryUsage, IReadOnlyList<string>? AdditionalUsages);

/// <summary>The Secure Email fields of an order, as stored with it.</summary>
public sealed record SmimeDetails(string ProfileType, string? CommonNameIndicator, IndividualObject? Individual, UsageDesignation UsageDesignation);

public sealed record OrganizationRef(long Id);

public sealed record ProductObject(string NameId, string Name, string Type);

public sealed record OrderRequest(long Id, string Date, string Type, string Status, string? Comments);

public sealed record OrderObject(
    long Id,
    CertificateObject Certificate,
    string Status,
    string DateCreated,
    ProductObject Product,
    string PaymentMethod,
    int ValidityYears,
    bool RefundRequired,
    OrganizationRef? Organization,
    IReadOnlyList<OrderRequest>? Requests);

/// <summary>A user as requests name them [doc: Structures – User details object].</summary>
public sealed record UserRef(long Id, string FirstName, string LastName, string Email);

public sealed record RequestCertificate(string CommonName);

public sealed record RequestProduct(string NameId);

public sealed record RequestOrder(long Id, string Status, RequestCertificate Certificate, RequestProduct Product);

public sealed record RequestObject(
    long Id,
    string Date,
    string Type,
    string Status,
    string? DateProcessed,
    UserRef? Requester,
    UserRef? Processor,
    string? Comments,
    string? ProcessorComment,
    RequestOrder Order);

public sealed record Page(long Total, int Limit, int Offset);

public sealed record CreatedRequest(long Id, string Status);

public sealed record CreatedOrder(long Id, IReadOnlyList<CreatedRequest> Requests);

public sealed record OrderList(IReadOnlyList<OrderObject> Orders, Page Page);

public sealed record RequestList(IReadOnlyList<RequestObject> Requests, Page Page);

/// <summary>One audit log entry as <c>GET /services/v2/audit-log</c> writes it: the change, and the fields of its
/// reason (note, refund_required, …) when it has them. Written from a dictionary, so absent values are null.</summary>
public sealed record AuditLogEntry(
    long Id,
    string Date,
    string ResourceType,
    long ResourceId,
    string Action,
    string? FromStatus,
    string? ToStatus,
    AuditUser User,
    string? RequestId,
    string? Note,
    bool? RefundRequired,
    long? ReissueRequestId,
    long? RevokeRequestId,
    string? ProcessorComment,
    string? Comments);

public sealed record AuditUser(string Kind, string? Id);

public sealed record AuditLog(IReadOnlyList<AuditLogEntry> AuditLogs, Page Page);

// Request bodies as the handlers read them (for the OpenAPI document; the handlers validate the JSON themselves).

public sealed record NewOrderCertificate(string? CommonName, string? Csr, IReadOnlyList<string>? Emails, IReadOnlyList<string>? DnsNames,
    string? ProfileType, string? CommonNameIndicator, IndividualObject? Individual, UsageDesignation? UsageDesignation);

public sealed record NewOrderBody(NewOrderCertificate Certificate, OrganizationRef? Organization, bool? SkipApproval, string? PaymentMethod,
    int? ValidityYears, string? Comments);

public sealed record OrderStatusBody(string Status, string? Note);

public sealed record ReissueCertificate(string? Csr);

public sealed record ReissueBody(ReissueCertificate? Certificate, string? Comments);

public sealed record RevokeBody(string? Comments);

public sealed record RequestStatusBody(string Status, string? ProcessorComment);

/// <summary>A simulated event, or a webhook action without fields: a body, if sent, is ignored.</summary>
public sealed record DigiCertEventBody;
