using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Rescind.Core.Storage;

public enum DatabaseKind
{
    Sqlite,
    Postgres,
}

public static class DatabaseKinds
{
    /// <summary><c>column</c> is one of the array parameter <c>@parameter</c>: <c>= ANY(@p)</c> on PostgreSQL (one
    /// array parameter), Dapper's list expansion <c>IN @p</c> on SQLite.</summary>
    public static string AnyOf(this DatabaseKind kind, string column, string parameter) =>
        kind == DatabaseKind.Postgres ? $"{column} = ANY(@{parameter})" : $"{column} IN @{parameter}";
}

/// <summary>
/// The one storage seam: opens connections and write transactions for SQLite (embedded default) or PostgreSQL.
/// The few dialect differences live here and nowhere else.
/// </summary>
public sealed class Database : IAsyncDisposable
{
    private readonly NpgsqlDataSource? postgres;

    private Database(DatabaseKind kind, string connectionString)
    {
        Kind = kind;
        ConnectionString = connectionString;
        if (kind == DatabaseKind.Postgres)
        {
            postgres = NpgsqlDataSource.Create(Tuned(connectionString));
        }
    }

    /// <summary>How long a statement waits for a row lock (a key another request holds, a row another node is
    /// changing) before it fails; set once per physical connection rather than per transaction.</summary>
    public const string LockTimeout = "10s";

    /// <summary>SQLite's equivalent: how long a write waits for the single writer's lock that another process (a CLI
    /// verb, a backup, a shell) holds before it fails as unavailable (503 with <c>Retry-After</c>). The connection
    /// string's <c>Default Timeout</c>, given explicitly, wins; both SQLite's busy handler and
    /// Microsoft.Data.Sqlite's own retry of a busy statement are held to it.</summary>
    public const int SqliteLockTimeoutSeconds = 10;

    private int sqliteBusyMs = SqliteLockTimeoutSeconds * 1000;

