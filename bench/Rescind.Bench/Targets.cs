using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dapper;
using HdrHistogram;
using Microsoft.Data.Sqlite;
using Npgsql;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;

namespace Rescind.Bench;

/// <summary>What a cancel writes, as plain SQL: the limit runs these and nothing else.</summary>
internal static class LimitSql
{
    public const string Update =
        "UPDATE numeral_requests SET status = 'canceled', version = version + 1, updated_at = @Now WHERE id = @Id AND status = 'pending' AND version = 1";

    public const string Audit =
        """
        INSERT INTO audit_log (account_id, api, resource_type, resource_id, action, from_state, to_state, actor_kind, actor_id, request_id, idempotency_key, reason, at)
        VALUES ('acct_limit', 'numeral', 'tax.certificate_request', @Id, 'cancel', 'pending', 'canceled', 'credential', 'cred_limit', @Req, @Key, NULL, @Now)
        """;

    public const string Outbox =
        """
        INSERT INTO outbox (event_id, account_id, api, event_type, resource_type, resource_id, payload, created_at)
        VALUES (@Evt, 'acct_limit', 'numeral', 'tax.certificate_request.canceled', 'tax.certificate_request', @Id, @Payload, @Now)
        """;

    public const string Idempotency =
        """
        INSERT INTO idempotency (account_id, api, key, fingerprint, response_status, response_body, resource_id, created_at, expires_at)
        VALUES ('acct_limit', 'numeral', @Key, 'fingerprint', 200, @Payload, @Id, @Now, @Now + 86400000)
        """;

    /// <summary>A response-sized payload (Numeral's canceled request is about 450 bytes).</summary>
    public static readonly string Payload = "{\"id\":\"cert_req_limit\",\"object\":\"tax.certificate_request\",\"status\":\"canceled\",\"pad\":\"" + new string('x', 350) + "\"}";

    /// <summary>Finished resources for the growth scenario, with their audit rows, events and keys; <c>n</c> comes
    /// from the dialect's number series.</summary>
    public static string[] Fill(string series) =>
    [
        $$"""
        INSERT INTO numeral_requests (id, account_id, customer_id, certificate_type_id, jurisdictions, status, created_at, updated_at, expires_at, version)
        {{series}} SELECT 'cert_req_bulk_' || n, 'acct_bulk', 'cust_bulk', 'US-CA-CDTFA-230', '["US-CA"]', 'canceled', 1700000000000 + n, 1700000000000 + n, NULL, 2 FROM s
        """,
        $$"""
        INSERT INTO audit_log (account_id, api, resource_type, resource_id, action, from_state, to_state, actor_kind, actor_id, request_id, idempotency_key, reason, at)
        {{series}} SELECT 'acct_bulk', 'numeral', 'tax.certificate_request', 'cert_req_bulk_' || n, 'cancel', 'pending', 'canceled', 'credential', 'cred_bulk', 'req_bulk', NULL, NULL, 1700000000000 + n FROM s
        """,
        $$"""
        INSERT INTO outbox (event_id, account_id, api, event_type, resource_type, resource_id, payload, created_at, dispatched_at)
        {{series}} SELECT 'evt_bulk_' || n, 'acct_bulk', 'numeral', 'tax.certificate_request.canceled', 'tax.certificate_request', 'cert_req_bulk_' || n, '{"status":"canceled"}', 1700000000000 + n, 1700000000000 + n FROM s
        """,
        $$"""
        INSERT INTO idempotency (account_id, api, key, fingerprint, response_status, response_body, resource_id, created_at, expires_at)
        {{series}} SELECT 'acct_bulk', 'crisscross', 'key_bulk_' || n, 'fingerprint', 200, '{"status":"CANCELLED"}', 'cert_req_bulk_' || n, 1700000000000 + n, 4000000000000 FROM s
        """,
    ];

    public static async Task MigrateAsync(string database)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rescind:Database"] = database,
            ["Rescind:Jobs:Enabled"] = "false",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddRescindCore(configuration).BuildServiceProvider();
        await CoreServices.MigrateAsync(services, CancellationToken.None);
    }
}

