using Dapper;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>
/// A write's time is read once its row locks are held, not when its transaction began. Two cancels wait on rows
/// another transaction holds while the clock passes one request's expiry: once the holder lets go, the cancel of
/// the expired request is refused (409 REQUEST_INVALID, its expiry recorded), and the other cancel is stamped no
/// earlier than the release, as a writer that waited must be. Before, both decided with the time of their begin:
/// the expired request was cancelled and the audit log ran backwards against the writer it waited for.
/// PostgreSQL only: SQLite's single writer is taken before the transaction begins.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class NumeralLockTimeTests_Postgres(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Cancels_that_waited_on_a_lock_decide_and_stamp_with_the_time_after_the_wait()
    {
        var t = await Tenant.CreateAsync(server);
        var expiring = await t.PendingRequestAsync(server.Clock.GetUtcNow().AddSeconds(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        var other = await t.PendingRequestAsync();

        await using var connection = await server.Db.OpenAsync(CancellationToken.None);
        long releasedAt;
        Task<Answer> cancelExpiring, cancelOther;
        await using (var holder = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("SELECT id FROM numeral_requests WHERE id = ANY(@ids) FOR UPDATE", new { ids = new[] { expiring, other } }, holder);
            var holderPid = await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()", transaction: holder);
            cancelExpiring = Task.Run(() => t.CancelAsync(expiring));
            cancelOther = Task.Run(() => t.CancelAsync(other));
            await UntilBlockedAsync(holderPid, 2);

            server.Clock.Advance(TimeSpan.FromSeconds(2)); // past the first request's expiry, while both wait
            releasedAt = server.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            await holder.CommitAsync();
        }

        (await cancelExpiring).IsNumeralError(409, "REQUEST_INVALID");
        var canceled = await cancelOther;
        Assert.Equal(("canceled", 200), (canceled.Str("status"), canceled.Code));
        Assert.Equal("invalid", (await t.GetAsync(expiring)).Str("status"));
        Assert.Equal(0, await Audit.ActionCountAsync(server, expiring, "cancel"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, expiring, "expire"));
        var stamped = await connection.ExecuteScalarAsync<long>("SELECT at FROM audit_log WHERE resource_id = @other AND action = 'cancel'", new { other });
        Assert.True(stamped >= releasedAt, $"the cancel that waited is stamped {releasedAt - stamped} ms before the lock it waited for was released");
        await Audit.AssertVerifiedAsync(server);
    }

    /// <summary>Until <paramref name="count"/> sessions wait on the holder's locks.</summary>
    private async Task UntilBlockedAsync(int holderPid, int count)
    {
        await using var watcher = await server.Db.OpenAsync(CancellationToken.None);
        for (var i = 0; i < 200; i++)
        {
            var waiting = await watcher.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE @holderPid = ANY(pg_blocking_pids(pid))", new { holderPid });
            if (waiting >= count)
            {
                return;
            }
            await Task.Delay(25);
        }
        Assert.Fail($"the cancels never waited on the held rows ({count} expected)");
    }
}
