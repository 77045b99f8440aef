using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Rescind.Server.Http;

/// <summary>
/// Checks an answer against the OpenAPI document its route is served in: the operation exists, the status is
/// declared, and a JSON body validates against the declared schema (JSON Schema 2020-12, as OpenAPI 3.1 has it).
/// Objects may carry only the properties their schema names, so a document that leaves a field out fails too.
/// Used by the suite and by <c>Rescind:Contracts:Check</c> (see <see cref="ContractChecks.UseContractCheck"/>).
/// </summary>
public sealed class ContractCheck(IServiceProvider services)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<JsonObject>>> documents = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, JsonSchema?> schemas = new(StringComparer.Ordinal);

    private int built;

    /// <summary>Null when the answer keeps its document's contract, else what is wrong, in one line.</summary>
    public async Task<string?> ViolationAsync(string document, string method, string template, int status, string? contentType, ReadOnlyMemory<byte> body)
    {
        var doc = await documents.GetOrAdd(document, name => new Lazy<Task<JsonObject>>(() => LoadAsync(name))).Value;
        var where = $"{method} {template} → {status} ({document} document)";
        if (doc["paths"]?[template]?[method.ToLowerInvariant()] is not JsonObject operation)
        {
            return $"{where}: the operation is not in the document";
        }
        var responses = operation["responses"] as JsonObject;
        var response = responses?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? responses?[$"{status / 100}XX"] ?? responses?["default"];
        if (response is not JsonObject declared)
        {
            return $"{where}: status {status} is not declared (declared: {string.Join(", ", responses?.Select(r => r.Key) ?? [])})";
        }
        var json = declared["content"]?["application/json"];
        if (json is null)
        {
            return declared["content"] is JsonObject { Count: > 0 } || body.Length == 0 ? null : $"{where}: a body where the document declares none";
        }
        if (body.Length == 0)
        {
            return $"{where}: no body where the document declares JSON";
        }
        if (contentType is null || !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return $"{where}: Content-Type {contentType ?? "(none)"} where the document declares application/json";
        }
        if (json["schema"] is not JsonNode schemaNode)
        {
            return null;
        }
        var key = $"{document} {method} {template} {status}";
        var schema = schemas.GetOrAdd(key, _ => Build(doc, schemaNode));
        if (schema is null)
        {
            return null;
        }
        JsonElement instance;
        try
        {
            using var parsed = JsonDocument.Parse(body);
            instance = parsed.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return $"{where}: the body is not JSON ({e.Message})";
        }
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return null;
        }
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Distinct().Take(8);
        return $"{where}: {string.Join("; ", errors)} in {Truncate(Encoding.UTF8.GetString(body.Span), 300)}";
    }

    private async Task<JsonObject> LoadAsync(string name)
    {
        var provider = services.GetRequiredKeyedService<IOpenApiDocumentProvider>(name);
        var document = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
        var text = await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, CancellationToken.None);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>One self-contained schema: the document's components as <c>$defs</c> (references rewritten to
    /// them), every object closed to the properties it names, the response's schema as the root.</summary>
    private JsonSchema? Build(JsonObject doc, JsonNode responseSchema)
    {
        var defs = doc["components"]?["schemas"]?.DeepClone() as JsonObject ?? [];
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = defs,
            ["allOf"] = new JsonArray(responseSchema.DeepClone()),
        };
        Prepare(root);
        var uri = new Uri($"https://rescind.invalid/contracts/{Interlocked.Increment(ref built)}");
        return JsonSchema.FromText(root.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }, uri);
    }

    private static void Prepare(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue r && r.TryGetValue<string>(out var target) && target.StartsWith("#/components/schemas/", StringComparison.Ordinal))
                {
                    o["$ref"] = "#/$defs/" + target["#/components/schemas/".Length..];
                }
                // "null or X" as ASP.NET Core writes it: X may itself admit null (JsonElement), which oneOf would refuse.
                if (o["oneOf"] is JsonArray { Count: 2 } choices && choices.Any(c => c is JsonObject { Count: 1 } n && n["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "null"))
                {
                    o.Remove("oneOf");
                    o["anyOf"] = choices;
                }
                if (o["properties"] is JsonObject && !o.ContainsKey("additionalProperties") && !o.ContainsKey("unevaluatedProperties"))
                {
                    o["additionalProperties"] = false;
                }
                foreach (var (_, child) in o.ToList())
                {
                    Prepare(child);
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Prepare(child);
                }
                break;
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}

/// <summary>
/// <c>Rescind:Contracts:Check</c>: every answer of a route in an OpenAPI document is held back until it has been
/// checked against the document (<see cref="ContractCheck"/>); one that breaks it is logged and replaced by a 500
/// in the API's envelope with a <c>Rescind-Contract-Violation</c> header saying what broke, so the test (or the
/// official client) that made the request fails. For test suites and conformance runs, not for production.
/// </summary>
public static class ContractChecks
{
    public const string Header = "Rescind-Contract-Violation";

    public static IApplicationBuilder UseContractCheck(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var original = http.Response.Body;
        await using var buffer = new HeldBody(original, http.Response);
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        if (buffer.PassedThrough)
        {
            return;
        }
        var violation = DocumentedRoute.Of(http.GetEndpoint()) is { } route
            ? await http.RequestServices.GetRequiredService<ContractCheck>().ViolationAsync(
                route.Document, http.Request.Method, route.Template, http.Response.StatusCode, http.Response.ContentType, buffer.Held)
            : null;
        if (violation is null)
        {
            if (buffer.Held.Length > 0)
            {
                await original.WriteAsync(buffer.Held, http.RequestAborted);
            }
            return;
        }
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Rescind.Contracts").LogError("Contract violation: {Violation}", violation);
        http.Response.Headers.Clear();
        http.Response.Headers[Header] = Ascii(violation);
        var envelope = http.RequestServices.GetRequiredService<EnvelopeRegistry>().For(http.Request.Path);
        var answer = envelope.Error(500, envelope.CodeFor(SharedFailure.Internal), "Contract check: " + violation);
        http.Response.StatusCode = 500;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(answer.Body, http.RequestAborted);
    });

    private static string Ascii(string s)
    {
        var b = new StringBuilder(Math.Min(s.Length, 2000));
        foreach (var c in s.Take(2000))
        {
            b.Append(c is >= ' ' and <= '~' ? c : '?');
        }
        return b.ToString();
    }

    /// <summary>Holds what the endpoint writes; a stream of events (<c>text/event-stream</c>) passes straight through.</summary>
    private sealed class HeldBody(Stream inner, HttpResponse response) : Stream
    {
        private readonly MemoryStream held = new();

        public bool PassedThrough { get; private set; }

        public ReadOnlyMemory<byte> Held => held.GetBuffer().AsMemory(0, (int)held.Length);

        /// <summary>Once the answer turns out to be a stream of events, what was held goes out and the rest passes.</summary>
        private async ValueTask<bool> StreamingAsync(CancellationToken ct)
        {
            if (!PassedThrough && response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true)
            {
                PassedThrough = true;
                await inner.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), ct);
                held.SetLength(0);
            }
            return PassedThrough;
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
            if (PassedThrough)
            {
                inner.Flush();
            }
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (await StreamingAsync(cancellationToken))
            {
                await inner.FlushAsync(cancellationToken);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (PassedThrough)
            {
                inner.Write(buffer, offset, count);
            }
            else
            {
                held.Write(buffer, offset, count);
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (await StreamingAsync(cancellationToken))
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }
            held.Write(buffer.Span);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                held.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>The OpenAPI document and path template of a routed endpoint (null for routes no document describes).</summary>
public sealed record DocumentedRoute(string Document, string Template)
{
    public static DocumentedRoute? Of(Endpoint? endpoint)
    {
        if (endpoint is not RouteEndpoint route
            || endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true }
            || endpoint.Metadata.GetMetadata<IEndpointGroupNameMetadata>()?.EndpointGroupName is not { Length: > 0 } group)
        {
            return null;
        }
        return new DocumentedRoute(group, TemplateOf(route.RoutePattern.RawText ?? ""));
    }

    /// <summary>A route template as OpenAPI writes it: leading slash, parameter constraints and defaults dropped.</summary>
    public static string TemplateOf(string raw)
    {
        var b = new StringBuilder("/");
        var inParameter = false;
        var skipping = false;
        foreach (var c in raw.TrimStart('/'))
        {
            switch (c)
            {
                case '{':
                    inParameter = true;
                    skipping = false;
                    b.Append(c);
                    break;
                case '}':
                    inParameter = false;
                    skipping = false;
                    b.Append(c);
                    break;
                case ':' or '=' or '?' when inParameter:
                    skipping = true;
                    break;
                case '*' when inParameter:
                    break;
                default:
                    if (!skipping)
                    {
                        b.Append(c);
                    }
                    break;
            }
        }
        return b.Length > 1 ? b.ToString().TrimEnd('/') : "/";
    }
}
