using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Core;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;

namespace Rescind.Server.OperatorConsole.Pages;

/// <summary>The overview: counts by state per target, cancellations per hour, what needs attention, failing
/// webhook endpoints.</summary>
public sealed class IndexModel(IServiceProvider services, Database db, TimeProvider clock) : PageModel
{
    /// <summary>Pending longer than this needs attention.</summary>
    public static readonly TimeSpan PendingThreshold = TimeSpan.FromDays(7);

    /// <summary>Resources read per pending state when looking for old ones (lists are newest first).</summary>
    private const int ScanLimit = 500;

    public sealed record Attention(CancelTarget Target, ResourceSummary Resource, string Why);

    public IReadOnlyList<(CancelTarget Target, IReadOnlyDictionary<string, long> Counts)> Counts { get; private set; } = [];

    public string Chart { get; private set; } = "";

    public IReadOnlyList<(DateTimeOffset Hour, long Count)> Hours { get; private set; } = [];

    public IReadOnlyList<Attention> NeedsAttention { get; private set; } = [];

    public IReadOnlyList<FailingEndpoint> Failing { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var nowMs = Time.ToUnixMs(now);
        var counts = new List<(CancelTarget, IReadOnlyDictionary<string, long>)>();
        var attention = new List<Attention>();
        foreach (var target in CancelService.Targets)
        {
            counts.Add((target, await target.CountAsync(services, null, ct)));
            foreach (var state in target.States.Where(ConsoleLinks.NeedsAttention))
            {
                attention.AddRange((await target.ListAsync(services, new ResourceQuery(null, state, null, null, 50), ct))
                    .Select(r => new Attention(target, r, state)));
            }
            var old = nowMs - (long)PendingThreshold.TotalMilliseconds;
            foreach (var state in target.PendingStates.Where(s => !ConsoleLinks.NeedsAttention(s)))
            {
                var scanned = await ListModel.PageAsync(services, target, [state], null, null, null, ScanLimit, ct);
                attention.AddRange(scanned.Where(r => r.CreatedAt < old).Take(50)
                    .Select(r => new Attention(target, r, $"{state} for over {PendingThreshold.TotalDays:0} days")));
            }
        }
        Counts = counts;
        NeedsAttention = attention;
        var lastHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        // 24 whole-hour bars ending with the current, partial hour.
        var perHour = await ConsoleStore.CancellationsPerHourAsync(db, Time.ToUnixMs(lastHour.AddHours(1)), 24, ct);
        Hours = [.. perHour.Select((c, i) => (lastHour.AddHours(i - 23), c))];
        Chart = ConsoleChart.HourlyBars(perHour, lastHour, "Cancellations per hour, last 24 hours (UTC)");
        Failing = await ConsoleStore.FailingEndpointsAsync(db, ct);
    }
}