/// <summary>SQLite in a temp folder, WAL and synchronous=FULL (Rescind's own settings).</summary>
public sealed class SqliteTarget(string folder) : ITarget
{
    public string Name => "SQLite";

    public string Conditions => "SQLite (Microsoft.Data.Sqlite, WAL, synchronous=FULL) in a temp folder on the machine's disk";

    public string LimitName => "one transaction per cancel (update + audit + outbox + idempotency, BEGIN IMMEDIATE … COMMIT) from one tight loop";

    public Task<string> NewDatabaseAsync(string label) => Task.FromResult(Path.Combine(folder, label + ".db"));

    public async Task FillAsync(Database db, long from, long total)
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        await using var tx = await c.BeginTransactionAsync();
        foreach (var sql in LimitSql.Fill("WITH RECURSIVE s(n) AS (SELECT @from + 1 UNION ALL SELECT n + 1 FROM s WHERE n < @total)"))
        {
            await c.ExecuteAsync(sql, new { from, total }, tx, commandTimeout: 600);
        }
        await tx.CommitAsync();
    }

    public async Task<IReadOnlyList<LoadResult>> MeasureLimitAsync(BenchOptions options)
    {
        var path = Path.Combine(folder, "limit.db");
        await LimitSql.MigrateAsync(path);
        var n = options.Quick ? 500 : 5000;
        await using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await c.OpenAsync();
        await c.ExecuteAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        await c.ExecuteAsync(
            """
            WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < @n)
            INSERT INTO numeral_requests (id, account_id, customer_id, certificate_type_id, jurisdictions, status, created_at, updated_at, expires_at, version)
            SELECT 'cert_req_limit_' || n, 'acct_limit', 'cust_limit', 'US-CA-CDTFA-230', '["US-CA"]', 'pending', 1, 1, NULL, 1 FROM s
            """, new { n });
        var update = Prepare(c, LimitSql.Update, "@Now", "@Id");
        var audit = Prepare(c, LimitSql.Audit, "@Id", "@Req", "@Key", "@Now");
        var outbox = Prepare(c, LimitSql.Outbox, "@Evt", "@Id", "@Payload", "@Now");
        var idem = Prepare(c, LimitSql.Idempotency, "@Key", "@Payload", "@Id", "@Now");
        var histogram = new LongHistogram(TimeSpan.FromMinutes(1).Ticks / 10, 3);
        var watch = Stopwatch.StartNew();
        long errors = 0;
        for (var i = 1; i <= n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var id = "cert_req_limit_" + i.ToString(CultureInfo.InvariantCulture);
            var key = "key_" + i.ToString(CultureInfo.InvariantCulture);
            using var tx = c.BeginTransaction(deferred: false);
            foreach (var cmd in new[] { update, audit, outbox, idem })
            {
                cmd.Transaction = tx;
            }
            Set(update, now, id);
            errors += update.ExecuteNonQuery() == 1 ? 0 : 1;
            Set(audit, id, "req_" + key, key, now);
            audit.ExecuteNonQuery();
            Set(outbox, "evt_" + key, id, LimitSql.Payload, now);
            outbox.ExecuteNonQuery();
            Set(idem, key, LimitSql.Payload, id, now);
            idem.ExecuteNonQuery();
            tx.Commit();
            histogram.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds));
        }
        var seconds = watch.Elapsed.TotalSeconds;
        return [new LoadResult("limit: native loop", 1, n, errors, seconds,
            histogram.GetValueAtPercentile(50) / 1000.0, histogram.GetValueAtPercentile(99) / 1000.0, histogram.GetValueAtPercentile(99.9) / 1000.0, histogram.GetMaxValue() / 1000.0)];
    }

    private static SqliteCommand Prepare(SqliteConnection c, string sql, params string[] names)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var name in names)
        {
            cmd.Parameters.Add(new SqliteParameter(name, null));
        }
        return cmd;
    }

    private static void Set(SqliteCommand cmd, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            cmd.Parameters[i].Value = values[i];
        }
    }
}

/// <summary>PostgreSQL: a fresh database per step on the given server (or a private cluster), and pgbench.</summary>
public sealed class PostgresTarget(string server, bool privateCluster) : ITarget
{
    private readonly NpgsqlConnectionStringBuilder admin = new(server) { Database = new NpgsqlConnectionStringBuilder(server).Database ?? "postgres", Pooling = false };

