using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Server.Cancellations;

namespace Rescind.Server.OperatorConsole.Pages;

/// <summary>One cancel target's resources: state filters (its pending states by default), search, paging.</summary>
public sealed class ListModel(IServiceProvider services) : PageModel
{
    public const int PageSize = 25;

    public CancelTarget Target { get; private set; } = null!;

    /// <summary>The states shown; empty means every state.</summary>
    public IReadOnlyList<string> Selected { get; private set; } = [];

    public string? Search { get; private set; }

    public string? Account { get; private set; }

    public IReadOnlyList<ResourceSummary> Items { get; private set; } = [];

    public string? NextAfter { get; private set; }

    public string? After { get; private set; }

    public async Task<IActionResult> OnGetAsync(string api, string type, CancellationToken ct)
    {
        if (CancelService.Target(api, type) is not { } target)
        {
            return NotFound();
        }
        Target = target;
        var q = Request.Query;
        // Without a submitted filter form the list opens on what still waits on someone.
        Selected = q.ContainsKey("filtered")
            ? [.. q["state"].Where(s => s is not null && target.States.Contains(s)).Select(s => s!)]
            : target.PendingStates;
        Search = Blank(q["q"]);
        Account = Blank(q["account"]);
        After = Blank(q["after"]);
        var page = await PageAsync(services, target, Selected, Account, Search, After, PageSize, ct);
        Items = page.Count > PageSize ? [.. page.Take(PageSize)] : page;
        NextAfter = page.Count > PageSize ? Items[^1].Id : null;
        return Page();
    }

    /// <summary>A page over several states: each state's own page, merged newest first (a target filters one state
    /// at a time; its cursor is a resource id, which orders the same in every state).</summary>
    public static async Task<IReadOnlyList<ResourceSummary>> PageAsync(
        IServiceProvider services, CancelTarget target, IReadOnlyList<string> states, string? account, string? search, string? after, int limit, CancellationToken ct)
    {
        var merged = new List<ResourceSummary>();
        foreach (var state in states.Count == 0 ? [null] : states.Cast<string?>())
        {
            merged.AddRange(await target.ListAsync(services, new ResourceQuery(account, state, search, after, limit + 1), ct));
        }
        return [.. merged.DistinctBy(r => r.Id).OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).Take(limit + 1)];
    }

    public string NextLink()
    {
        var parts = new List<string> { "filtered=1" };
        parts.AddRange(Selected.Select(s => "state=" + Uri.EscapeDataString(s)));
        if (Search is not null)
        {
            parts.Add("q=" + Uri.EscapeDataString(Search));
        }
        if (Account is not null)
        {
            parts.Add("account=" + Uri.EscapeDataString(Account));
        }
        parts.Add("after=" + Uri.EscapeDataString(NextAfter!));
        return ConsoleLinks.List(Target) + "?" + string.Join('&', parts);
    }

    private static string? Blank(Microsoft.Extensions.Primitives.StringValues v) => v.Count == 1 && !string.IsNullOrWhiteSpace(v[0]) ? v[0]!.Trim() : null;
}
