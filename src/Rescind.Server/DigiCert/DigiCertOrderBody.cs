using System.Text.Json;
using Rescind.Core.Coordination;

namespace Rescind.Server.DigiCert;

/// <summary>
/// The order body of <c>POST /services/v2/order/certificate/{product_name_id}</c>, validated per product; the first
/// problem wins. Fields we do not model (server_platform, dcv_method, …) are accepted and ignored so that real
/// clients' bodies go through; the fields we model are validated strictly and stored [ours].
/// </summary>
public static class DigiCertOrderBody
{
    private const int MaxNames = 250;

    /// <summary>The common-name choices of the Secure Email products [doc: common_name_indicator]; which products
    /// take organization_name is our reading of the reference [ours].</summary>
    public static readonly IReadOnlyList<string> SponsorIndicators = ["given_name_surname", "pseudonym", "email_address"];

    public static readonly IReadOnlyList<string> OrganizationIndicators = ["organization_name", "email_address"];

    public static (NewOrder? Input, StoredResponse? Error) Parse(JsonElement root, string productNameId, string productType)
    {
        if (!root.TryGetProperty("certificate", out var cert) || cert.ValueKind == JsonValueKind.Null)
        {
            return (null, DigiCertEnvelope.Missing("certificate"));
        }
        if (cert.ValueKind != JsonValueKind.Object)
        {
            return (null, DigiCertEnvelope.InvalidParam("certificate", "certificate must be an object."));
        }
        var derivesName = DigiCertRules.IsSmime(productNameId);
        var (commonName, e1) = Str(cert, "certificate.common_name", "common_name", 255, required: !derivesName);
        if (e1 is not null)
        {
            return (null, e1);
        }
        var (csr, e2) = Str(cert, "certificate.csr", "csr", 16000, required: productType == DigiCertRules.TlsType);
        if (e2 is not null)
        {
            return (null, e2);
        }
        var (emails, e3) = Strings(cert, "certificate.emails", "emails", 20, IsEmail, "email addresses");
        if (e3 is not null)
        {
            return (null, e3);
        }
        if (productType == DigiCertRules.ClientType && emails.Count == 0)
        {
            return (null, DigiCertEnvelope.Missing("certificate.emails"));
        }
        var (dnsNames, e4) = Strings(cert, "certificate.dns_names", "dns_names", MaxNames, IsDnsName, "host names");
        if (e4 is not null)
        {
            return (null, e4);
        }
        if (dnsNames.Count > 0 && productType != DigiCertRules.TlsType)
        {
            return (null, DigiCertEnvelope.InvalidParam("certificate.dns_names", "certificate.dns_names is only for TLS certificates."));
        }
        var (organizationId, e5) = Organization(root);
        if (e5 is not null)
        {
            return (null, e5);
        }
        SmimeDetails? smime = null;
        if (derivesName)
        {
            var (details, derived, e6) = Smime(cert, productNameId, emails, commonName, organizationId);
            if (e6 is not null)
            {
                return (null, e6);
            }
            (smime, commonName) = (details, derived);
        }
        var skip = false;
        if (root.TryGetProperty("skip_approval", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return (null, DigiCertEnvelope.InvalidParam("skip_approval", "skip_approval must be true or false."));
            }
            skip = s.GetBoolean();
        }
        var (payment, e7) = Str(root, "payment_method", "payment_method", 16, required: false);
        if (e7 is not null)
        {
            return (null, e7);
        }
        payment ??= "balance";
        if (payment is not ("balance" or "card" or "profile"))
        {
            return (null, DigiCertEnvelope.InvalidParam("payment_method", "payment_method must be balance, card or profile."));
        }
        var years = 1;
        if (root.TryGetProperty("validity_years", out var y) && y.ValueKind != JsonValueKind.Null)
        {
            if (y.ValueKind != JsonValueKind.Number || !y.TryGetInt32(out years) || years is < 1 or > 3)
            {
                return (null, DigiCertEnvelope.InvalidParam("validity_years", "validity_years must be 1, 2 or 3."));
            }
        }
        var (comments, e8) = Str(root, "comments", "comments", 900, required: false);
        if (e8 is not null)
        {
            return (null, e8);
        }
        return (new NewOrder(productNameId, productType, commonName!, emails, csr, skip, payment, years, comments,
            dnsNames, organizationId, smime), null);
    }

