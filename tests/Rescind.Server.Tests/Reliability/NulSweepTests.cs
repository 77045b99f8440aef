using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.CrissCross;
using Rescind.Server.Tests.GoCardless;
using Rescind.Server.Tests.Infrastructure;
using Xunit;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// A NUL character in every path parameter, query parameter and top-level string field of every operation that the
/// served OpenAPI documents describe, sent with valid credentials: PostgreSQL's text type cannot hold NUL (SQLite
/// can), so without the guards these reached a write or a query and became 500s on PostgreSQL only. Each is a 400 in
/// the API's own envelope on both databases, and nothing is written.
/// </summary>
public abstract class NulSweepTests(RescindServer server)
{
    public static TheoryData<string> Documents => new() { "numeral", "digicert", "crisscross", "gocardless", "circle", "rescind" };

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task A_NUL_anywhere_in_a_request_is_a_400_in_the_APIs_envelope_and_writes_nothing(string document)
    {
        var c = await CircleClient.CreateAsync(server);
        var t = c.Tenant;
        var token = await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = t.Credential("crisscross", "live").Secret });
        Assert.True(token.Code == 200, token.Body);
        var crissCross = token.Str("access_token");
        var doc = JsonNode.Parse(await server.Client.GetStringAsync($"/openapi/{document}.json"))!;
        var failures = new List<string>();
        var sent = 0;
        var writesBefore = await WritesAsync();
        foreach (var (template, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, op) in item!.AsObject())
            {
                if (method is not ("get" or "post" or "put" or "patch" or "delete"))
                {
                    continue;
                }
                var parameters = (item["parameters"]?.AsArray() ?? []).Concat(op!["parameters"]?.AsArray() ?? [])
                    .Select(p => Resolve(doc, p!)).ToList();
                var pathNames = parameters.Where(p => (string)p["in"]! == "path").Select(p => (string)p["name"]!).ToList();
                // A path parameter the document enumerates gets its first value, so the body is read (a DigiCert product).
                string Value(string n) => parameters.First(p => (string)p["name"]! == n)["schema"] is { } sc
                    && Resolve(doc, sc)["enum"] is JsonArray e && e.Count > 0 ? (string)e[0]! : Known.GetValueOrDefault(n, "x1");
                string PathWith(string? nulIn) => pathNames.Aggregate(template, (s, n) => s.Replace("{" + n + "}", n == nulIn ? "a%00b" : Value(n)));
                var probes = new List<(string Where, string Path, HttpContent? Body)>();
                foreach (var name in pathNames)
                {
                    probes.Add(($"path {name}", PathWith(name), null));
                }
                foreach (var q in parameters.Where(p => (string)p["in"]! == "query").Select(p => (string)p["name"]!))
                {
                    probes.Add(($"query {q}", PathWith(null) + "?" + Uri.EscapeDataString(q) + "=a%00b", null));
                }
                var content = op["requestBody"] is { } rb ? Resolve(doc, rb)["content"] : null;
                foreach (var field in StringFields(doc, content?["application/json"]?["schema"]))
                {
                    probes.Add(($"body {field}", PathWith(null), new StringContent(
                        Nested(field).ToJsonString(), Encoding.UTF8, "application/json")));
                }
                foreach (var field in StringFields(doc, content?["application/x-www-form-urlencoded"]?["schema"]))
                {
                    probes.Add(($"form {field}", PathWith(null), new FormUrlEncodedContent([new(field, "a\u0000b")])));
                }
                foreach (var (where, path, body) in probes)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path) { Content = body };
                    foreach (var (k, v) in Headers(document, t, crissCross))
                    {
                        request.Headers.TryAddWithoutValidation(k, v);
                    }
                    if (method != "get")
                    {
                        request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
                    }
                    HttpResponseMessage response;
                    try
                    {
                        response = await server.Client.SendAsync(request);
                    }
                    catch (InvalidOperationException e) when (e.Message.Contains("null characters", StringComparison.Ordinal))
                    {
                        continue; // the host refuses a NUL in the path itself before any middleware (TextGuard holds it too)
                    }
                    using var _ = response;
                    var text = await response.Content.ReadAsStringAsync();
                    sent++;
                    if (response.StatusCode != HttpStatusCode.BadRequest || !IsJson(text))
                    {
                        failures.Add($"{method.ToUpperInvariant()} {template} ({where}): {(int)response.StatusCode} {text[..Math.Min(text.Length, 200)]}");
                    }
                }
            }
        }
        Assert.True(sent > 0, $"{document}: nothing to send");
        Assert.True(failures.Count == 0, $"{document}: {failures.Count} of {sent}\n" + string.Join("\n", failures));
        Assert.Equal(writesBefore, await WritesAsync());
    }

    /// <summary>Path parameters whose values the document does not enumerate but the route checks before the body.</summary>
    internal static readonly Dictionary<string, string> Known = new() { ["product_name_id"] = "ssl_basic" };

    /// <summary><c>a.b</c> → <c>{"a": {"b": "a\u0000b"}}</c>.</summary>
    private static JsonObject Nested(string field)
    {
        var names = field.Split('.');
        JsonNode value = "a\u0000b";
        for (var i = names.Length - 1; i > 0; i--)
        {
            value = new JsonObject { [names[i]] = value };
        }
        return new JsonObject { [names[0]] = value };
    }

    internal static Dictionary<string, string> Headers(string document, Tenant t, string crissCrossToken) => document switch
    {
        "numeral" => new() { ["Authorization"] = "Bearer " + t.LiveKey, ["X-API-Version"] = Tenant.NumeralVersion },
        "digicert" => new() { ["X-DC-DEVKEY"] = t.Credential("digicert", "live").Secret },
        "crisscross" => new() { ["Authorization"] = "Bearer " + crissCrossToken },
        "gocardless" => new() { ["Authorization"] = "Bearer " + t.Credential("gocardless", "live").Secret, ["GoCardless-Version"] = GoCardlessClient.Version },
        "rescind" => new() { ["Authorization"] = "Bearer " + t.Credential("rescind", "live").Secret },
        _ => new() { ["Authorization"] = "Bearer " + t.Credential("circle", "test").Secret },
    };

    /// <summary>Audit rows and outbox events of every tenant: a refused request adds neither.</summary>
    private async Task<(long, long)> WritesAsync() =>
        (await server.CountAsync("SELECT COUNT(*) FROM audit_log"), await server.CountAsync("SELECT COUNT(*) FROM outbox"));

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static JsonNode Resolve(JsonNode doc, JsonNode node)
    {
        while (node["$ref"] is { } r)
        {
            node = ((string)r!)[2..].Split('/').Aggregate(doc, (n, part) => n[part]!);
        }
        return node;
    }

    /// <summary>The top-level string properties of a request schema (through $ref, allOf and a wrapping object such as
    /// GoCardless's <c>{"billing_requests": {...}}</c>), as dotted paths.</summary>
    internal static IEnumerable<string> StringFields(JsonNode doc, JsonNode? schema, string prefix = "", int depth = 0)
    {
        if (schema is null || depth > 1)
        {
            yield break;
        }
        schema = Resolve(doc, schema);
        foreach (var part in schema["allOf"]?.AsArray() ?? [])
        {
            foreach (var f in StringFields(doc, part, prefix, depth))
            {
                yield return f;
            }
        }
        foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
        {
            var p = Resolve(doc, property!);
            var type = p["type"] is JsonArray a ? a.Select(x => (string?)x).FirstOrDefault(x => x != "null") : (string?)p["type"];
            if (type == "string")
            {
                yield return prefix + name;
            }
            else if (type == "object" && depth == 0 && schema["properties"]!.AsObject().Count == 1)
            {
                foreach (var f in StringFields(doc, p, name + ".", depth + 1))
                {
                    yield return f;
                }
            }
        }
    }
}

[Trait("Category", "Sqlite")]
public sealed class NulSweepTests_Sqlite(SqliteServer server) : NulSweepTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NulSweepTests_Postgres(PostgresServer server) : NulSweepTests(server), IClassFixture<PostgresServer>;
