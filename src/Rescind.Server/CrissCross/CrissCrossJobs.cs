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

    // The work re-reads under lock: a transaction that ended since the scan is refused and left alone.
    public Task<int> RunOnceAsync(CancellationToken ct) => DueRows.RunEachAsync<DueRow>(db, clock,
        """
        SELECT id, account_id FROM crisscross_transactions
        WHERE status IN ('PENDING', 'PROCESSING') AND timeout_at <= @now ORDER BY timeout_at LIMIT @limit
        """, 200,
        async r =>
        {
            var ctx = new OperationContext(r.AccountId, CrissCrossStore.Api, Actor.System, null);
            return (await coordinator.RunAsync(ctx, (uow, _) => CrissCrossCommands.ProviderEventAsync(uow, r.Id, CrissCrossRules.Expire, options.Value), ct)).Changed;
        }, ct, page: true);
}

/// <summary>Open sessions past <c>expiresAt</c> become EXPIRED; expired bearer tokens are purged.</summary>
public sealed class CrissCrossSessionExpiryJob(Database db, Coordinator coordinator, TimeProvider clock, IOptions<CrissCrossOptions> options) : IJob
{
    public string Name => "crisscross-session-expiry";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using (var connection = await db.OpenAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM crisscross_tokens WHERE expires_at <= @now",
                new { now = Time.ToUnixMs(clock.GetUtcNow()) }, cancellationToken: ct));
        }
        return await DueRows.RunEachAsync<DueRow>(db, clock,
            "SELECT id, account_id FROM crisscross_sessions WHERE status = 'OPEN' AND expires_at <= @now ORDER BY expires_at LIMIT @limit", 200,
            async r =>
            {
                var ctx = new OperationContext(r.AccountId, CrissCrossStore.Api, Actor.System, null);
                return (await coordinator.RunAsync(ctx, (uow, _) => CrissCrossCommands.ExpireSessionAsync(uow, r.Id, options.Value), ct)).Changed;
            }, ct, page: true);
    }
}

/// <summary>The providers' answer to refunds, on the clock: a refund pending for
/// <see cref="CrissCrossOptions.RefundSettlementDelay"/> succeeds [ours: the simulated providers always pay a refund
/// back; the operator's simulation makes one fail].</summary>
public sealed class CrissCrossRefundSettlementJob(Database db, Coordinator coordinator, TimeProvider clock, IOptions<CrissCrossOptions> options) : IJob
{
    public string Name => "crisscross-refund-settlement";

    public Task<int> RunOnceAsync(CancellationToken ct) => DueRows.RunEachAsync<DueRow>(db, clock,
        """
        SELECT id, account_id FROM crisscross_refunds
        WHERE status = 'PENDING' AND created_at <= @now - @delay ORDER BY created_at LIMIT @limit
        """.Replace("@delay", ((long)options.Value.RefundSettlementDelay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), 200,
        async r =>
        {
            var ctx = new OperationContext(r.AccountId, CrissCrossStore.Api, Actor.System, null);
            return (await coordinator.RunAsync(ctx, (uow, _) => CrissCrossCommands.SettleRefundAsync(uow, r.Id, succeeded: true), ct)).Changed;
        }, ct, page: true);
}
