using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;
using Rescind.Server.Http;

namespace Rescind.Server.OperatorConsole.Pages;

/// <summary>
/// The cancel dialog. GET runs the vendor's cancel as a dry run (rolled back) and shows exactly what it would do;
/// POST runs it for real. Both go through <see cref="CancelService"/> with the operator as the actor, so the
/// console refuses what the API refuses and writes what the API writes.
/// </summary>
public sealed class CancelModel(CancelService cancels, IServiceProvider services, Database db) : PageModel
{
    private const string PreviewReason = "(preview of the operator console's cancel dialog)";

    public CancelTarget Target { get; private set; } = null!;

    public ResourceSummary Resource { get; private set; } = null!;

    /// <summary>The dry run's outcome (GET) or the real one (POST).</summary>
    public CancelOutcome Outcome { get; private set; } = null!;

    public bool Done { get; private set; }

    [BindProperty]
    public string? Reason { get; set; }

    public string? ReasonError { get; private set; }

    /// <summary>The audit rows the real cancel wrote (this request's).</summary>
    public IReadOnlyList<AuditEntry> Written { get; private set; } = [];

    public Task<IActionResult> OnGetAsync(string api, string type, string id, CancellationToken ct) => RunAsync(api, type, id, dryRun: true, ct);

    public Task<IActionResult> OnPostAsync(string api, string type, string id, CancellationToken ct) => RunAsync(api, type, id, dryRun: false, ct);

    private async Task<IActionResult> RunAsync(string api, string type, string id, bool dryRun, CancellationToken ct)
    {
        if (CancelService.Target(api, type) is not { } target || await target.FindAsync(services, null, id, ct) is not { } detail)
        {
            return NotFound();
        }
        (Target, Resource) = (target, detail.Resource);
        Reason = string.IsNullOrWhiteSpace(Reason) ? null : Reason.Trim();
        if (!dryRun && target.ReasonRequired && Reason is null)
        {
            // The confirmation is shown again with the same preview; nothing was written.
            ReasonError = "A reason is required to cancel this.";
            dryRun = true;
        }
        var actor = Actor.Operator(ConsoleModule.CredentialId(User));
        var requestId = RequestIds.Of(HttpContext);
        // A preview of a cancel that needs a reason runs with a stand-in one (rolled back, never recorded), so it
        // shows what the cancel does rather than the missing reason's refusal.
        var reason = dryRun && target.ReasonRequired && Reason is null ? PreviewReason : Reason;
        Outcome = await cancels.CancelAsync(target, detail.Resource, actor, requestId, reason, dryRun, ct);
        Done = !dryRun;
        if (Done && Outcome is not CancelOutcome.Refused and not CancelOutcome.NotFound)
        {
            var ids = Changes.Select(c => c.ResourceId).Prepend(id);
            Written = [.. (await ConsoleStore.AuditOfAsync(db, ids, ct)).Where(a => a.RequestId == requestId)];
        }
        if (Outcome is CancelOutcome.Refused refused && Done)
        {
            Response.StatusCode = refused.Status is >= 400 and < 500 ? refused.Status : StatusCodes.Status409Conflict;
        }
        return Page();
    }

    public IReadOnlyList<Change> Changes => Outcome switch
    {
        CancelOutcome.Canceled c => c.Effects,
        CancelOutcome.PendingCancellation p => p.Effects,
        _ => [],
    };

    public IReadOnlyList<string> Notes => Outcome switch
    {
        CancelOutcome.Canceled c => c.Notes,
        CancelOutcome.PendingCancellation p => p.Notes,
        _ => [],
    };

    /// <summary>Whether confirming would change anything: a refusal, an already canceled resource and a missing
    /// one offer no confirm button.</summary>
    public bool Confirmable => Outcome is CancelOutcome.Canceled or CancelOutcome.PendingCancellation;

    public string? NewState => Outcome switch
    {
        CancelOutcome.Canceled c => c.After.Resource.State,
        CancelOutcome.PendingCancellation p => p.After.Resource.State,
        CancelOutcome.AlreadyCanceled a => a.After.Resource.State,
        _ => null,
    };
}
