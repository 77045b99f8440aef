using Dapper;
using Microsoft.Data.Sqlite;
using Rescind.Core.Storage;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>The SQLite session settings are applied once per physical connection; every open, fresh or pooled,
/// must still carry them.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteSessionTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("rescind-session-").FullName;

    [Fact]
    public async Task Every_connection_fresh_or_pooled_is_durable_with_foreign_keys_and_a_busy_timeout()
    {
        var db = Database.ForSqliteFile(Path.Combine(folder, "rescind.db"));
        for (var i = 0; i < 3; i++)
        {
            // Two at once: the second is a second physical connection; later rounds take them from the pool.
            await using var a = await db.OpenAsync(CancellationToken.None);
            await using var b = await db.OpenAsync(CancellationToken.None);
            foreach (var c in new[] { a, b })
            {
                Assert.Equal(2, await c.ExecuteScalarAsync<int>("PRAGMA synchronous"));
                Assert.Equal(1, await c.ExecuteScalarAsync<int>("PRAGMA foreign_keys"));
                Assert.Equal(Database.SqliteLockTimeoutSeconds * 1000, await c.ExecuteScalarAsync<int>("PRAGMA busy_timeout"));
            }
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}

/// <summary>PostgreSQL's pool is not reset on close, so every pooled session must still have the pool's settings
/// after start-up's migration (which changes its own session's lock timeout and undoes it).</summary>
[Trait("Category", "Postgres")]
public sealed class PostgresSessionTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Every_pooled_session_after_migration_has_the_pools_lock_timeout()
    {
        await Rescind.Server.Hosting.CoreServices.MigrateAsync(server.Services, CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            await using var a = await server.Db.OpenAsync(CancellationToken.None);
            await using var b = await server.Db.OpenAsync(CancellationToken.None);
            Assert.Equal(Database.LockTimeout, await a.ExecuteScalarAsync<string>("SHOW lock_timeout"));
            Assert.Equal(Database.LockTimeout, await b.ExecuteScalarAsync<string>("SHOW lock_timeout"));
        }
    }
}
