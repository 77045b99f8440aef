using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Npgsql;
using Rescind.Core.Storage;

namespace Rescind.Bench;

/// <summary>
/// The cancel benchmark: Rescind (in-process Kestrel on a loopback port, every middleware, Release build) on SQLite
/// and on PostgreSQL, driven over HTTP by closed-loop clients, beside the limit measured in the same run.
/// Usage: cancel [--quick] [--database CS] [--postgres CS] [--sqlite-only] [--out DIR]
/// </summary>
public static class CancelBench
{
    public static readonly int[] Levels = [1, 8, 32, 64];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        if (options is null)
        {
            await Console.Error.WriteLineAsync("usage: cancel [--quick] [--database CS|PATH] [--postgres CS] [--sqlite-only] [--out DIR]");
            return 2;
        }
        var errors = new List<string>();
        void OnError(string e)
        {
            lock (errors)
            {
                errors.Add(e);
                if (errors.Count <= 20)
                {
                    Console.Error.WriteLine("error: " + e);
                }
            }
        }

        var reports = new List<TargetReport>();
        var folder = Directory.CreateTempSubdirectory("rescind-bench-").FullName;
        PrivateCluster? cluster = null;
        try
        {
            if (options.Postgres && options.PostgresServer is null && !PrivateCluster.Installed)
            {
                await Console.Error.WriteLineAsync(
                    "PostgreSQL's initdb, pg_ctl and pgbench were not found (looked in PG_BIN and /usr/lib/postgresql/*/bin). "
                    + "Install Debian's postgresql package (apt-get install -y postgresql), point PG_BIN at them, pass --postgres CS for a running server, or --sqlite-only.");
                return 2;
            }
            if (options.Sqlite)
            {
                reports.Add(await RunTargetAsync(options, new SqliteTarget(folder), OnError));
            }
            if (options.Postgres)
            {
                var server = options.PostgresServer;
                if (server is null)
                {
                    Console.WriteLine("Starting a private PostgreSQL cluster (fsync on)…");
                    cluster = await PrivateCluster.StartAsync(folder);
                    server = cluster.ConnectionString;
                }
                reports.Add(await RunTargetAsync(options, new PostgresTarget(server, cluster is not null), OnError));
            }
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        var failed = errors.Count > 0 || reports.Any(r => r.Failures.Count > 0);
        if (!options.Quick || options.Out is not null)
        {
            var written = await Report.WriteAsync(options, reports);
            Console.WriteLine($"Report: {written}");
        }
        foreach (var r in reports)
        {
            Console.WriteLine(Report.Table(r));
            foreach (var f in r.Failures)
            {
                Console.Error.WriteLine($"FAILED ({r.Target}): {f}");
            }
        }
        Console.WriteLine(failed ? "cancel bench: FAILED (errors above)" : "cancel bench: ok, no errors");
        return failed ? 1 : 0;
    }

    private static async Task<TargetReport> RunTargetAsync(BenchOptions options, ITarget target, Action<string> onError)
    {
        var report = new TargetReport(target.Name, target.Conditions);
        var memory = new MemorySampler();
        Console.WriteLine($"== {target.Name}");
        ReleaseMemory();
        await using (var host = await BenchHost.StartAsync(await target.NewDatabaseAsync("main")))
        {
            var scenarios = new Scenarios(host, await host.CreateTenantAsync("bench"), options, report, onError, memory);
            await scenarios.RunAllAsync();
        }
        ReleaseMemory();
        if (options.Only is null)
        {
            await using var host = await BenchHost.StartAsync(await target.NewDatabaseAsync("growth"));
            var scenarios = new Scenarios(host, await host.CreateTenantAsync("growth"), options, report, onError, memory);
            await scenarios.GrowthAsync(target);
        }
        if (target is PostgresTarget pg && !options.Quick && options.Only is null && CorePinning.Available && await CorePinning.PostmasterAsync(pg.Server) is { } postmaster)
        {
            Console.WriteLine($"   split cores: PostgreSQL on core {CorePinning.DatabaseCores}, Rescind and its load generator (then pgbench) on {CorePinning.ClientCores}");
            ReleaseMemory();
            var splitMemory = new MemorySampler();
            await using var host = await BenchHost.StartAsync(await target.NewDatabaseAsync("split"));
            var scenarios = new Scenarios(host, await host.CreateTenantAsync("split"), options, report, onError, splitMemory);
            await CorePinning.SplitAsync(postmaster);
            try
            {
                await scenarios.SplitCoresAsync();
                report.SplitLimits.AddRange(await pg.MeasurePgbenchAsync(options, "split cores: pgbench", CorePinning.ClientCores));
                report.Notes.Add($"Split-cores step: peak working set {splitMemory.PeakMiB:F0} MiB during \"{splitMemory.PeakScenario}\" (sampled apart: it repeats two scenarios above with the process on one core).");
            }
            finally
            {
                await CorePinning.JoinAsync(postmaster);
            }
        }
        Console.WriteLine($"   limit: {target.LimitName}");
        report.Limits.AddRange(await target.MeasureLimitAsync(options));
        foreach (var l in report.SplitLimits.Concat(report.Limits))
        {
            Console.WriteLine($"   {l.Scenario,-28} c={l.Clients,-3} {l.PerSecond,8:F0}/s p50 {l.P50Ms,6:F2} p99 {l.P99Ms,7:F2} ms");
        }
        report.PeakWorkingSetMiB = memory.PeakMiB;
        report.HeaviestScenario = memory.PeakScenario;
        return report;
    }

