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
                Assert.Equal(30000, await c.ExecuteScalarAsync<int>("PRAGMA busy_timeout"));
            }
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
