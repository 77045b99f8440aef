using Dapper;
using Rescind.Core.Storage;

namespace Rescind.Core.Jobs;

/// <summary>
/// The shape every clock-driven job shares: read what is due with a plain query (no locks), then hand each row to
/// its own transaction, which re-reads it under lock and decides again (a row canceled or moved on since the scan
/// is left alone). With <paramref name="page"/> the scan repeats while it returns a full page.
/// </summary>
public static class DueRows
{
    /// <param name="sql">The due rows' query; it gets <c>@now</c> (unix ms, the clock's now at each scan) and
    /// <c>@limit</c>.</param>
    /// <param name="each">Runs one row; true when it handled it (the job's count).</param>
    public static async Task<int> RunEachAsync<TRow>(
        Database db, TimeProvider clock, string sql, int limit, Func<TRow, Task<bool>> each, CancellationToken ct, bool page = false)
    {
        var handled = 0;
        while (true)
        {
            IReadOnlyList<TRow> due;
            await using (var connection = await db.OpenAsync(ct))
            {
                due = (await connection.QueryAsync<TRow>(new CommandDefinition(sql, new { now = Time.ToUnixMs(clock.GetUtcNow()), limit }, cancellationToken: ct))).ToList();
            }
            foreach (var row in due)
            {
                handled += await each(row) ? 1 : 0;
            }
            if (!page || due.Count < limit)
            {
                return handled;
            }
        }
    }
}

/// <summary>The usual due row: a resource and its account.</summary>
public sealed class DueRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";
}