    /// <summary>
    /// The Secure Email fields [doc]: <c>profile_type</c> (multipurpose or strict, default strict),
    /// <c>usage_designation.primary_usage</c> (required), <c>common_name_indicator</c> (required for
    /// secure_email_sponsor and secure_email_organization, ignored for secure_email_mailbox), and for
    /// secure_email_sponsor always the <c>individual</c> with the names the indicator needs. The common name is
    /// derived from them where the body has none [ours: the derivation]. class1_smime takes only emails and derives
    /// its common name from the first one [ours].
    /// </summary>
    private static (SmimeDetails? Details, string? CommonName, StoredResponse? Error) Smime(
        JsonElement cert, string product, IReadOnlyList<string> emails, string? commonName, long? organizationId)
    {
        if (product == DigiCertRules.Class1Smime)
        {
            return (null, commonName ?? emails[0], null);
        }
        var (profile, e1) = Str(cert, "certificate.profile_type", "profile_type", 16, required: false);
        if (e1 is not null)
        {
            return (null, null, e1);
        }
        profile ??= "strict";
        if (profile is not ("multipurpose" or "strict"))
        {
            return (null, null, DigiCertEnvelope.InvalidParam("certificate.profile_type", "certificate.profile_type must be multipurpose or strict."));
        }
        var (usage, e2) = Usage(cert);
        if (e2 is not null)
        {
            return (null, null, e2);
        }
        string? indicator = null;
        IndividualObject? individual = null;
        if (product != DigiCertRules.SecureEmailMailbox)
        {
            var allowed = product == DigiCertRules.SecureEmailSponsor ? SponsorIndicators : OrganizationIndicators;
            var (cni, e3) = Str(cert, "certificate.common_name_indicator", "common_name_indicator", 32, required: true);
            if (e3 is not null)
            {
                return (null, null, e3);
            }
            if (!allowed.Contains(cni!))
            {
                return (null, null, DigiCertEnvelope.InvalidParam("certificate.common_name_indicator",
                    $"certificate.common_name_indicator must be one of {string.Join(", ", allowed)} for {product}."));
            }
            indicator = cni;
            if (organizationId is null)
            {
                return (null, null, DigiCertEnvelope.Missing("organization.id"));
            }
        }
        if (product == DigiCertRules.SecureEmailSponsor)
        {
            var (person, e4) = Individual(cert, indicator!);
            if (e4 is not null)
            {
                return (null, null, e4);
            }
            individual = person;
        }
        var derived = commonName ?? (indicator, individual) switch
        {
            ("given_name_surname", { } p) => p.FirstName + " " + p.LastName,
            ("pseudonym", { } p) => p.Pseudonym,
            _ => indicator == "organization_name" ? null : emails[0],
        };
        if (derived is null)
        {
            // Rescind keeps no organization names to derive one from [ours].
            return (null, null, DigiCertEnvelope.Missing("certificate.common_name"));
        }
        return (new SmimeDetails(profile, indicator, individual, usage!), derived, null);
    }

    private static (UsageDesignation? Usage, StoredResponse? Error) Usage(JsonElement cert)
    {
        if (!cert.TryGetProperty("usage_designation", out var u) || u.ValueKind == JsonValueKind.Null)
        {
            return (null, DigiCertEnvelope.Missing("certificate.usage_designation.primary_usage"));
        }
        if (u.ValueKind != JsonValueKind.Object)
        {
            return (null, DigiCertEnvelope.InvalidParam("certificate.usage_designation", "certificate.usage_designation must be an object."));
        }
        var (primary, e1) = Str(u, "certificate.usage_designation.primary_usage", "primary_usage", 64, required: true);
        if (e1 is not null)
        {
            return (null, e1);
        }
        var (additional, e2) = Strings(u, "certificate.usage_designation.additional_usages", "additional_usages", 10,
            v => v.Length is > 0 and <= 64, "usage names");
        return e2 is not null ? (null, e2) : (new UsageDesignation(primary!, additional.Count == 0 ? null : additional), null);
    }

