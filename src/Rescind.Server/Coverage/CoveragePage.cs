using System.Text.Json;

namespace Rescind.Server.Coverage;

/// <summary>The coverage tables this build was made with (<c>docs/coverage/coverage.json</c>, embedded), served as
/// JSON at <c>GET /coverage</c> and as the console's coverage page.</summary>
public static class CoveragePage
{
    private static readonly Lazy<string?> Text = new(() =>
    {
        using var stream = typeof(CoveragePage).Assembly.GetManifestResourceStream("Rescind.Server.Coverage.coverage.json");
        return stream is null ? null : new StreamReader(stream).ReadToEnd();
    });

    public static IResult Json() => Text.Value is { } json
        ? Results.Text(json, "application/json; charset=utf-8")
        : Results.Problem(statusCode: 404, title: "not_found", detail: "This build carries no coverage tables.");

    /// <summary>The tables as rows for the console (empty when the build carries none).</summary>
    public static IReadOnlyList<ApiRows> Apis()
    {
        if (Text.Value is not { } json)
        {
            return [];
        }
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("apis").EnumerateArray().Select(a => new ApiRows(
            a.GetProperty("vendor").GetString()!,
            a.GetProperty("client").GetString(),
            a.GetProperty("served").GetInt32(),
            a.GetProperty("operations_total").GetInt32(),
            a.GetProperty("tested").GetInt32(),
            [.. a.GetProperty("operations").EnumerateArray().Select(o => new OperationRow(
                o.GetProperty("family").GetString()!,
                o.GetProperty("operation").GetString()!,
                o.GetProperty("method").GetString() + " " + o.GetProperty("path").GetString(),
                o.GetProperty("served").GetBoolean(),
                o.GetProperty("tests").GetArrayLength(),
                o.GetProperty("client").ValueKind == JsonValueKind.True))]))];
    }

    public sealed record ApiRows(string Vendor, string? Client, int Served, int Total, int Tested, IReadOnlyList<OperationRow> Operations);

    public sealed record OperationRow(string Family, string Operation, string Route, bool Served, int Tests, bool Client);
}
