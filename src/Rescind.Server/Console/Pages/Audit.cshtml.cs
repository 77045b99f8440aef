using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.OperatorConsole.Pages;

/// <summary>The audit log across accounts, newest first, with filters and a CSV export of the same filter.</summary>
public sealed class AuditModel(Database db) : PageModel
{
    public const int PageSize = 100;

    /// <summary>Rows in one CSV export at most; a larger export is narrowed by a time range.</summary>
    public const int CsvLimit = 100_000;

    public string? Account { get; private set; }

    public string? Resource { get; private set; }

    public string? Actor { get; private set; }

    public string? Action { get; private set; }

    public string? Api { get; private set; }

    public string? From { get; private set; }

    public string? To { get; private set; }

    public string? Error { get; private set; }

    public IReadOnlyList<AuditEntry> Rows { get; private set; } = [];

    public long? NextBefore { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Query() is not { } q)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        var rows = await AuditLog.QueryAsync(db, q with { Limit = PageSize + 1 }, ct);
        Rows = rows.Count > PageSize ? [.. rows.Take(PageSize)] : rows;
        NextBefore = rows.Count > PageSize ? Rows[^1].Id : null;
        return Page();
    }

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        if (Query() is not { } q)
        {
            return BadRequest(Error!);
        }
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = "attachment; filename=\"rescind-audit.csv\"";
        await AuditCsv.WriteAsync(Response.Body, AllAsync(q, ct), ct);
        return new EmptyResult();
    }

    private async IAsyncEnumerable<AuditEntry> AllAsync(AuditQuery q, [EnumeratorCancellation] CancellationToken ct)
    {
        var sent = 0;
        while (sent < CsvLimit)
        {
            var page = await AuditLog.QueryAsync(db, q with { Limit = 1000 }, ct);
            foreach (var row in page.Take(CsvLimit - sent))
            {
                sent++;
                yield return row;
            }
            if (page.Count < 1000)
            {
                yield break;
            }
            q = q with { BeforeId = page[^1].Id };
        }
    }

    /// <summary>The filters of the query string; null (with <see cref="Error"/>) when one cannot be read.</summary>
    private AuditQuery? Query()
    {
        string? Opt(string name) => Request.Query[name] is { Count: 1 } v && !string.IsNullOrWhiteSpace(v[0]) ? v[0]!.Trim() : null;
        (Account, Resource, Actor, Action, Api, From, To) = (Opt("account"), Opt("resource"), Opt("actor"), Opt("action"), Opt("api"), Opt("from"), Opt("to"));
        var (actorKind, actorId) = Actor switch
        {
            null => (null, null),
            "credential" or "operator" or "system" => (Actor, null),
            _ when Actor.IndexOf(':', StringComparison.Ordinal) is > 0 and var c => (Actor[..c], Actor[(c + 1)..]),
            _ => ((string?)null, Actor),
        };
        long? before = null;
        if (Opt("before") is { } b)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                Error = "The page cursor is not a row id.";
                return null;
            }
            before = n;
        }
        if (!TryInstant(From, out var from) || !TryInstant(To, out var to))
        {
            Error = "From and to are UTC times such as 2026-03-02T09:00.";
            return null;
        }
        return new AuditQuery(Account, Resource, Api, Action, Limit: PageSize, ActorKind: actorKind, ActorId: actorId,
            FromMs: from, ToMs: to, BeforeId: before, NewestFirst: true);
    }

    /// <summary>A time from a datetime-local field (read as UTC) or an ISO 8601 instant.</summary>
    private static bool TryInstant(string? text, out long? ms)
    {
        ms = null;
        if (text is null)
        {
            return true;
        }
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
        {
            ms = Time.ToUnixMs(new DateTimeOffset(t, TimeSpan.Zero));
            return true;
        }
        return false;
    }

    public string Link(string? handler = null, long? before = null)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parts.Add(name + "=" + Uri.EscapeDataString(value));
            }
        }
        Add("handler", handler);
        Add("account", Account);
        Add("resource", Resource);
        Add("actor", Actor);
        Add("action", Action);
        Add("api", Api);
        Add("from", From);
        Add("to", To);
        Add("before", before?.ToString(CultureInfo.InvariantCulture));
        return "/console/audit" + (parts.Count == 0 ? "" : "?" + string.Join('&', parts));
    }
}
