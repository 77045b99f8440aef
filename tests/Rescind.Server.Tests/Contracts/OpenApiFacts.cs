using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Rescind.Server.Tests.Contracts;

/// <summary>
/// An OpenAPI document (3.0 or 3.1, JSON or YAML) reduced to comparable facts, one line each: an operation's
/// parameters (where, required, type), its request body's fields (dotted path, type, required), its success
/// answers' fields, and its success statuses. Descriptions, examples and formats are left out: two documents of
/// the same contract written by different people give the same lines.
/// </summary>
public static partial class OpenApiFacts
{
    private const int MaxDepth = 8;

    public static JsonNode Load(string path)
    {
        var text = File.ReadAllText(path);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return JsonNode.Parse(text)!;
        }
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        return FromYaml(yaml.Documents[0].RootNode)!;
    }

    private static JsonNode? FromYaml(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, FromYaml(c.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(FromYaml)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" } => JsonValue.Create(true),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "false" } => JsonValue.Create(false),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "null" or "~" } => null,
        YamlScalarNode sc => JsonValue.Create(sc.Value),
        _ => null,
    };

    /// <summary>The facts of every operation of the document, keyed "METHOD /path".</summary>
    public static SortedDictionary<string, SortedSet<string>> Of(JsonNode document)
    {
        var all = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, op) in item!.AsObject())
            {
                if (method is not ("get" or "post" or "put" or "patch" or "delete"))
                {
                    continue;
                }
                var facts = new SortedSet<string>(StringComparer.Ordinal);
                var parameters = (item["parameters"]?.AsArray() ?? []).Concat(op!["parameters"]?.AsArray() ?? []);
                foreach (var p in parameters)
                {
                    var param = Resolve(document, p!);
                    var name = (string)param["name"]!;
                    var where = (string)param["in"]!;
                    if (where == "header" && name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }
                    var required = where == "path" || (param["required"]?.GetValue<bool>() ?? false);
                    facts.Add($"param {where}:{name} {TypeOf(document, param["schema"], [])}{(required ? " required" : "")}");
                }
                if (op["requestBody"] is { } rb)
                {
                    var schema = Resolve(document, rb)["content"]?["application/json"]?["schema"];
                    Fields(document, schema, "request ", "", facts, [], 0);
                }
                var statuses = new List<string>();
                foreach (var (status, response) in op["responses"]?.AsObject() ?? [])
                {
                    if (!status.StartsWith('2'))
                    {
                        continue;
                    }
                    statuses.Add(status);
                    var schema = Resolve(document, response!)["content"]?["application/json"]?["schema"];
                    Fields(document, schema, "response ", "", facts, [], 0);
                }
                facts.Add("success " + string.Join(" ", statuses.Order(StringComparer.Ordinal)));
                all[$"{method.ToUpperInvariant()} {path}"] = facts;
            }
        }
        return all;
    }

    private static JsonNode Resolve(JsonNode document, JsonNode node)
    {
        for (var i = 0; i < 16 && node["$ref"] is { } r; i++)
        {
            var target = document;
            foreach (var part in ((string)r!).TrimStart('#', '/').Split('/'))
            {
                target = target[part.Replace("~1", "/").Replace("~0", "~")]!;
            }
            node = target;
        }
        return node;
    }

    /// <summary>The schema's type without null (3.0's nullable and 3.1's type arrays read the same), composed
    /// schemas by their branches' types.</summary>
    private static string TypeOf(JsonNode document, JsonNode? schema, HashSet<string> seen)
    {
        if (schema is null)
        {
            return "any";
        }
        var s = Resolve(document, schema);
        var types = new SortedSet<string>(StringComparer.Ordinal);
        switch (s["type"])
        {
            case JsonArray a:
                foreach (var t in a)
                {
                    types.Add((string)t!);
                }
                break;
            case JsonValue v:
                types.Add((string)v!);
                break;
        }
        foreach (var key in new[] { "allOf", "oneOf", "anyOf" })
        {
            foreach (var branch in s[key]?.AsArray() ?? [])
            {
                foreach (var t in TypeOf(document, branch, seen).Split('|'))
                {
                    types.Add(t);
                }
            }
        }
        if (types.Count == 0 && s["properties"] is not null)
        {
            types.Add("object");
        }
        types.Remove("null");
        types.Remove("any");
        return types.Count == 0 ? "any" : string.Join("|", types);
    }

    private static void Fields(JsonNode document, JsonNode? schema, string kind, string prefix, SortedSet<string> facts,
        HashSet<string> refs, int depth)
    {
        if (schema is null || depth > MaxDepth)
        {
            return;
        }
        if (schema["$ref"] is { } r && !refs.Add((string)r!))
        {
            return;
        }
        var s = Resolve(document, schema);
        var required = (s["required"]?.AsArray() ?? []).Select(x => (string)x!).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, property) in s["properties"]?.AsObject() ?? [])
        {
            var path = prefix + name;
            var type = TypeOf(document, property, []);
            facts.Add($"{kind}{path} {type}{(kind == "request " && required.Contains(name) ? " required" : "")}");
            Fields(document, property, kind, path + ".", facts, [.. refs], depth + 1);
        }
        if (s["items"] is { } items)
        {
            Fields(document, items, kind, prefix.TrimEnd('.') + "[].", facts, [.. refs], depth + 1);
        }
        foreach (var key in new[] { "allOf", "oneOf", "anyOf" })
        {
            foreach (var branch in s[key]?.AsArray() ?? [])
            {
                Fields(document, branch, kind, prefix, facts, [.. refs], depth + 1);
            }
        }
        if (schema["$ref"] is { } done)
        {
            refs.Remove((string)done!);
        }
    }

    /// <summary>The error table of the official SDK's type declarations: each error class's code and message.</summary>
    public static SortedDictionary<int, string> SdkErrors(string declarations)
    {
        var table = new SortedDictionary<int, string>();
        foreach (Match m in SdkError().Matches(File.ReadAllText(declarations)))
        {
            table[int.Parse(m.Groups["code"].Value, System.Globalization.CultureInfo.InvariantCulture)] = m.Groups["message"].Value;
        }
        return table;
    }

    [GeneratedRegex("""static readonly code = (?<code>\d+);\s*static readonly message = "(?<message>(?:[^"\\]|\\.)*)";""")]
    private static partial Regex SdkError();

    /// <summary>The facts file: "op METHOD /path" lines each followed by its facts (indented), then
    /// "error CODE message" lines.</summary>
    public static string Write(SortedDictionary<string, SortedSet<string>> operations, SortedDictionary<int, string> errors)
    {
        var w = new System.Text.StringBuilder();
        foreach (var (op, facts) in operations)
        {
            w.Append("op ").Append(op).Append('\n');
            foreach (var f in facts)
            {
                w.Append("  ").Append(f).Append('\n');
            }
        }
        foreach (var (code, message) in errors)
        {
            w.Append("error ").Append(code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(' ').Append(message).Append('\n');
        }
        return w.ToString();
    }

    public static (SortedDictionary<string, SortedSet<string>> Operations, SortedDictionary<int, string> Errors) Read(string text)
    {
        var ops = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var errors = new SortedDictionary<int, string>();
        SortedSet<string>? current = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("op ", StringComparison.Ordinal))
            {
                ops[line[3..]] = current = new SortedSet<string>(StringComparer.Ordinal);
            }
            else if (line.StartsWith("  ", StringComparison.Ordinal))
            {
                current!.Add(line[2..]);
            }
            else if (line.StartsWith("error ", StringComparison.Ordinal))
            {
                var space = line.IndexOf(' ', 6);
                errors[int.Parse(line[6..space], System.Globalization.CultureInfo.InvariantCulture)] = line[(space + 1)..];
            }
        }
        return (ops, errors);
    }
}
