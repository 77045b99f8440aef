using Microsoft.Data.Sqlite;
using Rescind.Core.Storage;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>A SQLite server whose lock wait is one second (the connection string's <c>Default Timeout</c>), so that a
/// held writer lock is reached quickly.</summary>
public sealed class ShortLockWaitSqliteServer : SqliteServer
{
    public string File { get; private set; } = "";

    protected override async Task<string> CreateDatabaseAsync()
    {
        File = await base.CreateDatabaseAsync();
        return $"Data Source={File};Default Timeout=1";
    }
}

/// <summary>On SQLite a writer lock held by another process (a shell, a backup, a CLI verb) makes a write wait at most
/// the lock timeout and then answer 503 with <c>Retry-After</c> in the API's envelope, nothing applied (before: the
/// busy error counted as a lost race and was retried, 74 s and more).</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteLockWaitTests(ShortLockWaitSqliteServer server) : IClassFixture<ShortLockWaitSqliteServer>
{
    [Fact]
    public void The_lock_wait_defaults_to_ten_seconds_and_an_explicit_timeout_wins()
    {
        Assert.Equal(Database.SqliteLockTimeoutSeconds, new SqliteConnectionStringBuilder(Database.Open("some.db").ConnectionString).DefaultTimeout);
        Assert.Equal(10, Database.SqliteLockTimeoutSeconds);
        Assert.Equal(3, new SqliteConnectionStringBuilder(Database.Open("Data Source=some.db;Default Timeout=3").ConnectionString).DefaultTimeout);
    }

    [Fact]
    public async Task A_write_behind_a_writer_lock_held_elsewhere_is_a_503_with_nothing_applied()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var audit = await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE resource_id = @id", new { id });

        await using (var other = new SqliteConnection($"Data Source={server.File};Pooling=False"))
        {
            await other.OpenAsync();
            await using var hold = other.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE";
            await hold.ExecuteNonQueryAsync();

            var busy = await t.CancelAsync(id);
            busy.IsNumeralError(503, "SERVICE_UNAVAILABLE");
            Assert.Equal("1", busy.Header("Retry-After"));
            // answered as storage that is unavailable, not as a write that lost its race on every retry
            Assert.Contains("temporarily unavailable", busy.Str("message"), StringComparison.Ordinal);

            hold.CommandText = "ROLLBACK";
            await hold.ExecuteNonQueryAsync();
        }

        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(audit, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE resource_id = @id", new { id }));
        Assert.Equal(200, (await t.CancelAsync(id)).Code);
        await Audit.AssertVerifiedAsync(server);
    }
}