    public string Name => "PostgreSQL";

    public string Conditions { get; private set; } = "PostgreSQL";

    public string LimitName => "pgbench, custom script: the same four statements in one transaction, at the same client counts";

    public async Task<string> NewDatabaseAsync(string label)
    {
        var name = $"rescind_bench_{label}_{Guid.NewGuid():N}"[..40];
        await using var c = new NpgsqlConnection(admin.ToString());
        await c.OpenAsync();
        await c.ExecuteAsync($"CREATE DATABASE {name}");
        var settings = (await c.QueryAsync<(string, string)>(
            "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version', 'max_connections', 'shared_buffers')")).ToList();
        Conditions = $"PostgreSQL ({(privateCluster ? "a private cluster started by the benchmark" : "the given server")}; "
            + string.Join(", ", settings.Select(s => $"{s.Item1}={s.Item2}")) + ")";
        return new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 100 }.ToString();
    }

    public async Task FillAsync(Database db, long from, long total)
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        foreach (var sql in LimitSql.Fill("WITH s(n) AS (SELECT generate_series(@from + 1, @total))"))
        {
            await c.ExecuteAsync(sql, new { from, total }, commandTimeout: 600);
        }
        await c.ExecuteAsync("ANALYZE numeral_requests, audit_log, outbox, idempotency");
    }

    public string Server => server;

    public Task<IReadOnlyList<LoadResult>> MeasureLimitAsync(BenchOptions options) => MeasurePgbenchAsync(options, "limit: pgbench", null);

    /// <param name="clientCores">When set, pgbench itself runs pinned to these cores (the split-cores step).</param>
    public async Task<IReadOnlyList<LoadResult>> MeasurePgbenchAsync(BenchOptions options, string label, string? clientCores)
    {
        var cs = await NewDatabaseAsync("limit");
        await LimitSql.MigrateAsync(cs);
        var seconds = options.Quick ? 2 : 10;
        await using (var c = new NpgsqlConnection(cs))
        {
            await c.OpenAsync();
            await c.ExecuteAsync(
                """
                CREATE SEQUENCE bench_limit_seq;
                INSERT INTO numeral_requests (id, account_id, customer_id, certificate_type_id, jurisdictions, status, created_at, updated_at, expires_at, version)
                SELECT 'cert_req_limit_' || n, 'acct_limit', 'cust_limit', 'US-CA-CDTFA-230', '["US-CA"]', 'pending', 1, 1, NULL, 1 FROM generate_series(1, @n) n;
                ANALYZE;
                """, new { n = options.Quick ? 50_000 : 600_000 }, commandTimeout: 600);
        }
        var dir = Directory.CreateTempSubdirectory("rescind-pgbench-").FullName;
        var script = Path.Combine(dir, "cancel.sql");
        string P(string sql) => sql.Replace("@Now", "1790000000000", StringComparison.Ordinal).Replace("@Id", "'cert_req_limit_' || :k", StringComparison.Ordinal)
            .Replace("@Req", "'req_' || :k", StringComparison.Ordinal).Replace("@Key", "'key_' || :k", StringComparison.Ordinal)
            .Replace("@Evt", "'evt_' || :k", StringComparison.Ordinal).Replace("@Payload", "'" + LimitSql.Payload + "'", StringComparison.Ordinal)
            .ReplaceLineEndings(" ");
        await File.WriteAllTextAsync(script, string.Join('\n',
            "BEGIN;",
            "SELECT nextval('bench_limit_seq') AS k \\gset",
            P(LimitSql.Update) + ";",
            P(LimitSql.Audit) + ";",
            P(LimitSql.Outbox) + ";",
            P(LimitSql.Idempotency) + ";",
            "END;") + "\n");
        var b = new NpgsqlConnectionStringBuilder(cs);
        var results = new List<LoadResult>();
        foreach (var clients in CancelBench.Levels)
        {
            var run = Path.Combine(dir, $"c{clients}");
            Directory.CreateDirectory(run);
            var psi = new ProcessStartInfo(clientCores is null ? PrivateCluster.Tool("pgbench") : "taskset")
            {
                WorkingDirectory = run,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (clientCores is not null)
            {
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add(clientCores);
                psi.ArgumentList.Add(PrivateCluster.Tool("pgbench"));
            }
            foreach (var a in new[] { "-n", "-M", "prepared", "-f", script, "-c", clients.ToString(CultureInfo.InvariantCulture),
                         "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture), "-T", seconds.ToString(CultureInfo.InvariantCulture),
                         "-l", "-h", b.Host!, "-p", b.Port.ToString(CultureInfo.InvariantCulture), "-U", b.Username!, b.Database! })
            {
                psi.ArgumentList.Add(a);
            }
            if (b.Password is { } pw)
            {
                psi.Environment["PGPASSWORD"] = pw;
            }
            using var p = Process.Start(psi)!;
            var stdout = await p.StandardOutput.ReadToEndAsync();
            var stderr = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"pgbench failed ({p.ExitCode}): {stderr}{stdout}");
            }
            var histogram = new LongHistogram(TimeSpan.FromMinutes(1).Ticks / 10, 3);
            long count = 0;
            foreach (var log in Directory.GetFiles(run, "pgbench_log.*"))
            {
                foreach (var line in File.ReadLines(log))
                {
                    var parts = line.Split(' ');
                    histogram.RecordValue(Math.Max(1, long.Parse(parts[2], CultureInfo.InvariantCulture)));
                    count++;
                }
            }
            var tps = stdout.Split('\n').First(l => l.StartsWith("tps = ", StringComparison.Ordinal));
            var rate = double.Parse(tps.Split(' ')[2], CultureInfo.InvariantCulture);
            results.Add(new LoadResult(label, clients, count, 0, count / rate,
                histogram.GetValueAtPercentile(50) / 1000.0, histogram.GetValueAtPercentile(99) / 1000.0, histogram.GetValueAtPercentile(99.9) / 1000.0, histogram.GetMaxValue() / 1000.0));
        }
        Directory.Delete(dir, recursive: true);
        return results;
    }
}

