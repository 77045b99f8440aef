using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Core.Webhooks;
using Rescind.Server.Cancellations;

namespace Rescind.Server.OperatorConsole.Pages;

/// <summary>One resource: its fields, children, vendor JSON, every audit row and event of it and its children.</summary>
public sealed class DetailModel(IServiceProvider services, Database db, WebhookStore webhooks) : PageModel
{
    public CancelTarget Target { get; private set; } = null!;

    public ResourceDetail Detail { get; private set; } = null!;

    public IReadOnlyList<AuditEntry> Audit { get; private set; } = [];

    public IReadOnlyList<EventWithDeliveries> Events { get; private set; } = [];

    public string VendorJson { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string api, string type, string id, CancellationToken ct)
    {
        if (CancelService.Target(api, type) is not { } target || await target.FindAsync(services, null, id, ct) is not { } detail)
        {
            return NotFound();
        }
        (Target, Detail) = (target, detail);
        var ids = detail.Children.Select(c => c.Id).Prepend(detail.Resource.Id).ToList();
        Audit = await ConsoleStore.AuditOfAsync(db, ids, ct);
        Events = await ConsoleStore.EventsOfAsync(db, webhooks, ids, ct);
        VendorJson = Pretty(detail.VendorJson);
        return Page();
    }

    public static string Pretty(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
