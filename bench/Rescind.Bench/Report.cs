using System.Globalization;
using System.Text;

namespace Rescind.Bench;

/// <summary>The markdown report with its PNG plots, and the verdict on each target of the issue.</summary>
public static class Report
{
    public static async Task<string> WriteAsync(BenchOptions options, IReadOnlyList<TargetReport> reports)
    {
        var date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var dir = options.Out ?? Path.Combine(FindRepoRoot(), "bench", "results");
        Directory.CreateDirectory(dir);
        var stem = $"{date}-cancel{(options.Quick ? "-quick" : "")}";
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Cancel benchmark ({date}{(options.Quick ? ", --quick: too short to mean anything but 'no errors'" : "")})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"""
            Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, Release build.
            Rescind runs in this process: the production host (`ServerApp.Build`, every middleware; rate limiter off, jobs off) on Kestrel
            on a real loopback port, driven over HTTP/1.1 by closed-loop clients in the same process (one raw keep-alive socket per
            client, requests written as bytes, HdrHistogram), so the load generator shares the CPU with the server. Each scenario's
            resources are created through the public APIs before it runs (untimed); every answer is checked (status, final state,
            byte-identical replay). The limit runs in the same run. On PostgreSQL a second step repeats the cancel and pgbench with
            the database pinned to core 0 and Rescind with its load generator (or pgbench's client) on the other cores ("split cores").
            """);
        md.AppendLine();
        foreach (var r in reports)
        {
            var slug = r.Target == "SQLite" ? "sqlite" : "postgres";
            var throughput = $"{stem}-{slug}-throughput.png";
            var latency = $"{stem}-{slug}-latency.png";
            Plots.Throughput(r, Path.Combine(dir, throughput));
            Plots.Latency(r, Path.Combine(dir, latency));
            md.AppendLine(CultureInfo.InvariantCulture, $"## {r.Target}");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Conditions: {r.Conditions}. Limit: {(r.Target == "SQLite" ? new SqliteTarget("").LimitName : "pgbench, custom script: the same four statements in one transaction, at the same client counts")}.");
            md.AppendLine();
            md.AppendLine(Table(r));
            md.AppendLine();
            if (r.SplitResults.Count > 0)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"Split cores: PostgreSQL (postmaster and every backend) pinned to core {CorePinning.DatabaseCores}; Rescind with its load generator, and then pgbench's client, pinned to {CorePinning.ClientCores}. Ratios against the split-cores pgbench peak.");
                md.AppendLine();
                md.AppendLine(Table(r.SplitResults, r.SplitLimits));
                md.AppendLine();
            }
            foreach (var n in r.Notes)
            {
                md.AppendLine(n);
            }
            md.AppendLine(CultureInfo.InvariantCulture, $"Peak working set of the process (server + load generator): {r.PeakWorkingSetMiB:F0} MiB, during \"{r.HeaviestScenario}\".");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"![throughput]({throughput}) ![latency]({latency})");
            md.AppendLine();
            md.AppendLine("### Targets");
            md.AppendLine();
            foreach (var line in Targets.Verdicts(r))
            {
                md.AppendLine("- " + line);
            }
            md.AppendLine();
        }
        var path = Path.Combine(dir, stem + ".md");
        await File.WriteAllTextAsync(path, md.ToString());
        return path;
    }

    public static string Table(TargetReport r) => Table(r.Results, r.Limits);

    public static string Table(IReadOnlyList<LoadResult> results, IReadOnlyList<LoadResult> limits)
    {
        var sb = new StringBuilder();
        var limit = limits.Count == 0 ? 0 : limits.Max(l => l.PerSecond);
        sb.AppendLine("| scenario | clients | ops | req/s | × limit peak | p50 ms | p99 ms | p99.9 ms | max ms | errors |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var x in results.Concat(limits))
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {x.Scenario} | {x.Clients} | {x.Ops} | {x.PerSecond:F0} | {(limit > 0 ? (x.PerSecond / limit).ToString("F2", CultureInfo.InvariantCulture) : "–")} | {x.P50Ms:F2} | {x.P99Ms:F2} | {x.P999Ms:F2} | {x.MaxMs:F1} | {x.Errors} |");
        }
        return sb.ToString();
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Rescind.slnx")))
            {
                return d.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}

/// <summary>The issue's targets, each a ratio within one run.</summary>
public static class Targets
{
    public static double LimitPeak(TargetReport r) => r.Limits.Count == 0 ? 0 : r.Limits.Max(l => l.PerSecond);

    private static double Peak(TargetReport r, string scenario) => Peak(r.Results, scenario);

    private static double Peak(IEnumerable<LoadResult> results, string scenario) =>
        results.Where(x => x.Scenario == scenario).Select(x => x.PerSecond).DefaultIfEmpty(0).Max();

    /// <summary>The fewest clients at which <paramref name="scenario"/> reaches half its peak throughput.</summary>
    private static LoadResult? HalfPeak(IReadOnlyList<LoadResult> results, string scenario)
    {
        var peak = Peak(results, scenario);
        return results.Where(x => x.Scenario == scenario && x.PerSecond >= peak / 2).OrderBy(x => x.Clients).FirstOrDefault();
    }

    private static LoadResult? At(TargetReport r, string scenario, int clients) => r.Results.FirstOrDefault(x => x.Scenario == scenario && x.Clients == clients);

    private static string Met(bool ok) => ok ? "**met**" : "**not met**";

    public static IEnumerable<string> Verdicts(TargetReport r)
    {
        var limit = LimitPeak(r);
        const string Write = "crisscross cancel + key";
        var write = Peak(r, Write);
        var numeral = Peak(r, "numeral cancel");
        if (r.Target == "SQLite")
        {
            var ratio = write / limit;
            yield return $"Throughput ≥ 1.5× the one-commit-per-cancel limit: {Met(ratio >= 1.5)}. Full cancel with key {write:F0}/s (Numeral cancel {numeral:F0}/s) against the limit's {limit:F0}/s: {ratio:F2}×.";
            var at32 = At(r, Write, 32);
            if (at32 is not null)
            {
                yield return $"p99 ≤ 20 ms at 32 clients: {Met(at32.P99Ms <= 20)} ({at32.P99Ms:F1} ms).";
            }
        }
        else
        {
            var ratio = write / limit;
            yield return $"Throughput ≥ 0.8× pgbench's peak: {Met(ratio >= 0.8)}. Full cancel with key {write:F0}/s (Numeral cancel {numeral:F0}/s) against pgbench's {limit:F0}/s: {ratio:F2}×.";
            if (HalfPeak(r.Results, Write) is { } half)
            {
                yield return $"p99 ≤ 15 ms at half of peak load: {Met(half.P99Ms <= 15)} (the fewest clients reaching half the peak, {half.Clients}, give {half.PerSecond:F0}/s with p99 {half.P99Ms:F1} ms).";
            }
            if (r.SplitResults.Count > 0 && r.SplitLimits.Count > 0)
            {
                var splitLimit = r.SplitLimits.Max(l => l.PerSecond);
                var splitWrite = Peak(r.SplitResults, "split cores: " + Write);
                var splitNumeral = Peak(r.SplitResults, "split cores: numeral cancel");
                yield return $"Split cores (the database on its own core): ≥ 0.8× pgbench's peak {Met(splitWrite / splitLimit >= 0.8)} with a key ({splitWrite:F0}/s against {splitLimit:F0}/s: {splitWrite / splitLimit:F2}×), "
                    + $"{Met(splitNumeral / splitLimit >= 0.8)} for the Numeral cancel ({splitNumeral:F0}/s: {splitNumeral / splitLimit:F2}×).";
                if (HalfPeak(r.SplitResults, "split cores: " + Write) is { } splitHalf)
                {
                    yield return $"Split cores, p99 ≤ 15 ms at half of peak load: {Met(splitHalf.P99Ms <= 15)} ({splitHalf.Clients} clients, {splitHalf.PerSecond:F0}/s, p99 {splitHalf.P99Ms:F1} ms).";
                }
            }
        }
        var replay = Peak(r, "crisscross replay");
        yield return $"Replay ≥ 2× the write path: {Met(replay >= 2 * write)} ({replay:F0}/s against {write:F0}/s: {replay / write:F2}×), every replay byte-identical: {(r.Failures.Any(f => f.StartsWith("crisscross replay", StringComparison.Ordinal)) ? "NO" : "yes")}.";
        var growth = r.Results.Where(x => x.Scenario.StartsWith("growth", StringComparison.Ordinal)).ToList();
        if (growth.Count == 2)
        {
            var g = growth[1].PerSecond / growth[0].PerSecond;
            yield return $"Growth within 20%: {Met(g >= 0.8)} ({growth[0].Scenario}: {growth[0].PerSecond:F0}/s, {growth[1].Scenario}: {growth[1].PerSecond:F0}/s: {g:F2}×).";
        }
        yield return $"Working set under 300 MB: {Met(r.PeakWorkingSetMiB < 300)} ({r.PeakWorkingSetMiB:F0} MiB peak, server and load generator together, during \"{r.HeaviestScenario}\").";
    }
}

internal static class Plots
{
    public static void Throughput(TargetReport r, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var group in r.Results.Concat(r.Limits).Where(x => !x.Scenario.StartsWith("growth", StringComparison.Ordinal) && !x.Scenario.StartsWith("hot", StringComparison.Ordinal))
                     .GroupBy(x => x.Scenario))
        {
            var points = group.OrderBy(x => x.Clients).ToArray();
            if (points.Length == 1)
            {
                // SQLite's limit is one loop: a level line across every concurrency.
                var level = plot.Add.HorizontalLine(points[0].PerSecond, 3, pattern: ScottPlot.LinePattern.Dashed);
                level.LegendText = group.Key;
                continue;
            }
            var line = plot.Add.Scatter(points.Select(x => (double)x.Clients).ToArray(), points.Select(x => x.PerSecond).ToArray());
            line.LegendText = group.Key;
            if (group.Key.StartsWith("limit", StringComparison.Ordinal))
            {
                line.LineWidth = 3;
                line.LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }
        plot.Title($"{r.Target}: throughput against concurrency");
        plot.XLabel("closed-loop clients");
        plot.YLabel("requests (or transactions) per second");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 1000, 600);
    }

    public static void Latency(TargetReport r, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var scenario in new[] { "crisscross cancel + key", "numeral cancel", "crisscross replay" })
        {
            var points = r.Results.Where(x => x.Scenario == scenario).OrderBy(x => x.Clients).ToArray();
            if (points.Length == 0)
            {
                continue;
            }
            var xs = points.Select(x => (double)x.Clients).ToArray();
            foreach (var (name, value) in new (string, Func<LoadResult, double>)[] { ("p50", x => x.P50Ms), ("p99", x => x.P99Ms), ("p99.9", x => x.P999Ms) })
            {
                var line = plot.Add.Scatter(xs, points.Select(value).ToArray());
                line.LegendText = $"{scenario} {name}";
            }
        }
        plot.Title($"{r.Target}: latency percentiles against concurrency");
        plot.XLabel("closed-loop clients");
        plot.YLabel("milliseconds");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 1000, 600);
    }
}
