using Dapper;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>
/// A key whose first request has not committed answers 409 [doc / IETF draft]. Only PostgreSQL can show it: the
/// second request waits on the key's row lock for a bounded time; SQLite's single writer simply queues it.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class CrissCrossInFlightKeyTests_Postgres(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_cancel_whose_key_is_held_by_an_uncommitted_request_is_409_IDEMPOTENCY_KEY_IN_USE_and_changes_nothing()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var key = Guid.NewGuid().ToString();
        await using var connection = await server.Db.OpenAsync(CancellationToken.None);
        await using (var holder = await connection.BeginTransactionAsync())
        {
            // What the first request's transaction holds until it commits: the claimed key, response not yet stored.
            await connection.ExecuteAsync(
                """
                INSERT INTO idempotency (account_id, api, key, fingerprint, response_status, response_body, created_at, expires_at)
                VALUES (@AccountId, 'crisscross', @key, 'first', 0, '', 0, @far)
                """,
                new { m.Tenant.AccountId, key, far = long.MaxValue / 2 }, holder);

            var second = await m.CancelAsync(id, key: key);

            second.IsCollectError(409, "IDEMPOTENCY_KEY_IN_USE");
            Assert.Equal("OPEN", await m.SessionStatusAsync(id));
            await holder.RollbackAsync(); // the first request died: its claim goes with it
        }

        var retry = await m.CancelAsync(id, key: key);
        Assert.Equal(("CANCELLED", 200), (retry.Str("status"), retry.Code));
    }
}
