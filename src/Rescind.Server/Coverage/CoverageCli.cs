using System.CommandLine;
using Rescind.Server.Cli;

namespace Rescind.Server.Coverage;

/// <summary>
/// <c>rescind coverage</c>: writes the coverage tables from the vendors' operation lists, this build's route table
/// and a test run's records (<c>Rescind:Coverage:Records</c>); with <c>--check</c>, compares instead and exits 1
/// when a table is stale.
/// </summary>
public static class CoverageCli
{
    public static Command Command() => new Command("coverage", "write (or --check) the vendors' coverage tables from a test run's records")
    {
        CliOptions.Value("records", "DIR", "the folder the test run recorded its requests in (Rescind:Coverage:Records)", required: true),
        CliOptions.Value("out", "DIR", "where the tables go (default docs/coverage)"),
        CliOptions.Value("readme", "FILE", "the README whose summary table is kept (default README.md)"),
        CliOptions.Flag("check", "compare with the files instead of writing them; exit 1 when any is stale"),
    }.Runs(async a =>
    {
        var records = a.Get("records")!;
        if (!Directory.Exists(records))
        {
            Console.Error.WriteLine($"rescind coverage: no records folder {records}");
            return 2;
        }
        var folder = a.Get("out") ?? Path.Combine("docs", "coverage");
        var readme = a.Get("readme") ?? "README.md";
        if (!File.Exists(readme))
        {
            Console.Error.WriteLine($"rescind coverage: no README at {Path.GetFullPath(readme)} (give --readme)");
            return 2;
        }
        var scratch = Directory.CreateTempSubdirectory("rescind-coverage-");
        IReadOnlyList<ServedRoute> routes;
        await using (var app = Hosting.ServerApp.Build(["--Rescind:Data=" + scratch.FullName]))
        {
            routes = CoverageTable.Routes(app);
        }
        scratch.Delete(recursive: true);
        var all = CoverageTable.Build(VendorOperations.All, routes, CoverageRecords.Read(records));
        var files = all.Select(c => (Path.Combine(folder, c.Vendor.Api + ".md"), CoverageTable.Markdown(c))).ToList();
        files.Add((Path.Combine(folder, "coverage.json"), CoverageTable.Json(all)));
        files.Add((readme, CoverageTable.Readme(await File.ReadAllTextAsync(readme), all)));
        var stale = 0;
        foreach (var (path, text) in files)
        {
            var current = File.Exists(path) ? await File.ReadAllTextAsync(path) : null;
            if (current == text)
            {
                continue;
            }
            if (a.Has("check"))
            {
                Console.Error.WriteLine($"stale: {path}");
                var old = (current ?? "").Split('\n');
                var made = text.Split('\n');
                foreach (var line in old.Except(made).Take(5))
                {
                    Console.Error.WriteLine("  - " + line);
                }
                foreach (var line in made.Except(old).Take(5))
                {
                    Console.Error.WriteLine("  + " + line);
                }
                stale++;
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                await File.WriteAllTextAsync(path, text);
                Console.WriteLine($"wrote {path}");
            }
        }
        foreach (var c in all)
        {
            Console.WriteLine($"{c.Vendor.Api}: {c.Served}/{c.Rows.Count} served, {c.Tested} called by a test{(c.Vendor.Client is null ? "" : $", {c.Exercised} by {c.Vendor.Client.Name}")}");
        }
        if (stale > 0)
        {
            Console.Error.WriteLine("The coverage tables are stale: run ./test.sh with RESCIND_COVERAGE_UPDATE=1 (or rescind coverage --records DIR) and commit them.");
            return 1;
        }
        return 0;
    });
}
