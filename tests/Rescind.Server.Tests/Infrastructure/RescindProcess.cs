using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dapper;
using Npgsql;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>The <c>rescind</c> executable run as a real process (CLI verbs, or <c>serve</c> to kill and restart).</summary>
public static class RescindProcess
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(IEnumerable<string> args)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running process (e.g. <c>serve</c>), draining its output so it never blocks.</summary>
    public static Process Start(IEnumerable<string> args, Action<string>? onLine = null)
    {
        var p = Process.Start(StartInfo(args))!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { onLine?.Invoke(e.Data); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { onLine?.Invoke(e.Data); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Waits until a started <c>serve</c> answers <c>/healthz</c>.</summary>
    public static async Task WaitHealthyAsync(HttpClient http, Uri? baseAddress = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                using var r = await http.GetAsync(baseAddress is null ? new Uri("/healthz", UriKind.Relative) : new Uri(baseAddress, "/healthz"));
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("rescind did not become healthy");
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["Rescind__Outbound__AllowPrivateNetworks"] = "true"; // the suite's receivers listen on loopback
        psi.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return psi;
    }
}

/// <summary>A database of its own for process tests: the arguments that point <c>rescind</c> at it, and raw SQL access.</summary>
public abstract class ProcessStorage
{
    public abstract Task<string[]> CreateAsync();

    public abstract Task ExecuteAsync(string sql);

    public abstract Task<IReadOnlyList<T>> QueryAsync<T>(string sql);

    public abstract Task DropAsync();
}

public sealed class SqliteProcessStorage : ProcessStorage
{
    private string? folder;

    public override Task<string[]> CreateAsync()
    {
        folder = Directory.CreateTempSubdirectory("rescind-proc-").FullName;
        return Task.FromResult<string[]>(["--data", folder]);
    }

    public override async Task ExecuteAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Path.Combine(folder!, "rescind.db") + ";Pooling=false");
        await connection.OpenAsync();
        await connection.ExecuteAsync(sql);
    }

    public override async Task<IReadOnlyList<T>> QueryAsync<T>(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Path.Combine(folder!, "rescind.db") + ";Pooling=false");
        await connection.OpenAsync();
        return (await connection.QueryAsync<T>(sql)).ToList();
    }

    public override Task DropAsync()
    {
        Directory.Delete(folder!, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>A database of its own on the suite's PostgreSQL (<c>RESCIND_TEST_POSTGRES</c>), or on another server
/// (e.g. a private cluster a test stops) when given its admin connection string.</summary>
public sealed class PostgresProcessStorage(Func<string>? adminConnectionString = null) : ProcessStorage
{
    private readonly string database = "rescind_proc_" + Guid.NewGuid().ToString("N")[..12];

    private string Admin => adminConnectionString?.Invoke() ?? PostgresServer.AdminConnectionString;

    private string ConnectionString => new NpgsqlConnectionStringBuilder(Admin) { Database = database }.ToString();

    public override async Task<string[]> CreateAsync()
    {
        await AdminAsync($"CREATE DATABASE {database}");
        return ["--database", ConnectionString];
    }

    public override async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync(sql);
    }

    public override async Task<IReadOnlyList<T>> QueryAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return (await connection.QueryAsync<T>(sql)).ToList();
    }

    /// <summary>The arguments that point <c>rescind</c> at this database through a local proxy (to cut it).</summary>
    public string[] ArgsThrough(TcpProxy proxy) =>
        ["--database", new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 3 }.ToString()];

    /// <summary>Where the database really is (the proxy's upstream).</summary>
    public static (string Host, int Port) Upstream
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString);
            return (b.Host!, b.Port);
        }
    }

    public override Task DropAsync() => AdminAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");

    private async Task AdminAsync(string sql)
    {
        await using var admin = new NpgsqlConnection(Admin);
        await admin.OpenAsync();
        await admin.ExecuteAsync(sql);
    }
}