    /// <summary>Between hosts: the previous host's garbage is collected and its memory returned to the system, so
    /// that each step's working set is its own.</summary>
    private static void ReleaseMemory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    public static int Ops(BenchOptions o, int clients) => o.Scale * (o.Quick
        ? clients switch { 1 => 20, 8 => 80, _ => 150 }
        : clients switch { 1 => 300, 8 => 1500, _ => 3000 });
}

public sealed class BenchOptions
{
    public bool Quick { get; private set; }

    public bool Sqlite { get; private set; } = true;

    public bool Postgres { get; private set; } = true;

    public string? SqlitePath { get; private set; }

    public string? PostgresServer { get; private set; }

    public string? Out { get; private set; }

    /// <summary>With <c>--only NAME</c>: only the scenarios whose name contains it, no growth or split-cores step
    /// (the limit is still measured, so the ratios stand in one run).</summary>
    public string? Only { get; private set; }

    /// <summary>With <c>--scale K</c>: K times the operations per measured row (longer rows, less noise).</summary>
    public int Scale { get; private set; } = 1;

    public bool Wants(string scenario) => Only is null || scenario.Contains(Only, StringComparison.OrdinalIgnoreCase);

    public static BenchOptions? Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
            switch (args[i])
            {
                case "--quick":
                    o.Quick = true;
                    break;
                case "--database":
                    var cs = Next();
                    var pg = cs.Contains("Host=", StringComparison.OrdinalIgnoreCase) || cs.StartsWith("postgres", StringComparison.OrdinalIgnoreCase);
                    (o.Sqlite, o.Postgres) = (!pg, pg);
                    if (pg)
                    {
                        o.PostgresServer = cs;
                    }
                    else
                    {
                        o.SqlitePath = cs;
                    }
                    break;
                case "--postgres":
                    o.PostgresServer = Next();
                    break;
                case "--sqlite-only":
                    o.Postgres = false;
                    break;
                case "--postgres-only":
                    o.Sqlite = false;
                    break;
                case "--out":
                    o.Out = Next();
                    break;
                case "--only":
                    o.Only = Next();
                    break;
                case "--scale":
                    o.Scale = int.TryParse(Next(), out var k) && k is > 0 and <= 100 ? k : throw new ArgumentException("--scale needs a whole number from 1 to 100");
                    break;
                default:
                    return null;
            }
        }
        return o;
    }
}

/// <summary>Peak working set of this process (server and load generator together), and the scenario it was in.</summary>
public sealed class MemorySampler
{
    public double PeakMiB { get; private set; }

    public string PeakScenario { get; private set; } = "";

    public async Task<T> WatchAsync<T>(string scenario, Func<Task<T>> run)
    {
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Sample(scenario);
                await Task.Delay(100, CancellationToken.None);
            }
        });
        try
        {
            return await run();
        }
        finally
        {
            await stop.CancelAsync();
            await sampler;
            Sample(scenario);
        }
    }

    private void Sample(string scenario)
    {
        using var p = Process.GetCurrentProcess();
        var mib = p.WorkingSet64 / 1048576.0;
        if (mib > PeakMiB)
        {
            (PeakMiB, PeakScenario) = (mib, scenario);
        }
    }
}

public sealed class TargetReport(string target, string conditions)
{
    public string Target => target;

    public string Conditions => conditions;

    public List<LoadResult> Results { get; } = [];

    public List<LoadResult> Limits { get; } = [];

    /// <summary>The split-cores step (PostgreSQL only): Rescind's results and pgbench's, measured with the database
    /// on its own core.</summary>
    public List<LoadResult> SplitResults { get; } = [];

    public List<LoadResult> SplitLimits { get; } = [];

    public List<string> Failures { get; } = [];

    public List<string> Notes { get; } = [];

    public double PeakWorkingSetMiB { get; set; }

    public string HeaviestScenario { get; set; } = "";
}

/// <summary>Where a benchmark runs: fresh databases, and the limit for that database.</summary>
public interface ITarget
{
    string Name { get; }

    string Conditions { get; }

    string LimitName { get; }

    Task<string> NewDatabaseAsync(string label);

    /// <summary>Bulk-inserts finished resources (with their audit rows, events and idempotency records) so that
    /// the tables hold <paramref name="total"/> rows each.</summary>
    Task FillAsync(Database db, long from, long total);

    Task<IReadOnlyList<LoadResult>> MeasureLimitAsync(BenchOptions options);
}

internal static class Json
{
    public static string? Str(string body, string name)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static int ArrayLength(string body, string name)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.GetArrayLength() : -1;
        }
        catch (JsonException)
        {
            return -1;
        }
    }
}
