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

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var handled = 0;
        while (true)
        {
            var due = await DigiCertStore.DueForExpiryAsync(db, Time.ToUnixMs(clock.GetUtcNow()), 200, ct);
            foreach (var (id, accountId) in due)
            {
                // The work re-reads under lock: an order revoked since the scan is left alone.
                var ctx = new OperationContext(accountId, DigiCertStore.Api, Actor.System, null);
                var outcome = await coordinator.RunAsync(ctx, (uow, _) => DigiCertCommands.ActAsync(uow, id, DigiCertRules.Expire), ct);
                handled += outcome.Changed ? 1 : 0;
            }
            if (due.Count < 200)
            {
                return handled;
            }
        }
    }
}
