using Dapper;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;

namespace Rescind.Server.Circle;

/// <summary>The chains' clock: mines every block that is due, each in its own transaction (at most 100 per chain
/// per run, so a long pause catches up over a few runs [ours]).</summary>
public sealed class CircleChainJob(Database db, Coordinator coordinator, TimeProvider clock) : IJob
{
    public string Name => "circle-chains";

    /// <returns>The blocks mined (not the chains).</returns>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var mined = 0;
        await DueRows.RunEachAsync<DueChain>(db, clock,
            "SELECT account_id, blockchain FROM circle_chains WHERE next_block_at <= @now ORDER BY next_block_at LIMIT @limit", 1000,
            async c =>
            {
                var before = mined;
                for (var i = 0; i < 100; i++)
                {
                    var ctx = new OperationContext(c.AccountId, CircleStore.Api, Actor.System, null);
                    // Null when the chain's next block is not due yet (another run mined it since the scan).
                    var outcome = await coordinator.RunAsync<Outcome<long>?>(ctx, async (uow, _) =>
                    {
                        var next = await uow.QuerySingleOrDefaultAsync<long>(
                            "SELECT next_block_at FROM circle_chains WHERE account_id = @AccountId AND blockchain = @Blockchain", c);
                        return next > uow.NowMs ? null : await CircleCommands.MineBlockAsync(uow, c.Blockchain);
                    }, ct);
                if (outcome is not { Changed: true })
                {
                    break;
                }
                mined++;
            }
            return mined > before;
        }, ct);
        return mined;
    }

    private sealed class DueChain
    {
        public string AccountId { get; set; } = "";

        public string Blockchain { get; set; } = "";
    }
}
