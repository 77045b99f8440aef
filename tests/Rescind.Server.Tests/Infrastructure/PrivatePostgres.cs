using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of the test's own (initdb on a free port, as <c>test.sh</c> makes one), which the test may
/// stop with <c>pg_ctl stop -m immediate</c> (every backend dies at once, as in a crash) and start again on the same
/// port. Run as an unprivileged user when the suite runs as root (PostgreSQL refuses root). Durability: <c>fsync</c>
/// is off (the machine does not crash, only the server: what was written stays in the page cache) but
/// <c>synchronous_commit</c> is on, so a commit is in the WAL before Rescind answers, as on a real deployment.
/// A class fixture: without the binaries it does nothing and the test (a <see cref="PostgresBinariesFactAttribute"/>)
/// is skipped, except under CI.
/// </summary>
public sealed class PrivatePostgres : IAsyncLifetime
{
    private string? root;
    private string? user;
    private int port;

    /// <summary>Debian's newest <c>/usr/lib/postgresql/N/bin</c>, else the directory of <c>pg_ctl</c> on PATH.</summary>
    public static string? BinDir { get; } = Find();

    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is "true" or "1";

    public const string MissingMessage =
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH: the scenario that stops " +
        "a private PostgreSQL is SKIPPED. Install the Debian 'postgresql' package to run it; under CI=true it fails instead.";

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = port, Username = "rescind", Database = "postgres", Timeout = 5, MaxPoolSize = 50,
    }.ToString();

    public async Task InitializeAsync()
    {
        if (BinDir is null)
        {
            return;
        }
        var isRoot = Environment.UserName == "root";
        root = (isRoot ? Directory.CreateDirectory(Path.Combine("/tmp", "rescind-pg-" + Guid.NewGuid().ToString("N")[..12])) : Directory.CreateTempSubdirectory("rescind-pg-")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "sock"));
        if (isRoot)
        {
            await RunAsync("chmod", false, "755", root); // the cluster's user must traverse it
            user = File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal)) ? "postgres" : "rescindpg";
            if (user == "rescindpg" && !File.ReadLines("/etc/passwd").Any(l => l.StartsWith("rescindpg:", StringComparison.Ordinal)))
            {
                await RunAsync("useradd", false, "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user);
            }
            await RunAsync("chown", false, "-R", user, root);
        }
        await RunAsync(Path.Combine(BinDir, "initdb"), true, "-D", Data, "-A", "trust", "-U", "rescind", "--encoding=UTF8", "--no-locale", "--no-sync");
        await File.AppendAllTextAsync(Path.Combine(Data, "postgresql.conf"), $"""

            # added by the test (a private cluster it stops and starts)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{Path.Combine(root, "sock")}'
            fsync = off
            synchronous_commit = on
            max_connections = 100

            """);
        for (var attempt = 0; ; attempt++)
        {
            port = RescindProcess.FreePort();
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                // the port was taken between choosing it and binding it: choose another
            }
        }
    }

    private string Data => Path.Combine(root!, "data");

    /// <summary>Starts (again) on the same port, waiting until it accepts connections (after crash recovery).</summary>
    public Task StartAsync() =>
        RunAsync(Path.Combine(BinDir!, "pg_ctl"), true, "-D", Data, "-l", Path.Combine(root!, "server.log"), "-w", "-t", "60", "-o", $"-p {port}", "start");

    /// <summary><c>pg_ctl stop -m immediate</c>: the postmaster kills every backend at once, no checkpoint; the next
    /// start runs crash recovery. The test process's own idle pooled connections died with it: they are dropped.</summary>
    public async Task StopImmediatelyAsync()
    {
        await RunAsync(Path.Combine(BinDir!, "pg_ctl"), true, "-D", Data, "-m", "immediate", "-w", "-t", "30", "stop");
        NpgsqlConnection.ClearAllPools();
    }

    public async Task DisposeAsync()
    {
        if (root is null)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(Data, "postmaster.pid")))
        {
            try
            {
                await StopImmediatelyAsync();
            }
            catch (InvalidOperationException)
            {
                // already stopped: nothing to end
            }
        }
        Directory.Delete(root, recursive: true);
    }

    /// <summary>Runs a tool to its end (as the cluster's user when <paramref name="asOwner"/> and running as root);
    /// a non-zero exit throws with its output and the server's log.</summary>
    private async Task RunAsync(string tool, bool asOwner, params string[] args)
    {
        var psi = new ProcessStartInfo(asOwner && user is not null ? "runuser" : tool)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root ?? Path.GetTempPath(),
        };
        if (asOwner && user is not null)
        {
            foreach (var a in new[] { "-u", user, "--", tool })
            {
                psi.ArgumentList.Add(a);
            }
        }
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(timeout.Token);
        output.Append(await stdout).Append(await stderr);
        if (p.ExitCode != 0)
        {
            var log = root is not null && File.Exists(Path.Combine(root, "server.log")) ? await File.ReadAllTextAsync(Path.Combine(root, "server.log")) : "";
            throw new InvalidOperationException($"{Path.GetFileName(tool)} {string.Join(' ', args)} exited {p.ExitCode}: {output}\n{log}");
        }
    }

    private static string? Find()
    {
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0)
                .FirstOrDefault()
            : null;
        if (debian is not null)
        {
            return debian;
        }
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "pg_ctl")).FirstOrDefault(File.Exists);
        // pg_ctl finds `postgres` beside its real path, so follow a symlink.
        return onPath is null ? null : Path.GetDirectoryName(new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath);
    }
}

/// <summary>A test that needs PostgreSQL's server binaries: skipped (with <see cref="PrivatePostgres.MissingMessage"/>)
/// without them, unless CI=true, where it runs and fails.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresBinariesFactAttribute : FactAttribute
{
    public PostgresBinariesFactAttribute()
    {
        if (PrivatePostgres.BinDir is null && !PrivatePostgres.IsCi)
        {
            Skip = PrivatePostgres.MissingMessage;
        }
    }
}
