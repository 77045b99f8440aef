using System.Globalization;
using Rescind.Core.Coordination;

namespace Rescind.Server.DigiCert;

/// <summary>A range of instants, both ends inclusive, in Unix milliseconds.</summary>
public sealed record MsRange(long? From, long? To);

/// <summary>
/// The order list's filters and sort, read from <c>filters[…]</c> and <c>sort</c> [doc: the filter and sort
/// names]. Every documented filter is applied or, where Rescind has nothing to match it against, refused; an
/// unknown filter is refused, never ignored [ours].
/// </summary>
public sealed record OrderQuery
{
    public long? Id { get; init; }

    public IReadOnlyList<string>? Statuses { get; init; }

    public long? OrganizationId { get; init; }

    public string? ProductNameId { get; init; }

    public MsRange? ValidTill { get; init; }

    public MsRange? DateCreated { get; init; }

    public string? CommonName { get; init; }

    public string? DomainName { get; init; }

    public string? Email { get; init; }

    public long? CertificateId { get; init; }

    public string? SerialNumber { get; init; }

    public string? Search { get; init; }

    /// <summary>A filter no order can match (is_renewed=1, origin=migrated, …): the page is empty.</summary>
    public bool MatchesNothing { get; init; }

    /// <summary>The columns to sort by, in order, each with its direction.</summary>
    public IReadOnlyList<(string Column, bool Descending)> Sort { get; init; } = [];

