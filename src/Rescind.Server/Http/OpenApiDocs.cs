using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Rescind.Server.Http;

/// <summary>A parameter of an operation that its handler reads itself (strict query parsing, headers), declared for
/// the API's OpenAPI document.</summary>
public sealed record ParameterDoc(string Name, ParameterLocation In, string Type = "string", bool Required = false, string? Description = null)
{
    public static ParameterDoc Query(string name, string type = "string", string? description = null) => new(name, ParameterLocation.Query, type, false, description);

    public static ParameterDoc Header(string name, bool required = false, string? description = null) => new(name, ParameterLocation.Header, "string", required, description);
}

internal sealed record ParameterDocs(IReadOnlyList<ParameterDoc> Parameters);

/// <summary>
/// What every API's OpenAPI document shares: the parameters an endpoint declares with <see cref="Parameters{TBuilder}"/>
/// (on one route or a whole group), and property names in the API's own JSON naming (snake_case or camelCase), so
/// the schemas describe the bytes on the wire. Responses and request bodies are declared with ASP.NET Core's own
/// <c>Produces&lt;T&gt;</c> and <c>Accepts&lt;T&gt;</c> on the records the API serializes.
/// </summary>
public static class OpenApiDocs
{
    public static TBuilder Parameters<TBuilder>(this TBuilder builder, params ParameterDoc[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ParameterDocs(parameters));

    /// <summary>One API's document: only its group's endpoints, its declared parameters, its naming.</summary>
    public static void Configure(OpenApiOptions options, string group, JsonNamingPolicy? naming)
    {
        options.ShouldInclude = d => d.GroupName == group;
        options.AddOperationTransformer((operation, context, _) =>
        {
            foreach (var doc in context.Description.ActionDescriptor.EndpointMetadata.OfType<ParameterDocs>().SelectMany(p => p.Parameters))
            {
                operation.Parameters ??= [];
                if (operation.Parameters.Any(p => p.Name == doc.Name && p.In == doc.In))
                {
                    continue;
                }
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = doc.Name,
                    In = doc.In,
                    Required = doc.Required || doc.In == ParameterLocation.Path,
                    Description = doc.Description,
                    Schema = new OpenApiSchema { Type = doc.Type switch
                    {
                        "integer" => JsonSchemaType.Integer,
                        "boolean" => JsonSchemaType.Boolean,
                        "number" => JsonSchemaType.Number,
                        _ => JsonSchemaType.String,
                    } },
                });
            }
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            foreach (var schema in Components(document).Values.OfType<OpenApiSchema>())
            {
                OptionalWhenNullable(schema);
            }
            foreach (var operation in (document.Paths?.Values.AsEnumerable() ?? []).SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
            {
                SharedFailures(operation);
            }
            return Task.CompletedTask;
        });
        if (naming is not null)
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                foreach (var schema in Components(document).Values.OfType<OpenApiSchema>())
                {
                    Rename(schema, naming);
                }
                return Task.CompletedTask;
            });
        }
    }

    /// <summary>A property that may be null may also be absent: every API leaves null members out (or writes them),
    /// so only the properties always present are required.</summary>
    private static void OptionalWhenNullable(OpenApiSchema schema)
    {
        foreach (var inline in (schema.Properties?.Values ?? []).OfType<OpenApiSchema>())
        {
            OptionalWhenNullable(inline);
        }
        if (schema.Required is not { Count: > 0 } required || schema.Properties is null)
        {
            return;
        }
        foreach (var (name, property) in schema.Properties)
        {
            if (Nullable(property))
            {
                required.Remove(name);
            }
        }
    }

    private static bool Nullable(IOpenApiSchema schema) =>
        schema.Type is { } type && type.HasFlag(JsonSchemaType.Null)
        || (schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Any(s => s.Type == JsonSchemaType.Null);

    /// <summary>What the shared middleware may answer on any operation (rate limit, outage, bug; a NUL character in
    /// an operation's parameters or body: <see cref="TextGuard"/>), declared with the operation's own error body.</summary>
    private static void SharedFailures(OpenApiOperation operation)
    {
        if (operation.Responses is not { } responses)
        {
            return;
        }
        var error = responses.Where(r => r.Key.StartsWith('4') && r.Value.Content is { Count: > 0 })
            .OrderBy(r => r.Key == "400" ? 0 : 1).Select(r => r.Value).FirstOrDefault();
        if (error is null)
        {
            return;
        }
        var takesText = operation.Parameters is { Count: > 0 } || operation.RequestBody is not null;
        foreach (var (status, description) in new[] { ("400", "Bad Request"), ("429", "Too Many Requests"), ("500", "Internal Server Error"), ("503", "Service Unavailable") })
        {
            if (status == "400" && !takesText)
            {
                continue;
            }
            if (!responses.ContainsKey(status))
            {
                responses[status] = new OpenApiResponse { Description = description, Content = error.Content };
            }
        }
    }

    private static IDictionary<string, IOpenApiSchema> Components(OpenApiDocument document) =>
        document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>();

    /// <summary>Names the properties of the types of namespace <paramref name="ns"/> with <paramref name="naming"/>
    /// in document <paramref name="document"/>: an API's objects in another document (its simulation's answers in
    /// the operator document) keep the API's own naming.</summary>
    /// <remarks>Renamed once the document is built, by component name (a type's name, or a generic type's name
    /// followed by <c>Of</c>): a schema transformer does not see every record (one nested in another reaches the
    /// document without passing through it).</remarks>
    public static void NameTypesOf(IServiceCollection services, string document, string? ns, JsonNamingPolicy naming)
    {
        var types = typeof(OpenApiDocs).Assembly.GetTypes().Where(t => t.Namespace == ns && t.IsClass)
            .Select(t => t.IsGenericType ? t.Name[..t.Name.IndexOf('`', StringComparison.Ordinal)] + "Of" : t.Name).ToList();
        services.Configure<OpenApiOptions>(document, o => o.AddDocumentTransformer((doc, _, _) =>
        {
            foreach (var (name, schema) in Components(doc))
            {
                if (schema is OpenApiSchema s && types.Any(t => name == t || (t.EndsWith("Of", StringComparison.Ordinal) && name.StartsWith(t, StringComparison.Ordinal))))
                {
                    Rename(s, naming);
                }
            }
            return Task.CompletedTask;
        }));
    }

    private static void Rename(OpenApiSchema schema, JsonNamingPolicy naming)
    {
        foreach (var inline in (schema.Properties?.Values ?? []).OfType<OpenApiSchema>())
        {
            Rename(inline, naming);
        }
        if (schema.Properties is { Count: > 0 } properties)
        {
            var renamed = properties.ToDictionary(p => naming.ConvertName(p.Key), p => p.Value, StringComparer.Ordinal);
            properties.Clear();
            foreach (var (name, value) in renamed)
            {
                properties[name] = value;
            }
        }
        if (schema.Required is { Count: > 0 } required)
        {
            var names = required.Select(naming.ConvertName).ToList();
            required.Clear();
            foreach (var name in names)
            {
                required.Add(name);
            }
        }
    }
}
