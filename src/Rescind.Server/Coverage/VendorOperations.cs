using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rescind.Server.Coverage;

/// <summary>
/// A vendor's operations for the resource families its cancel's integration touches, as checked in beside the API
/// (<c>&lt;Folder&gt;/vendor-operations.json</c>, embedded in the assembly), with the sources they were read from.
/// </summary>
public sealed record VendorOperations(
    string Api,
    string Vendor,
    IReadOnlyList<VendorSource> Sources,
    VendorClient? Client,
    IReadOnlyList<VendorFamily> Families)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Every vendor's list, in the order of <see cref="Hosting.ApiModules.All"/>.</summary>
    public static IReadOnlyList<VendorOperations> All { get; } = Load();

    /// <summary>The API's folder under src/Rescind.Server, where the list is checked in.</summary>
    [JsonIgnore]
    public string Folder { get; init; } = "";

    /// <summary>The path prefixes of an API's vendor operations (the first segment, or the first two when the first
    /// is a version or <c>services</c>): every path under them answers in the API's envelope, served or not.</summary>
    public static IEnumerable<string> PrefixesOf(string api) =>
        All.Where(v => v.Api == api).SelectMany(v => v.Operations).Select(o =>
        {
            var segments = o.Operation.Path.Trim('/').Split('/');
            var versioned = segments.Length > 1 && (System.Text.RegularExpressions.Regex.IsMatch(segments[0], "^v[0-9]+$") || segments[0] == "services");
            return "/" + string.Join('/', segments.Take(versioned ? 2 : 1));
        }).Distinct(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<(VendorFamily Family, VendorOperation Operation)> Operations =>
        Families.SelectMany(f => f.Operations.Select(o => (f, o)));

    private static List<VendorOperations> Load()
    {
        var assembly = typeof(VendorOperations).Assembly;
        var lists = new List<VendorOperations>();
        foreach (var module in Hosting.ApiModules.All)
        {
            var name = assembly.GetManifestResourceNames().FirstOrDefault(n =>
                n.EndsWith(".vendor-operations.json", StringComparison.Ordinal)
                && n.Split('.')[^3].Equals(module.Name, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                continue;
            }
            using var stream = assembly.GetManifestResourceStream(name)!;
            var list = JsonSerializer.Deserialize<VendorOperations>(stream, Json) ?? throw new InvalidOperationException(name + " is empty");
            lists.Add(list with { Folder = name.Split('.')[^3] });
        }
        return lists;
    }
}

public sealed record VendorSource(string Id, string Name, string Where);

/// <summary>The vendor's official client: its requests carry <paramref name="UserAgent"/> in their User-Agent.</summary>
public sealed record VendorClient(string Name, string Version, [property: JsonPropertyName("userAgent")] string UserAgent);

public sealed record VendorFamily(string Name, string Why, IReadOnlyList<VendorOperation> Operations);

public sealed record VendorOperation(string Operation, string Method, string Path, string Source, string? Note = null, string? Sdk = null);
