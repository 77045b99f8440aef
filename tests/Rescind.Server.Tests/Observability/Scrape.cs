using System.Globalization;
using System.Text.RegularExpressions;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Observability;

/// <summary>One scrape of <c>/metrics</c> in the Prometheus text format, read into samples.</summary>
public sealed partial class Scrape(IReadOnlyList<Scrape.Sample> samples, string text)
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyList<Sample> Samples => samples;

    public string Text => text;

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$""")]
    private static partial Regex Line();

    [GeneratedRegex(""""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex Label();

    public static async Task<Scrape> TakeAsync(RescindServer server)
    {
        var a = await Tenant.SendAsync(server, HttpMethod.Get, "/metrics", null, new() { ["Authorization"] = "Bearer " + server.OperatorToken });
        Assert.True(a.Code == 200, $"{a.Code} {a.Body}");
        return Parse(a.Body);
    }

    public static Scrape Parse(string text)
    {
        var list = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var m = Line().Match(line);
            Assert.True(m.Success, "not a Prometheus sample line: " + line);
            var labels = Label().Matches(m.Groups[2].Value).ToDictionary(l => l.Groups[1].Value, l => Regex.Unescape(l.Groups[2].Value), StringComparer.Ordinal);
            list.Add(new Sample(m.Groups[1].Value, labels, double.Parse(m.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return new Scrape(list, text);
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one given.</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

    public bool Has(string name) => samples.Any(s => s.Name == name);
}
