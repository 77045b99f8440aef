using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rescind.Server.Circle;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Contracts;

/// <summary>
/// Circle's served OpenAPI document compared with Circle's own: for every operation both describe, the same
/// parameters, required request fields, request and response fields with their types, and success statuses; and
/// every code Rescind sends, with what it means in the official SDK's error table. What differs is published in
/// <c>docs/coverage/circle-vendor-contract.md</c>, generated here: the test fails when that list is stale, so a
/// divergence can neither appear nor disappear unnoticed. <c>RESCIND_COVERAGE_UPDATE=1</c> rewrites it.
///
/// The vendor's side is <c>circle-vendor-contract.txt</c> beside this file: facts only (no prose), made from the
/// vendor's OpenAPI and the SDK's type declarations by this class with <c>RESCIND_CIRCLE_VENDOR_OPENAPI</c> (the
/// YAML) and <c>RESCIND_CIRCLE_SDK_TYPES</c> (the SDK's <c>dist/types/clients/core.d.ts</c>) set.
/// </summary>
public sealed class CircleVendorContractTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    private static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Rescind.slnx")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("the repository root (Rescind.slnx) was not found");
        }
    }

    private static string FactsPath => Path.Combine(Root, "tests", "Rescind.Server.Tests", "Contracts", "circle-vendor-contract.txt");

    private static string ReportPath => Path.Combine(Root, "docs", "coverage", "circle-vendor-contract.md");

    [Fact]
    public void The_vendor_s_facts_come_from_its_OpenAPI_and_its_SDK()
    {
        var (ops, errors) = VendorFacts();
        var listed = Coverage.VendorOperations.All.Single(v => v.Api == "circle");
        foreach (var (_, op) in listed.Operations.Where(o => o.Operation.Source == "openapi"))
        {
            Assert.True(ops.ContainsKey($"{op.Method} {op.Path}"), $"{op.Method} {op.Path} is in the operation list from the vendor's OpenAPI but not in its facts");
        }
        Assert.True(errors.Count > 100, "the SDK's error table");
        Assert.StartsWith("Cannot find target wallet ", errors[156001], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_code_Rescind_sends_means_in_the_SDK_s_error_table_what_Rescind_sends_it_for()
    {
        var (_, errors) = VendorFacts();
        var constants = typeof(CircleEnvelope).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int)).Select(f => (int)f.GetRawConstantValue()!).ToList();
        Assert.NotEmpty(constants);
        var uses = CircleEnvelope.CodeUses.ToDictionary(u => u.Code);
        Assert.Equal(CircleEnvelope.CodeUses.Count, uses.Count);
        foreach (var code in constants)
        {
            Assert.True(uses.ContainsKey(code), $"code {code} has no entry in CircleEnvelope.CodeUses");
        }
        foreach (var use in CircleEnvelope.CodeUses)
        {
            if (use.SdkMessage is null)
            {
                Assert.False(errors.ContainsKey(use.Code),
                    $"code {use.Code} is sent as Rescind's own ({use.UsedFor}) but the SDK's table has it: \"{errors.GetValueOrDefault(use.Code)}\"");
            }
            else
            {
                Assert.True(errors.TryGetValue(use.Code, out var meaning), $"code {use.Code} is not in the SDK's table");
                Assert.True(meaning == use.SdkMessage, $"code {use.Code} ({use.UsedFor}) means in the SDK: \"{meaning}\"");
            }
        }
    }

    /// <summary>Every Circle code is sent through a named constant of <see cref="CircleEnvelope"/>, so the test above
    /// sees it: no code of Circle's ranges is written as a number anywhere else in the API's folder, and code 2 is
    /// sent only through <c>CircleEnvelope</c> (its field errors, <c>Bad</c>, <c>ParameterInvalid</c>).</summary>
    [Fact]
    public void No_Circle_code_is_sent_as_a_bare_number_outside_the_envelope()
    {
        var folder = Path.Combine(Root, "src", "Rescind.Server", "Circle");
        var offenders = Directory.GetFiles(folder, "*.cs").Where(f => Path.GetFileName(f) != "CircleEnvelope.cs")
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line.Trim())))
            .Where(l => !l.Text.StartsWith("//", StringComparison.Ordinal))
            .Where(l => Regex.IsMatch(Regex.Replace(l.Text, "\"[^\"]*\"", ""), @"\b1[5-7]\d{4}\b|Fail\(\d+, 2\b|Coded\(\d+, 2\b"))
            .Select(l => $"{l.File}:{l.Line}: {l.Text}").ToList();
        Assert.True(offenders.Count == 0, "codes written as numbers:\n" + string.Join("\n", offenders));
    }

    /// <summary>The checked-in table is the installed SDK's (where the compat suite installed it; the compat suite's
    /// own test compares the same table inside node as well).</summary>
    [Fact]
    public void The_checked_in_error_table_is_the_installed_SDK_s()
    {
        var installed = Path.Combine(Root, "tests", "compat", "circle", "node_modules", "@circle-fin", "developer-controlled-wallets", "dist", "types", "clients", "core.d.ts");
        if (!File.Exists(installed))
        {
            return;
        }
        var (_, errors) = VendorFacts();
        Assert.Equal(OpenApiFacts.SdkErrors(installed), errors);
    }

    [Fact]
    public async Task The_served_document_matches_the_vendor_s_or_the_difference_is_published()
    {
        var (vendor, errors) = VendorFacts();
        var served = OpenApiFacts.Of(JsonNode.Parse(await server.Client.GetStringAsync("/openapi/circle.json"))!);
        var report = Report(vendor, errors, served);
        if (Environment.GetEnvironmentVariable("RESCIND_COVERAGE_UPDATE") == "1")
        {
            await File.WriteAllTextAsync(ReportPath, report);
        }
        var current = File.Exists(ReportPath) ? (await File.ReadAllTextAsync(ReportPath)).ReplaceLineEndings("\n") : "";
        if (current != report)
        {
            var old = current.Split('\n');
            var made = report.Split('\n');
            Assert.Fail("docs/coverage/circle-vendor-contract.md is stale (RESCIND_COVERAGE_UPDATE=1 rewrites it):\n"
                + string.Join("\n", old.Except(made).Take(10).Select(l => "- " + l).Concat(made.Except(old).Take(10).Select(l => "+ " + l))));
        }
    }

    /// <summary>The vendor's facts as checked in; first made again from the vendor's documents when both
    /// variables name them.</summary>
    private static (SortedDictionary<string, SortedSet<string>> Operations, SortedDictionary<int, string> Errors) VendorFacts()
    {
        var openapi = Environment.GetEnvironmentVariable("RESCIND_CIRCLE_VENDOR_OPENAPI");
        var types = Environment.GetEnvironmentVariable("RESCIND_CIRCLE_SDK_TYPES");
        if (!string.IsNullOrEmpty(openapi) && !string.IsNullOrEmpty(types))
        {
            var text = OpenApiFacts.Write(OpenApiFacts.Of(OpenApiFacts.Load(openapi)), OpenApiFacts.SdkErrors(types));
            lock (FactsLock)
            {
                File.WriteAllText(FactsPath, text);
            }
        }
        return OpenApiFacts.Read(File.ReadAllText(FactsPath));
    }

    private static readonly Lock FactsLock = new();

    private static string Shape(string op) => Regex.Replace(op, "{[^}]+}", "{}");

    /// <summary>A fact's subject ("param query:pageSize", "request name", "response data.wallets[].id") and
    /// what is said of it (type, required).</summary>
    private static (string Key, string Said) Split(string fact)
    {
        var parts = fact.Split(' ');
        return parts[0] == "success" ? ("success", string.Join(' ', parts[1..])) : ($"{parts[0]} {parts[1]}", string.Join(' ', parts[2..]));
    }

    private static string Report(SortedDictionary<string, SortedSet<string>> vendor, SortedDictionary<int, string> errors,
        SortedDictionary<string, SortedSet<string>> served)
    {
        var w = new StringBuilder();
        w.Append("# Circle: the served contract compared with the vendor's\n\n");
        w.Append("Generated by `CircleVendorContractTests` (tests/Rescind.Server.Tests/Contracts) from Rescind's served\n");
        w.Append("document (`/openapi/circle.json`) and the facts of Circle's OpenAPI and its SDK's error table\n");
        w.Append("(`circle-vendor-contract.txt` beside the test). Do not edit: `RESCIND_COVERAGE_UPDATE=1` rewrites it, and\n");
        w.Append("the suite fails when it is stale. Every line below is a known divergence.\n\n");
        var byShape = served.ToDictionary(s => Shape(s.Key), s => s.Value);
        var compared = 0;
        var total = 0;
        foreach (var (op, facts) in vendor)
        {
            if (!byShape.TryGetValue(Shape(op), out var mine))
            {
                continue;
            }
            compared++;
            var theirs = facts.Select(Split).ToLookup(f => f.Key, f => f.Said);
            var ours = mine.Select(Split).ToLookup(f => f.Key, f => f.Said);
            var lines = new List<string>();
            foreach (var key in theirs.Select(g => g.Key).Union(ours.Select(g => g.Key)).Order(StringComparer.Ordinal))
            {
                var t = string.Join(" / ", theirs[key]);
                var o = string.Join(" / ", ours[key]);
                if (t == o)
                {
                    continue;
                }
                lines.Add(t.Length == 0 ? $"- `{key}` ({o}): not in the vendor's contract"
                    : o.Length == 0 ? $"- `{key}` ({t}): missing from Rescind's"
                    : $"- `{key}`: vendor `{t}`, Rescind `{o}`");
            }
            total += lines.Count;
            w.Append("## ").Append(op).Append("\n\n");
            if (lines.Count == 0)
            {
                w.Append("No difference.\n\n");
            }
            else
            {
                foreach (var l in lines)
                {
                    w.Append(l).Append('\n');
                }
                w.Append('\n');
            }
        }
        w.Append("## Error codes\n\n");
        var codes = 0;
        foreach (var use in CircleEnvelope.CodeUses.Where(u => u.SdkMessage != errors.GetValueOrDefault(u.Code)))
        {
            codes++;
            w.Append($"- `{use.Code}`: Rescind sends it when {use.UsedFor}; the SDK's table: ")
                .Append(errors.TryGetValue(use.Code, out var m) ? $"\"{m}\"" : "no such code").Append('\n');
        }
        w.Append(codes == 0 ? "No difference.\n" : "").Append('\n');
        w.Append($"Compared: {compared} operations both documents describe; {total} field differences; {codes} codes used otherwise.\n");
        return w.ToString();
    }
}
