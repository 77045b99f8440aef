using Dapper;
using Rescind.Core.Storage;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>
/// The PostgreSQL pool's sessions carry a lock timeout (<see cref="Database.LockTimeout"/>): a cancel that waits that
/// long for a row another transaction holds (a stuck writer elsewhere) is answered 503 with Retry-After in the API's
/// envelope, never 500, and changes nothing. SQLite has no row locks; its single writer queues instead.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class NumeralLockTimeoutTests_Postgres(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_cancel_blocked_past_the_lock_timeout_by_another_transaction_is_503_and_changes_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        await using var connection = await server.Db.OpenAsync(CancellationToken.None);
        await using (var holder = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("SELECT id FROM numeral_requests WHERE id = @id FOR UPDATE", new { id }, holder);

            var blocked = await t.CancelAsync(id);

            blocked.IsNumeralError(503, "SERVICE_UNAVAILABLE");
            Assert.Equal("1", blocked.Header("Retry-After"));
            await holder.RollbackAsync();
        }

        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.DoesNotContain(await Audit.RowsAsync(server, id), r => r.GetProperty("action").GetString() == "cancel");
        var again = await t.CancelAsync(id);
        Assert.Equal(("canceled", 200), (again.Str("status"), again.Code));
    }
}