/// <summary>A throw-away PostgreSQL cluster with fsync on, in a temp folder, stopped at the end.</summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    private readonly string data;

    private PrivateCluster(string data, string connectionString)
    {
        this.data = data;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>A PostgreSQL tool: from PG_BIN, the newest Debian bin folder, or PATH.</summary>
    public static string Tool(string name)
    {
        var dirs = new List<string>();
        if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } bin)
        {
            dirs.Add(bin);
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            dirs.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin")));
        }
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists) ?? name;
    }

    /// <summary>Whether initdb is found (PG_BIN, Debian's folders or PATH).</summary>
    public static bool Installed =>
        Tool("initdb") is var t && (File.Exists(t) || (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, t))));

    public static async Task<PrivateCluster> StartAsync(string parent)
    {
        var root = Path.Combine(parent, "pg");
        Directory.CreateDirectory(root);
        var data = Path.Combine(root, "data");
        var asRoot = !OperatingSystem.IsWindows() && Environment.UserName == "root";
        if (asRoot && !OperatingSystem.IsWindows())
        {
            // The server refuses to run as root: the cluster belongs to postgres, who must reach it.
            File.SetUnixFileMode(parent, (UnixFileMode)0b111_101_101);
            await RunAsync("chown", "-R", "postgres", root);
        }
        await AsPostgresAsync(asRoot, Tool("initdb"), "-D", data, "-U", "rescind", "-A", "trust", "--no-sync");
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        await AsPostgresAsync(asRoot, Tool("pg_ctl"), "-D", data, "-l", Path.Combine(root, "log"), "-w", "-t", "60", "-o",
            $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on -c synchronous_commit=on -c shared_buffers=256MB",
            "start");
        return new PrivateCluster(data, $"Host=127.0.0.1;Port={port};Username=rescind;Database=postgres");
    }

    private static Task AsPostgresAsync(bool asRoot, string tool, params string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", tool, .. args]) : RunAsync(tool, args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AsPostgresAsync(Environment.UserName == "root", Tool("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop");
    }
}
