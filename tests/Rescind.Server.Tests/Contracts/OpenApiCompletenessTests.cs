using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;
using Xunit;

namespace Rescind.Server.Tests.Contracts;

/// <summary>
/// Every served OpenAPI document describes each of its operations completely: its path parameters, a request body
/// schema for every write that takes one, and for every response status a schema (the vendor's error envelope for
/// errors), with the document's schemas under <c>components</c>. A client generated from it, or a test validating
/// a response against it, needs all of that.
/// </summary>
[Trait("Category", "Sqlite")]
public sealed class OpenApiCompletenessTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    public static TheoryData<string> Documents => new() { "numeral", "digicert", "crisscross", "gocardless", "circle", "rescind", "operator" };

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Every_operation_of_the_document_has_its_parameters_request_and_response_schemas(string document)
    {
        using var response = await server.Client.GetAsync($"/openapi/{document}.json");
        Assert.Equal(200, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var problems = Problems(doc.RootElement);
        Assert.True(problems.Count == 0, $"{document}: {problems.Count} gaps\n" + string.Join("\n", problems));
    }

    public static TheoryData<string> SnakeCaseDocuments => new() { "numeral", "digicert", "gocardless", "rescind" };

    /// <summary>The schemas name properties as the wire does: in a snake_case API's document, no property of any
    /// schema (nested records included) is camelCase.</summary>
    [Theory]
    [MemberData(nameof(SnakeCaseDocuments))]
    public async Task A_snake_case_document_names_every_property_in_snake_case(string document)
    {
        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync($"/openapi/{document}.json"));
        var camel = new List<string>();
        foreach (var schema in doc.RootElement.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            Collect(schema.Name, schema.Value, camel);
        }
        Assert.True(camel.Count == 0, $"{document}: " + string.Join(", ", camel));
    }

    private static void Collect(string path, JsonElement schema, List<string> camel)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties))
        {
            return;
        }
        foreach (var p in properties.EnumerateObject())
        {
            if (p.Name.Any(char.IsUpper))
            {
                camel.Add($"{path}.{p.Name}");
            }
            Collect($"{path}.{p.Name}", p.Value, camel);
        }
    }

    /// <summary>What a document lacks, one line per gap.</summary>
    public static List<string> Problems(JsonElement root)
    {
        var problems = new List<string>();
        if (!root.TryGetProperty("components", out var components) || !components.TryGetProperty("schemas", out var schemas)
            || schemas.EnumerateObject().Count() == 0)
        {
            problems.Add("no components.schemas");
        }
        if (!root.TryGetProperty("paths", out var paths) || paths.EnumerateObject().Count() == 0)
        {
            problems.Add("no paths");
            return problems;
        }
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                if (op.Name is "parameters" or "summary" or "description")
                {
                    continue;
                }
                var name = $"{op.Name.ToUpperInvariant()} {path.Name}";
                var parameters = op.Value.TryGetProperty("parameters", out var ps) ? ps.EnumerateArray().ToList() : [];
                foreach (var segment in path.Name.Split('/').Where(s => s.StartsWith('{')))
                {
                    var p = segment.Trim('{', '}');
                    if (!parameters.Any(x => x.GetProperty("name").GetString() == p && x.GetProperty("in").GetString() == "path"))
                    {
                        problems.Add($"{name}: path parameter {p} is not declared");
                    }
                }
                foreach (var p in parameters)
                {
                    if (!p.TryGetProperty("schema", out _))
                    {
                        problems.Add($"{name}: parameter {p.GetProperty("name").GetString()} has no schema");
                    }
                }
                if (op.Name is "post" or "put" or "patch"
                    && !(op.Value.TryGetProperty("requestBody", out var body) && HasSchema(body)))
                {
                    problems.Add($"{name}: no request body schema");
                }
                if (!op.Value.TryGetProperty("responses", out var responses))
                {
                    problems.Add($"{name}: no responses");
                    continue;
                }
                var statuses = responses.EnumerateObject().ToList();
                if (!statuses.Any(s => s.Name.StartsWith('2')))
                {
                    problems.Add($"{name}: no success response");
                }
                if (!statuses.Any(s => s.Name.StartsWith('4')))
                {
                    problems.Add($"{name}: no error response");
                }
                foreach (var status in statuses)
                {
                    if (status.Name is not ("204" or "304") && !status.Name.StartsWith('3') && !HasSchema(status.Value))
                    {
                        problems.Add($"{name}: response {status.Name} has no schema");
                    }
                }
            }
        }
        return problems;
    }

    private static bool HasSchema(JsonElement holder) =>
        holder.TryGetProperty("content", out var content)
        && content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _));
}