    /// <summary>The individual of a secure_email_sponsor order [doc: always required]: given name and surname for
    /// given_name_surname, a pseudonym for pseudonym, and either for email_address [ours: the reading of "either"].</summary>
    private static (IndividualObject? Individual, StoredResponse? Error) Individual(JsonElement cert, string indicator)
    {
        if (!cert.TryGetProperty("individual", out var i) || i.ValueKind == JsonValueKind.Null)
        {
            return (null, DigiCertEnvelope.Missing("certificate.individual"));
        }
        if (i.ValueKind != JsonValueKind.Object)
        {
            return (null, DigiCertEnvelope.InvalidParam("certificate.individual", "certificate.individual must be an object."));
        }
        var fields = new string?[3];
        string[] names = ["first_name", "last_name", "pseudonym"];
        for (var n = 0; n < 3; n++)
        {
            var (v, e) = Str(i, "certificate.individual." + names[n], names[n], 64, required: false);
            if (e is not null)
            {
                return (null, e);
            }
            fields[n] = v;
        }
        var person = new IndividualObject(fields[0], fields[1], fields[2]);
        var hasName = person.FirstName is not null && person.LastName is not null;
        string? missing = indicator switch
        {
            "given_name_surname" when person.FirstName is null => "first_name",
            "given_name_surname" when person.LastName is null => "last_name",
            "pseudonym" when person.Pseudonym is null => "pseudonym",
            "email_address" when !hasName && person.Pseudonym is null => person.FirstName is null ? "first_name" : "last_name",
            _ => null,
        };
        return missing is null ? (person, null) : (null, DigiCertEnvelope.Missing("certificate.individual." + missing));
    }

    /// <summary><c>organization.id</c> [doc], a positive integer, stored for every product (the list filters on it).</summary>
    private static (long? Id, StoredResponse? Error) Organization(JsonElement root)
    {
        if (!root.TryGetProperty("organization", out var o) || o.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }
        if (o.ValueKind != JsonValueKind.Object)
        {
            return (null, DigiCertEnvelope.InvalidParam("organization", "organization must be an object."));
        }
        if (!o.TryGetProperty("id", out var id) || id.ValueKind == JsonValueKind.Null)
        {
            return (null, DigiCertEnvelope.Missing("organization.id"));
        }
        return id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var n) && n > 0
            ? (n, null)
            : (null, DigiCertEnvelope.InvalidParam("organization.id", "organization.id must be a positive integer."));
    }

    /// <summary>An optional array of strings, each checked; absent or null is empty.</summary>
    private static (List<string> Values, StoredResponse? Error) Strings(JsonElement obj, string field, string name, int max, Func<string, bool> valid, string what)
    {
        var values = new List<string>();
        if (!obj.TryGetProperty(name, out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return (values, null);
        }
        if (list.ValueKind != JsonValueKind.Array)
        {
            return (values, DigiCertEnvelope.InvalidParam(field, $"{field} must be an array of {what}."));
        }
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !valid(item.GetString()!))
            {
                return (values, DigiCertEnvelope.InvalidParam(field, $"{field} must contain only {what}."));
            }
            values.Add(item.GetString()!);
        }
        return values.Count > max
            ? (values, DigiCertEnvelope.InvalidParam(field, $"{field} may hold at most {max} entries."))
            : (values, null);
    }

    /// <summary>A string field: absent, null or blank is missing (an error when required); another type or a longer
    /// value is invalid_param.</summary>
    public static (string? Value, StoredResponse? Error) Str(JsonElement obj, string field, string name, int max, bool required)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null
            || (v.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetString())))
        {
            return (null, required ? DigiCertEnvelope.Missing(field) : null);
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            return (null, DigiCertEnvelope.InvalidParam(field, $"{field} must be a string."));
        }
        var text = v.GetString()!;
        return text.Length > max
            ? (null, DigiCertEnvelope.InvalidParam(field, $"{field} must be at most {max} characters."))
            : (text, null);
    }

    private static bool IsEmail(string e) => e.Length <= 254 && e.IndexOf('@') is > 0 and var at && at < e.Length - 1 && !e.Any(char.IsWhiteSpace);

    /// <summary>A host name, optionally a wildcard (<c>*.example.com</c>): letters, digits, hyphens and dots [ours].</summary>
    private static bool IsDnsName(string n)
    {
        var host = n.StartsWith("*.", StringComparison.Ordinal) ? n[2..] : n;
        return host.Length is > 0 and <= 253 && host.Split('.').All(l => l.Length is > 0 and <= 63
            && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && l[0] != '-' && l[^1] != '-');
    }
}
