using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.CrissCross;
using Rescind.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// Generated hostile requests to every operation of the six served OpenAPI documents, with valid credentials:
/// weird path and query values, every declared query parameter, bodies built from each operation's declared fields
/// with hostile values, broken JSON. Never a 500; every refusal in its API's own envelope; the database verifies
/// afterwards. The number per database is <c>RESCIND_HOSTILE_REQUESTS</c> (default 100,000, spread over the
/// operations), in every CI run on both databases.
/// </summary>
[RandomisedRequests]
public abstract class HostileSweepTests(RescindServer server, ITestOutputHelper output)
{
    private static readonly string[] Documents = ["numeral", "digicert", "crisscross", "gocardless", "circle", "rescind"];

    private static readonly Gen<string> Weird = Gen.OneOfConst(
        "", " ", "null", "0", "-1", "1e309", "9999999999999999999999", "../../etc/passwd", "..%2F..%2F", "%2e%2e%2f", "%FF", "%C0%AF", "\ud800", "\ufeff", "😀",
        "İ", "\u202e", "' OR 1=1 --", "\"", "\\", "{}", "[]", "x1", new string('9', 400), new string('a', 3000), "true", "2026-13-45", "GBP", "ETH-SEPOLIA");

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Gen.OneOfConst("null", "true", "false", "0", "-0", "1e309", "-1", "123456789012345678901234567890", "1.5", "\"\"", "[]", "{}", "[[[[[[[[]]]]]]]]",
            "\"\\ud800\"", "\"2026-03-02T09:00:00Z\"", "\"GBP\"", "[\"x\"]", "{\"a\":{\"b\":[1,{}]}}", "\"a@b\"", "\"" + new string('x', 5000) + "\""),
        Weird.Select(w => JsonSerializer.Serialize(w)));

    private static readonly Gen<string> Broken = Gen.OneOfConst(
        "{", "}", "[", "\"x\"", "{\"a\":1,\"a\":2}", "{}garbage", "\u0001", "{'single':'quotes'}", "", "[1,2,3]", "nul", "{\"a\":}");

    private sealed record Operation(string Document, string Method, string Template, IReadOnlyList<string> PathParams, IReadOnlyList<string> Query, IReadOnlyList<string> Fields, string? ContentType, bool Page);

    private static int Budget => int.TryParse(Environment.GetEnvironmentVariable("RESCIND_HOSTILE_REQUESTS"), out var n) && n > 0 ? n : 100_000;

    [Fact]
    public async Task Generated_hostile_requests_to_every_operation_never_get_a_500_and_are_refused_in_their_APIs_envelope()
    {
        var c = await CircleClient.CreateAsync(server);
        var t = c.Tenant;
        var token = await CrissCrossMerchant.TokenAsync(t, new { client_id = t.AccountId, client_secret = t.Credential("crisscross", "live").Secret });
        Assert.True(token.Code == 200, token.Body);
        var crissCross = token.Str("access_token");
        var operations = new List<Operation>();
        foreach (var document in Documents)
        {
            operations.AddRange(Operations(document, JsonNode.Parse(await server.Client.GetStringAsync($"/openapi/{document}.json"))!));
        }
        var perOperation = Math.Max(1, Budget / operations.Count);
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var unsendable = 0;
        foreach (var op in operations)
        {
            var headers = NulSweepTests.Headers(op.Document, t, crissCross);
            await Request(op).SampleAsync(async r =>
            {
                using var request = new HttpRequestMessage(new HttpMethod(op.Method), r.Path);
                if (r.Body is not null)
                {
                    request.Content = new StringContent(r.Body, Encoding.UTF8, op.ContentType ?? "application/json");
                }
                foreach (var (k, v) in headers)
                {
                    request.Headers.TryAddWithoutValidation(k, v);
                }
                if (op.Method != "GET")
                {
                    request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
                }
                HttpResponseMessage response;
                try
                {
                    response = await server.Client.SendAsync(request);
                }
                catch (Exception e) when (e is UriFormatException or InvalidOperationException)
                {
                    Interlocked.Increment(ref unsendable); // the client refused to send it: nothing reached Rescind
                    return;
                }
                using var _ = response;
                var code = (int)response.StatusCode;
                statuses.AddOrUpdate(code, 1, (_, n) => n + 1);
                var text = await response.Content.ReadAsStringAsync();
                if (code >= 500 || (code >= 400 && !InEnvelope(op, code, text, response.Content.Headers.ContentType?.MediaType)))
                {
                    failures.Enqueue($"{op.Method} {r.Path} {r.Body?[..Math.Min(r.Body.Length, 300)]} → {code}: {text[..Math.Min(text.Length, 300)]}");
                }
            }, iter: perOperation, threads: 4);
        }
        var sent = statuses.Values.Sum();
        output.WriteLine($"{server.Name}: {operations.Count} operations, {sent} requests sent ({unsendable} refused by the client before sending), "
            + $"{statuses.Where(s => s.Key >= 500).Sum(s => s.Value)} × 5xx, {failures.Count} failures; by status: "
            + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} of {sent}:\n" + string.Join("\n", failures.Take(40)));
        Assert.True(statuses.Where(s => s.Key >= 400).Sum(s => s.Value) > sent / 2, "the generator produced too few hostile requests");
        await Audit.AssertVerifiedAsync(server);
    }

    private sealed record Generated(string Path, string? Body);

    private static Gen<Generated> Request(Operation op)
    {
        var known = Gen.OneOfConst("x1", "1", NulSweepTests.Known.GetValueOrDefault("product_name_id", "ssl_basic"));
        var pathValues = Gen.OneOf(Weird, known, Gen.String[Gen.Char.AlphaNumeric, 0, 40]).Array[op.PathParams.Count];
        var query = op.Query.Count == 0
            ? Gen.Const(() => "")
            : Gen.Select(Gen.OneOfConst([.. op.Query, "unknown_param", "limit", "after"]), Weird).Array[0, 4]
                .Select(pairs => pairs.Length == 0 ? "" : "?" + string.Join("&", pairs.Select(p => Uri.EscapeDataString(p.Item1) + "=" + Uri.EscapeDataString(p.Item2))));
        var body = op.Method is "GET" or "DELETE" && op.Fields.Count == 0
            ? Gen.Const<string?>(() => null)
            : Gen.OneOf(
                Gen.Select(Gen.OneOfConst([.. op.Fields.DefaultIfEmpty("x"), "__proto__", ""]), JsonValue).Array[0, 6].Select(pairs => (string?)Nest(pairs)),
                Broken.Select(b => (string?)b),
                Gen.Const<string?>(() => null));
        return Gen.Select(pathValues, query, body).Select(p =>
        {
            var path = op.Template;
            for (var i = 0; i < op.PathParams.Count; i++)
            {
                path = path.Replace("{" + op.PathParams[i] + "}", Uri.EscapeDataString(p.Item1[i]), StringComparison.Ordinal);
            }
            var formBody = op.ContentType == "application/x-www-form-urlencoded" && p.Item3 is not null
                ? string.Join("&", op.Fields.Select(f => Uri.EscapeDataString(f) + "=" + Uri.EscapeDataString(p.Item3.Length > 20 ? p.Item3[..20] : p.Item3)))
                : p.Item3;
            return new Generated(path + p.Item2, formBody);
        });
    }

    /// <summary>Dotted field names with raw JSON values → one JSON object, written as text (a lone surrogate or a
    /// repeated name is sent as generated).</summary>
    private static string Nest((string Field, string Json)[] pairs)
    {
        var members = new List<string>();
        foreach (var group in pairs.GroupBy(p => p.Field.Split('.')[0]))
        {
            foreach (var (field, json) in group.Where(p => !p.Field.Contains('.', StringComparison.Ordinal)))
            {
                members.Add(JsonSerializer.Serialize(field) + ":" + json);
            }
            var inner = group.Where(p => p.Field.Contains('.', StringComparison.Ordinal))
                .Select(p => JsonSerializer.Serialize(p.Field[(p.Field.IndexOf('.', StringComparison.Ordinal) + 1)..]) + ":" + p.Json).ToList();
            if (inner.Count > 0)
            {
                members.Add(JsonSerializer.Serialize(group.Key) + ":{" + string.Join(",", inner) + "}");
            }
        }
        return "{" + string.Join(",", members) + "}";
    }

    private static IEnumerable<Operation> Operations(string document, JsonNode doc)
    {
        foreach (var (template, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, op) in item!.AsObject())
            {
                if (method is not ("get" or "post" or "put" or "patch" or "delete") || template.EndsWith("/stream", StringComparison.Ordinal))
                {
                    continue; // (a server-sent event stream stays open: its limits have tests of their own)
                }
                var parameters = (item["parameters"]?.AsArray() ?? []).Concat(op!["parameters"]?.AsArray() ?? []).Select(p => NulSweepTests.Resolve(doc, p!)).ToList();
                var content = op["requestBody"] is { } rb ? NulSweepTests.Resolve(doc, rb)["content"] : null;
                var type = content?["application/x-www-form-urlencoded"] is not null ? "application/x-www-form-urlencoded" : null;
                var schema = content?["application/json"]?["schema"] ?? content?["application/x-www-form-urlencoded"]?["schema"];
                yield return new Operation(document, method.ToUpperInvariant(), template,
                    [.. parameters.Where(p => (string)p["in"]! == "path").Select(p => (string)p["name"]!)],
                    [.. parameters.Where(p => (string)p["in"]! == "query").Select(p => (string)p["name"]!)],
                    [.. Fields(doc, schema)], type,
                    Page: op["responses"]?.AsObject().Any(r => NulSweepTests.Resolve(doc, r.Value!)["content"]?["text/html"] is not null) == true);
            }
        }
    }

    /// <summary>Every property of a request schema, one level into a single wrapping object, as dotted names.</summary>
    private static IEnumerable<string> Fields(JsonNode doc, JsonNode? schema, string prefix = "", int depth = 0)
    {
        if (schema is null || depth > 1)
        {
            yield break;
        }
        schema = NulSweepTests.Resolve(doc, schema);
        foreach (var part in schema["allOf"]?.AsArray() ?? [])
        {
            foreach (var f in Fields(doc, part, prefix, depth))
            {
                yield return f;
            }
        }
        var properties = schema["properties"]?.AsObject();
        foreach (var (name, property) in properties ?? [])
        {
            yield return prefix + name;
            if (depth == 0 && properties!.Count == 1 && NulSweepTests.Resolve(doc, property!)["properties"] is not null)
            {
                foreach (var f in Fields(doc, property, name + ".", depth + 1))
                {
                    yield return f;
                }
            }
        }
    }

    /// <summary>The refusal is the API's own error object (CrissCross's token endpoint: OAuth 2's).</summary>
    private static bool InEnvelope(Operation op, int code, string text, string? mediaType)
    {
        if (op.Page && mediaType == "text/html")
        {
            return true; // a page for the payer's browser (GoCardless's hosted flow), documented as HTML
        }
        try
        {
            using var d = JsonDocument.Parse(text);
            var j = d.RootElement;
            return op.Document switch
            {
                "numeral" => j.GetProperty("code").GetInt32() == code && j.GetProperty("type").ValueKind == JsonValueKind.String,
                "digicert" => j.GetProperty("errors").EnumerateArray().All(e => e.GetProperty("code").ValueKind == JsonValueKind.String && e.TryGetProperty("message", out _))
                    && j.GetProperty("errors").GetArrayLength() > 0,
                "crisscross" when op.ContentType == "application/x-www-form-urlencoded" => j.GetProperty("error").ValueKind == JsonValueKind.String,
                "crisscross" => j.GetProperty("statusCode").GetInt32() == code && j.GetProperty("error").ValueKind == JsonValueKind.String,
                "gocardless" => j.GetProperty("error").GetProperty("code").GetInt32() == code,
                "rescind" => op.Template.StartsWith("/v1/reports", StringComparison.Ordinal)
                    ? j.TryGetProperty("statusCode", out _) || j.TryGetProperty("status", out _)
                    : j.GetProperty("status").GetInt32() == code && mediaType == "application/problem+json",
                _ => j.GetProperty("code").ValueKind == JsonValueKind.Number && j.GetProperty("message").ValueKind == JsonValueKind.String,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}

[Trait("Category", "Sqlite")]
public sealed class HostileSweepTests_Sqlite(SqliteServer server, ITestOutputHelper output) : HostileSweepTests(server, output), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class HostileSweepTests_Postgres(PostgresServer server, ITestOutputHelper output) : HostileSweepTests(server, output), IClassFixture<PostgresServer>;
