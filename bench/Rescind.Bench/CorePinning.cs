using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Rescind.Bench;

/// <summary>
/// The split-cores step: the PostgreSQL server (its postmaster and every backend, present and future) pinned to
/// core 0, and this process (Rescind and its load generator) or pgbench's client pinned to the other cores, so that
/// the service and the database do not compete for a core, as they would not on separate machines. Linux only,
/// with <c>taskset</c> (util-linux) and a server on this machine.
/// </summary>
internal static class CorePinning
{
    public const string DatabaseCores = "0";

    public static string ClientCores => Environment.ProcessorCount == 2 ? "1" : $"1-{Environment.ProcessorCount - 1}";

    private static string AllCores => $"0-{Environment.ProcessorCount - 1}";

    public static bool Available => OperatingSystem.IsLinux() && Environment.ProcessorCount >= 2 && File.Exists("/usr/bin/taskset");

    /// <summary>The postmaster of the server behind <paramref name="connectionString"/>, when it runs here.</summary>
    public static async Task<int?> PostmasterAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", c);
        var backend = (int)(await command.ExecuteScalarAsync())!;
        return ParentOf(backend) is { } parent && Comm(parent) is "postgres" or "postmaster" ? parent : null;
    }

    public static async Task SplitAsync(int postmaster)
    {
        await PinTreeAsync(postmaster, DatabaseCores);
        await TasksetAsync(ClientCores, Environment.ProcessId);
    }

    public static async Task JoinAsync(int postmaster)
    {
        await TasksetAsync(AllCores, Environment.ProcessId);
        await PinTreeAsync(postmaster, AllCores);
    }

    private static async Task PinTreeAsync(int postmaster, string cores)
    {
        await TasksetAsync(cores, postmaster);
        foreach (var child in Directory.GetDirectories("/proc").Select(Path.GetFileName).Select(n => int.TryParse(n, out var pid) ? pid : 0)
                     .Where(pid => pid > 0 && ParentOf(pid) == postmaster))
        {
            await TasksetAsync(cores, child);
        }
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task TasksetAsync(string cores, int pid)
    {
        var psi = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-a", "-p", "-c", cores, pid.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0 && Directory.Exists($"/proc/{pid}"))
        {
            throw new InvalidOperationException($"taskset -a -p -c {cores} {pid} failed: {output}");
        }
    }
}
