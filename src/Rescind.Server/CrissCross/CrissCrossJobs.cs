using Dapper;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;

namespace Rescind.Server.CrissCross;

/// <summary>
/// The provider's clock: a transaction whose prompt timed out (mobile money, 120 s) expires, each in its own
/// transaction together with its session (which may become CANCELLED if it was waiting for this one).
/// </summary>
public sealed class CrissCrossProviderTimeoutJob(Database db, Coordinator coordinator, TimeProvider clock, IOptions<CrissCrossOptions> options) : IJob
{
    public string Name => "crisscross-provider-timeouts";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var handled = 0;
        while (true)
        {
            List<DueRow> due;
            await using (var connection = await db.OpenAsync(ct))
            {
                due = (await connection.QueryAsync<DueRow>(
                    """
                    SELECT id, account_id FROM crisscross_transactions
                    WHERE status IN ('PENDING', 'PROCESSING') AND timeout_at <= @now ORDER BY timeout_at LIMIT 200
                    """,
                    new { now = Time.ToUnixMs(clock.GetUtcNow()) })).ToList();
            }
            foreach (var r in due)
            {
                // The work re-reads under lock: a transaction that ended since the scan is refused and left alone.
                var ctx = new OperationContext(r.AccountId, CrissCrossStore.Api, Actor.System, null);
                var outcome = await coordinator.RunAsync(ctx, (uow, _) => CrissCrossCommands.ProviderEventAsync(uow, r.Id, CrissCrossRules.Expire, options.Value), ct);
                handled += outcome.Changed ? 1 : 0;
            }
            if (due.Count < 200)
            {
                return handled;
            }
        }
    }

    private sealed class DueRow
    {
        public string Id { get; set; } = "";

        public string AccountId { get; set; } = "";
    }
}

/// <summary>Open sessions past <c>expiresAt</c> become EXPIRED; expired bearer tokens are purged.</summary>
public sealed class CrissCrossSessionExpiryJob(Database db, Coordinator coordinator, TimeProvider clock, IOptions<CrissCrossOptions> options) : IJob
{
    public string Name => "crisscross-session-expiry";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var handled = 0;
        while (true)
        {
            List<DueRow> due;
            var now = Time.ToUnixMs(clock.GetUtcNow());
            await using (var connection = await db.OpenAsync(ct))
            {
                await connection.ExecuteAsync("DELETE FROM crisscross_tokens WHERE expires_at <= @now", new { now });
                due = (await connection.QueryAsync<DueRow>(
                    "SELECT id, account_id FROM crisscross_sessions WHERE status = 'OPEN' AND expires_at <= @now ORDER BY expires_at LIMIT 200",
                    new { now })).ToList();
            }
            foreach (var r in due)
            {
                var ctx = new OperationContext(r.AccountId, CrissCrossStore.Api, Actor.System, null);
                var outcome = await coordinator.RunAsync(ctx, (uow, _) => CrissCrossCommands.ExpireSessionAsync(uow, r.Id, options.Value), ct);
                handled += outcome.Changed ? 1 : 0;
            }
            if (due.Count < 200)
            {
                return handled;
            }
        }
    }

    private sealed class DueRow
    {
        public string Id { get; set; } = "";

        public string AccountId { get; set; } = "";
    }
}