    /// <summary>
    /// The connection string the request path's pool uses: every session starts with <see cref="LockTimeout"/>
    /// (one statement fewer per keyed request than a <c>SET LOCAL</c>), Npgsql prepares the statements a node
    /// runs over and over (the cancel path's dozen) on each physical connection, and a connection going back to
    /// the pool is not reset (<c>No Reset On Close</c>): Rescind keeps no session state (the one session
    /// <c>SET</c>, the migrator's, is undone by itself), and the reset's six statements on every return cost the
    /// server more than a pooled request's own queries (measured: 2.1-2.5k pooled open + SELECT 1 + close per
    /// second with the reset, 4.7-7.5k without, 8 tasks on 2 loaded cores). Any of these given explicitly wins.
    /// <see cref="ConnectionString"/> keeps the caller's string, so FluentMigrator runs without a lock timeout.
    /// </summary>
    private static string Tuned(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            b.MaxAutoPrepare = 64;
        }
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            b.NoResetOnClose = true;
        }
        if (b.Options?.Contains("lock_timeout", StringComparison.Ordinal) != true)
        {
            b.Options = $"{b.Options} -c lock_timeout={LockTimeout}".Trim();
        }
        return b.ToString();
    }

    public DatabaseKind Kind { get; }

    public string ConnectionString { get; }

    /// <summary>Whether the coordinator commits concurrent writes together (<see cref="Coordination.GroupCommit"/>):
    /// on by default for SQLite, whose single writer would otherwise pay one fsync per request; never on PostgreSQL,
    /// where transactions commit in parallel and several nodes may share the database.</summary>
    public bool GroupCommit { get; private set; }

    /// <summary>Turns group commit off (or back on) for this SQLite database; PostgreSQL never uses it.</summary>
    public Database WithGroupCommit(bool on)
    {
        GroupCommit = on && Kind == DatabaseKind.Sqlite;
        return this;
    }

    static Database()
    {
        // Columns are snake_case, row classes PascalCase: customer_id maps to CustomerId without an alias.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>Row lock for a read that precedes a write in the same transaction. SQLite's
    /// <c>BEGIN IMMEDIATE</c> already holds the single writer lock, so it needs none.</summary>
    public string ForUpdate => Kind == DatabaseKind.Postgres ? " FOR UPDATE" : "";

    /// <summary><c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL, for work queues shared by several nodes.</summary>
    public string ForUpdateSkipLocked => Kind == DatabaseKind.Postgres ? " FOR UPDATE SKIP LOCKED" : "";

    /// <summary><see cref="ForUpdate"/> of one table of a join (by its alias).</summary>
    public string ForUpdateOf(string alias) => Kind == DatabaseKind.Postgres ? " FOR UPDATE OF " + alias : "";

    /// <summary><c>column</c> is one of the array parameter <c>@parameter</c>.</summary>
    public string AnyOf(string column, string parameter) => Kind.AnyOf(column, parameter);

    /// <summary>The text at <paramref name="path"/> (object keys, written by the server, never user input) of the
    /// JSON document held as text in <paramref name="column"/>; SQL NULL when absent or JSON null.</summary>
    public string JsonText(string column, params string[] path) => Kind == DatabaseKind.Postgres
        ? $"({column}::jsonb #>> '{{{string.Join(',', path)}}}')"
        : $"json_extract({column}, '$.{string.Join('.', path)}')";

    /// <summary>
    /// Accepts a PostgreSQL connection string (<c>Host=…</c>) or URI (<c>postgres://…</c>), a SQLite connection
    /// string (<c>Data Source=…</c>) or a path to a SQLite file.
    /// </summary>
    public static Database Open(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (spec.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || spec.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new Database(DatabaseKind.Postgres, FromUri(new Uri(spec)));
        }
        if (spec.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            return new Database(DatabaseKind.Postgres, spec);
        }
        var sqlite = spec.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(spec)
            : new SqliteConnectionStringBuilder { DataSource = spec };
        sqlite.Pooling = true;
        if (!spec.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            sqlite.DefaultTimeout = SqliteLockTimeoutSeconds;
        }
        return new Database(DatabaseKind.Sqlite, sqlite.ToString()) { GroupCommit = true, sqliteBusyMs = sqlite.DefaultTimeout * 1000 };
    }

    public static Database ForSqliteFile(string path) => Open(Path.GetFullPath(path));

    private static string FromUri(Uri uri)
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/'),
        };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1)
            {
                b.Password = Uri.UnescapeDataString(parts[1]);
            }
        }
        return b.ToString();
    }

    public async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        if (postgres is not null)
        {
            return await postgres.OpenConnectionAsync(ct);
        }
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        // The settings belong to the physical connection (the sqlite3 handle), which the pool keeps across opens:
        // set them once per handle. Parsing and running them on every open cost about 20-30 µs, more than
        // the pooled open itself.
        if (!Configured.TryGetValue(connection.Handle!, out _))
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = SqlitePragmas;
            await pragma.ExecuteNonQueryAsync(ct);
            Configured.AddOrUpdate(connection.Handle!, Marker);
        }
        return connection;
    }

    // WAL lets readers run beside the single writer; FULL keeps every acknowledged commit durable.
    private string SqlitePragmas => $"PRAGMA busy_timeout={sqliteBusyMs}; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";

    /// <summary>SQLite handles whose session settings are already applied (weak: a handle the pool closes goes).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();

    private static readonly object Marker = new();

    /// <summary>A connection opened synchronously, for the few framework seams that have no async form (the Data
    /// Protection key ring's <c>IXmlRepository</c>, read at start-up and on key-ring refreshes).</summary>
    public DbConnection Open()
    {
        if (postgres is not null)
        {
            return postgres.OpenConnection();
        }
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        if (!Configured.TryGetValue(connection.Handle!, out _))
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = SqlitePragmas;
            pragma.ExecuteNonQuery();
            Configured.AddOrUpdate(connection.Handle!, Marker);
        }
        return connection;
    }

    /// <summary>
    /// A write transaction. On SQLite it is <c>BEGIN IMMEDIATE</c> (the writer lock is taken up front, so a
    /// read-then-write inside it cannot interleave with another writer); on PostgreSQL it is READ COMMITTED and
    /// callers lock the rows they change with <see cref="ForUpdate"/>, parent first.
    /// </summary>
    public async Task<(DbConnection Connection, DbTransaction Transaction)> BeginWriteAsync(CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        try
        {
            DbTransaction tx = connection is SqliteConnection sqlite
                ? sqlite.BeginTransaction(deferred: false)
                : await connection.BeginTransactionAsync(ct);
            return (connection, tx);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>True for failures that mean "someone else got there first; run the whole transaction again".</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected,
        // SQLITE_LOCKED, and SQLITE_BUSY_SNAPSHOT (a read transaction that may not become a write one). A plain
        // SQLITE_BUSY comes only after the busy handler waited the whole lock timeout: see IsUnavailable.
        SqliteException sq => sq.SqliteErrorCode is 6 || sq.SqliteExtendedErrorCode is 517,
        ConcurrencyConflictException => true,
        _ => false,
    };

    /// <summary>True when the database cannot be reached at all, or a row stayed locked past the pool's
    /// <see cref="LockTimeout"/> (a stuck writer elsewhere): answered as 503 with Retry-After, never as a bug.</summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException or IOException } => true,
        NpgsqlException n when n.Message.Contains("connection", StringComparison.OrdinalIgnoreCase) && n is not PostgresException => true,
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.LockNotAvailable,
        // IOERR, FULL, CANTOPEN; BUSY once the writer's lock stayed held past SqliteLockTimeoutSeconds
        SqliteException sq => sq.SqliteErrorCode is 10 or 13 or 14 || (sq.SqliteErrorCode is 5 && sq.SqliteExtendedErrorCode is not 517),
        _ => false,
    };

    /// <summary>A value the database refused to store as text (PostgreSQL: a NUL character, or one the encoding lacks):
    /// the caller's input, not an outage and not a bug.</summary>
    public static bool IsUnstorableText(Exception e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter };

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
        else
        {
            SqliteConnection.ClearAllPools();
        }
    }
}

/// <summary>A conditional update found the row changed since it was read: the transaction is retried.</summary>
public sealed class ConcurrencyConflictException(string message) : Exception(message);
