using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;

namespace Rescind.Server.DigiCert;

/// <summary>Expires issued orders (and orders with a pending reissue) at the end of their validity, each in its
/// own transaction.</summary>
public sealed class DigiCertExpiryJob(Database db, Coordinator coordinator, TimeProvider clock) : IJob
{
    public string Name => "digicert-expiry";

    // The work re-reads under lock: an order revoked since the scan is left alone.
    public Task<int> RunOnceAsync(CancellationToken ct) => DueRows.RunEachAsync<(long Id, string AccountId)>(db, clock,
        "SELECT id, account_id FROM digicert_orders WHERE status IN ('issued', 'reissue_pending') AND valid_till <= @now ORDER BY valid_till LIMIT @limit", 200,
        async r =>
        {
            var ctx = new OperationContext(r.AccountId, DigiCertStore.Api, Actor.System, null);
            return (await coordinator.RunAsync(ctx, (uow, _) => DigiCertCommands.ActAsync(uow, r.Id, DigiCertRules.Expire), ct)).Changed;
        }, ct, page: true);
}
