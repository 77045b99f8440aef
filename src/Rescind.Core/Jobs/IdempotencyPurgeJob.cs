using Dapper;
using Rescind.Core.Storage;

namespace Rescind.Core.Jobs;

/// <summary>Deletes idempotency records past their API's retention, in bounded batches.</summary>
public sealed class IdempotencyPurgeJob(Database db, TimeProvider clock) : IJob
{
    public string Name => "idempotency-purge";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var now = Time.ToUnixMs(clock.GetUtcNow());
        var total = 0;
        while (true)
        {
            var n = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM idempotency WHERE id IN (SELECT id FROM idempotency WHERE expires_at <= @now LIMIT 1000)", new { now }, cancellationToken: ct));
            total += n;
            if (n < 1000)
            {
                return total;
            }
        }
    }
}
