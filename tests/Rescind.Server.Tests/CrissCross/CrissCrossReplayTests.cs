using System.Data.Common;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Rescind.Core.Coordination;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary>
/// The replay fast path: a key whose answer is committed is answered from a read, without a write transaction,
/// so a writer holding the database (SQLite) or the key's row (PostgreSQL) does not delay it; a key not yet
/// answered still goes through the claim.
/// </summary>
public abstract class CrissCrossReplayTests(RescindServer server) : IAsyncLifetime
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Audit.AssertVerifiedAsync(server);

    /// <summary>A write transaction on another connection that holds what a write path would wait for: SQLite's
    /// single writer lock, PostgreSQL's row lock on the key.</summary>
    private async Task<(DbConnection Connection, DbTransaction Holder)> HoldWriterAsync(string accountId, string key)
    {
        var (connection, holder) = await server.Db.BeginWriteAsync(CancellationToken.None);
        await connection.ExecuteAsync(
            "UPDATE idempotency SET created_at = created_at WHERE account_id = @accountId AND api = 'crisscross' AND key = @key",
            new { accountId, key }, holder);
        return (connection, holder);
    }

    [Fact]
    public async Task A_replay_is_answered_byte_identical_while_another_writer_holds_the_database_and_the_key()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var key = Guid.NewGuid().ToString();
        var first = await m.CancelAsync(id, "replay", key);
        Assert.Equal(("CANCELLED", 200), (first.Str("status"), first.Code));

        var (connection, holder) = await HoldWriterAsync(m.Tenant.AccountId, key);
        await using (connection)
        await using (holder)
        {
            var replay = await m.CancelAsync(id, "replay", key).WaitAsync(Quick);
            var mismatch = await m.CancelAsync(id, "another reason", key).WaitAsync(Quick);

            Assert.Equal(200, replay.Code);
            Assert.Equal(first.Body, replay.Body);
            mismatch.IsCollectError(422, "IDEMPOTENCY_CONFLICT");
            await holder.RollbackAsync();
        }
        Assert.Single(await Audit.RowsAsync(server, id), r => r.GetProperty("action").GetString() == "cancel");
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "session.cancelled"));
    }

    [Fact]
    public async Task A_replay_after_the_key_expired_runs_the_request_again_instead_of_answering_the_stored_response()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var key = Guid.NewGuid().ToString();
        var first = await m.CancelAsync(id, "first", key);
        Assert.Equal(200, first.Code);
        await using (var connection = await server.Db.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync(
                "UPDATE idempotency SET expires_at = 0 WHERE account_id = @AccountId AND key = @key", new { m.Tenant.AccountId, key });
        }

        // A different body under the expired key is a new request, not a conflict: it claims the key again.
        var again = await m.CancelAsync(id, "second", key);

        Assert.Equal(("CANCELLED", 200), (again.Str("status"), again.Code));
        await using (var connection = await server.Db.OpenAsync(CancellationToken.None))
        {
            var where = "FROM idempotency WHERE account_id = @AccountId AND key = @key";
            Assert.Equal(200, await connection.ExecuteScalarAsync<int>("SELECT response_status " + where, new { m.Tenant.AccountId, key }));
            Assert.True(await connection.ExecuteScalarAsync<long>("SELECT expires_at " + where, new { m.Tenant.AccountId, key }) > 0);
        }
    }

    [Fact]
    public async Task A_replay_on_SQLite_does_not_queue_for_the_group_commit_writer()
    {
        if (server.Services.GetRequiredService<Coordinator>().Group is not { } group)
        {
            return; // PostgreSQL has no group commit
        }
        var m = await CrissCrossMerchant.CreateAsync(server);
        var id = await m.SessionAsync();
        var key = Guid.NewGuid().ToString();
        var first = await m.CancelAsync(id, null, key);
        var before = group.Items;

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(first.Body, (await m.CancelAsync(id, null, key)).Body);
        }

        Assert.Equal(before, group.Items);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossReplayTests_Sqlite(SqliteServer server) : CrissCrossReplayTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CrissCrossReplayTests_Postgres(PostgresServer server) : CrissCrossReplayTests(server), IClassFixture<PostgresServer>;