    /// <summary>The documented sort properties [doc: id, common_name, product_name_id, date_created,
    /// validity_years] and the order's other columns we sort by too [ours: valid_till, status, organization_id].</summary>
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["id"] = "id",
        ["common_name"] = "common_name",
        ["product_name_id"] = "product_name_id",
        ["date_created"] = "date_created",
        ["validity_years"] = "validity_years",
        ["valid_till"] = "valid_till",
        ["status"] = "status",
        ["organization_id"] = "organization_id",
    };

    /// <summary>The filters of List orders [doc].</summary>
    public static readonly IReadOnlyList<string> Filters =
    [
        "id", "status", "organization_id", "product_name_id", "valid_till", "user_id", "common_name", "domain_name",
        "date_created", "container_id", "metadata_id", "is_renewed", "disable_renewal_notifications", "email",
        "certificate_id", "origin", "serial_number", "search",
    ];

    /// <summary>Documented filters on what Rescind does not keep (users, containers, metadata) [ours: refused].</summary>
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal) { "user_id", "container_id", "metadata_id" };

    public static (OrderQuery? Query, StoredResponse? Error) Parse(IQueryCollection q)
    {
        var query = new OrderQuery();
        foreach (var (key, values) in q)
        {
            if (!key.StartsWith("filters[", StringComparison.Ordinal))
            {
                continue;
            }
            var name = key.EndsWith(']') ? key["filters[".Length..^1] : "";
            var value = values.Count > 0 ? values[^1] : null;
            if (!Filters.Contains(name))
            {
                return (null, DigiCertEnvelope.InvalidParam(Trim(key),
                    $"{Trim(key)} is not a filter of this list; use one of {string.Join(", ", Filters.Select(f => $"filters[{f}]"))}."));
            }
            if (string.IsNullOrEmpty(value))
            {
                continue; // an empty filter filters nothing, as an absent one
            }
            if (value.Length > 255 || value.Any(char.IsControl))
            {
                return (null, DigiCertEnvelope.InvalidParam(key, $"{key} must be at most 255 characters without control characters."));
            }
            if (Unsupported.Contains(name))
            {
                return (null, DigiCertEnvelope.InvalidParam(key, $"{key} cannot be applied: Rescind keeps no CertCentral users, containers or metadata."));
            }
            var (next, error) = Apply(query, name, key, value);
            if (error is not null)
            {
                return (null, error);
            }
            query = next!;
        }
        if (q.TryGetValue("sort", out var sortValues) && sortValues.Count > 0 && sortValues[^1] is { Length: > 0 } sort)
        {
            var (columns, error) = ParseSort(sort);
            if (error is not null)
            {
                return (null, error);
            }
            query = query with { Sort = columns };
        }
        return (query, null);
    }

    private static (OrderQuery? Query, StoredResponse? Error) Apply(OrderQuery query, string name, string key, string value)
    {
        switch (name)
        {
            case "id" or "organization_id" or "certificate_id":
                if (!DigiCertApi.TryId(value, out var n))
                {
                    return (null, DigiCertEnvelope.InvalidParam(key, $"{key} must be a positive integer."));
                }
                return (name switch
                {
                    "id" => query with { Id = n },
                    "organization_id" => query with { OrganizationId = n },
                    _ => query with { CertificateId = n },
                }, null);
            case "status":
                if (!DigiCertRules.OrderStatuses.Contains(value))
                {
                    return (null, DigiCertEnvelope.InvalidParam(key, $"{key} must be one of {string.Join(", ", DigiCertRules.OrderStatuses)}."));
                }
                // "The issued status filter includes any order where the certificate has been issued, even if the
                // order has expired" [doc].
                return (query with { Statuses = value == DigiCertRules.Issued ? [DigiCertRules.Issued, DigiCertRules.Expired] : [value] }, null);
            case "valid_till" or "date_created":
                if (!TryDates(value, out var range))
                {
                    return (null, DigiCertEnvelope.InvalidParam(key,
                        $"{key} must be a date (yyyy-MM-dd), a range (yyyy-MM-dd...yyyy-MM-dd) or a bound (>=, <=, >, < and a date)."));
                }
                return (name == "valid_till" ? query with { ValidTill = range } : query with { DateCreated = range }, null);
            case "is_renewed" or "disable_renewal_notifications":
                // Rescind renews nothing and sends no renewal notices: every order is 0 [ours].
                return value is "0" or "1"
                    ? (query with { MatchesNothing = query.MatchesNothing || value == "1" }, null)
                    : (null, DigiCertEnvelope.InvalidParam(key, $"{key} must be 1 or 0."));
            case "origin":
                // Every order was placed in CertCentral; none was migrated [ours].
                return value is "certcentral" or "migrated"
                    ? (query with { MatchesNothing = query.MatchesNothing || value == "migrated" }, null)
                    : (null, DigiCertEnvelope.InvalidParam(key, $"{key} must be certcentral or migrated."));
            case "product_name_id":
                return (query with { ProductNameId = value }, null);
            case "common_name":
                return (query with { CommonName = value }, null);
            case "domain_name":
                return (query with { DomainName = value }, null);
            case "email":
                return (query with { Email = value }, null);
            case "serial_number":
                return (query with { SerialNumber = value }, null);
            default: // search
                return (query with { Search = value }, null);
        }
    }

    /// <summary><c>sort=-date_created,common_name</c> [doc: a minus for descending, commas between properties];
    /// a leading plus is ascending [ours].</summary>
    private static (IReadOnlyList<(string, bool)> Columns, StoredResponse? Error) ParseSort(string sort)
    {
        var columns = new List<(string, bool)>();
        foreach (var part in sort.Split(','))
        {
            var p = part.Trim();
            var descending = p.StartsWith('-');
            var property = p.TrimStart('-', '+');
            if (!SortColumns.TryGetValue(property, out var column) || p.Length - property.Length > 1)
            {
                return ([], DigiCertEnvelope.InvalidParam("sort", $"sort takes one or more of {string.Join(", ", SortColumns.Keys)}, each optionally prefixed with -."));
            }
            columns.Add((column, descending));
        }
        return (columns, null);
    }

    /// <summary>A date filter [ours: the syntax]: one day, an inclusive range <c>a...b</c>, or a bound.</summary>
    private static bool TryDates(string value, out MsRange range)
    {
        range = new MsRange(null, null);
        var parts = value.Split("...");
        if (parts.Length == 2)
        {
            if (TryDay(parts[0], out var a) && TryDay(parts[1], out var b) && a <= b)
            {
                range = new MsRange(Start(a), End(b));
                return true;
            }
            return false;
        }
        foreach (var (op, make) in new (string, Func<DateOnly, MsRange>)[]
        {
            (">=", d => new MsRange(Start(d), null)),
            ("<=", d => new MsRange(null, End(d))),
            (">", d => new MsRange(End(d) + 1, null)),
            ("<", d => new MsRange(null, Start(d) - 1)),
            ("", d => new MsRange(Start(d), End(d))),
        })
        {
            if (value.StartsWith(op, StringComparison.Ordinal) && TryDay(value[op.Length..], out var day))
            {
                range = make(day);
                return true;
            }
        }
        return false;
    }

    private static bool TryDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    private static long Start(DateOnly d) => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static long End(DateOnly d) => Start(d.AddDays(1)) - 1;

    private static string Trim(string key) => key.Length > 60 ? key[..60] : key;
}
