using System.Globalization;
using Dapper;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Http;

namespace Rescind.Server.Circle;

/// <summary>
/// Circle's list paging [doc]: <c>pageSize</c> (default 10; above 50, 50), <c>pageAfter</c> / <c>pageBefore</c> an item
/// id (not both), <c>order</c> DESC (default) or ASC by creation, and a <c>Link</c> header with rel="self" and "first"
/// on every page, "next" / "prev" where there is one.
/// </summary>
public static class CirclePaging
{
    public delegate (string Sql, object Value)? Filter(string name, string value);

    public static async Task<IResult> ListAsync<T>(HttpContext http, Database db, string table, string columns, string accountId, string mode,
        string[] filters, Filter filter, string listName, Func<T, object> shape, CancellationToken ct)
    {
        var q = http.Request.Query;
        var where = new List<string> { "account_id = @accountId", "mode = @mode" };
        var args = new DynamicParameters(new { accountId, mode });
        if (StrictQuery.Stray(q, [.. filters, "pageSize", "pageAfter", "pageBefore", "order"]) is { } stray)
        {
            return Bad(stray);
        }
        if (PageSize(Param("pageSize")) is not { } size)
        {
            return Bad("pageSize must be a positive integer.");
        }
        var order = Param("order") ?? "DESC";
        if (order is not ("ASC" or "DESC"))
        {
            return Bad("order must be ASC or DESC.");
        }
        foreach (var (name, op) in new[] { ("from", ">="), ("to", "<=") })
        {
            if (Param(name) is not { } text)
            {
                continue;
            }
            if (!Time.TryParseUtc(text, out var t))
            {
                return Bad($"{name} must be an ISO-8601 UTC date-time such as 2026-01-31T00:00:00Z.");
            }
            where.Add($"created_at {op} @{name}");
            args.Add(name, Time.ToUnixMs(t));
        }
        foreach (var name in filters.Where(n => n is not ("from" or "to")))
        {
            if (Param(name) is not { } value)
            {
                continue;
            }
            // An unknown blockchain is Circle's own code wherever one is named [doc code].
            if (name == "blockchain" && CircleRules.FindChain(value) is null)
            {
                return CircleEnvelope.Coded(400, CircleEnvelope.BlockchainUnsupported).ToResult();
            }
            if (filter(name, value) is not { } clause)
            {
                return Bad($"{name} '{(value.Length > 40 ? value[..40] : value)}' is not a valid value.");
            }
            where.Add(clause.Sql);
            args.Add(name, clause.Value);
        }
        var after = Param("pageAfter");
        var before = Param("pageBefore");
        if (after is not null && before is not null)
        {
            return Bad("pageBefore and pageAfter cannot be used together.");
        }
        var cursorId = after ?? before;
        if (cursorId is not null && !Guid.TryParseExact(cursorId, "D", out _))
        {
            return CircleEnvelope.Coded(400, CircleEnvelope.CursorNotUuid).ToResult();
        }
        await using var connection = await db.OpenAsync(ct);
        if (cursorId is not null)
        {
            var at = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
                $"SELECT created_at FROM {table} WHERE id = @cursorId AND account_id = @accountId AND mode = @mode", new { cursorId, accountId, mode }, cancellationToken: ct));
            if (at is null)
            {
                return CircleEnvelope.Coded(400, CircleEnvelope.CursorNotFound).ToResult();
            }
            // "After" follows the list's order; "before" walks back against it.
            var forward = after is not null;
            var greater = (order == "ASC") == forward;
            where.Add(greater ? "(created_at > @cAt OR (created_at = @cAt AND id > @cId))" : "(created_at < @cAt OR (created_at = @cAt AND id < @cId))");
            args.Add("cAt", at);
            args.Add("cId", cursorId);
        }
        var walkBack = before is not null;
        var dir = (order == "DESC") != walkBack ? "DESC" : "ASC";
        args.Add("take", size + 1);
        var rows = (await connection.QueryAsync<T>(new CommandDefinition(
            $"SELECT {columns} FROM {table} WHERE {string.Join(" AND ", where)} ORDER BY created_at {dir}, id {dir} LIMIT @take", args, cancellationToken: ct))).ToList();
        var more = rows.Count > size;
        var page = rows.Take(size).ToList();
        if (walkBack)
        {
            page.Reverse();
        }
        var ids = page.Select(p => (string)typeof(T).GetProperty("Id")!.GetValue(p)!).ToList();
        Link(http, size, after, before, ids, walkBack ? page.Count > 0 : more, walkBack ? more : after is not null && page.Count > 0);
        return new StoredResponse(200, CircleJson.Data(new Dictionary<string, object> { [listName] = page.Select(shape).ToList() })).ToResult();

        string? Param(string name) => StrictQuery.Value(q, name);
    }

    /// <summary>
    /// One page of a short list held in memory (a wallet's balances), in the list's own order: the same
    /// <c>pageSize</c>, <c>pageAfter</c> / <c>pageBefore</c> (an item's id, 156014 when not a UUID, 156012 when no item
    /// of the list) and <c>Link</c> as the stored lists.
    /// </summary>
    public static (IReadOnlyList<T>? Page, StoredResponse? Error) InMemory<T>(HttpContext http, IReadOnlyList<T> items, Func<T, string> id)
    {
        var q = http.Request.Query;
        if (PageSize(StrictQuery.Value(q, "pageSize")) is not { } size)
        {
            return (null, CircleEnvelope.Bad("pageSize must be a positive integer."));
        }
        var after = StrictQuery.Value(q, "pageAfter");
        var before = StrictQuery.Value(q, "pageBefore");
        if (after is not null && before is not null)
        {
            return (null, CircleEnvelope.Bad("pageBefore and pageAfter cannot be used together."));
        }
        var cursor = after ?? before;
        var at = cursor is null ? -1 : items.Select(id).ToList().IndexOf(cursor);
        if (cursor is not null && at < 0)
        {
            return (null, CircleEnvelope.Coded(400, Guid.TryParseExact(cursor, "D", out _) ? CircleEnvelope.CursorNotFound : CircleEnvelope.CursorNotUuid));
        }
        var start = before is not null ? Math.Max(0, at - size) : at + 1;
        var end = before is not null ? at : Math.Min(items.Count, start + size);
        var page = items.Skip(start).Take(end - start).ToList();
        Link(http, size, after, before, [.. page.Select(id)], end < items.Count && page.Count > 0, start > 0 && page.Count > 0);
        return (page, null);
    }

    /// <summary>Above the collection's limit the limit is used [doc: "the collection limit will be used"]; null for a
    /// page size that is not a positive integer.</summary>
    private static int? PageSize(string? asked)
    {
        if (asked is null)
        {
            return 10;
        }
        var digits = asked.TrimStart('0');
        return !asked.All(char.IsAsciiDigit) || digits.Length == 0 ? null
            : digits.Length > 2 ? MaxPageSize : Math.Min(int.Parse(digits, CultureInfo.InvariantCulture), MaxPageSize);
    }

    /// <summary>Every page names itself and the first page, and the next and previous pages where there are
    /// [doc: self, first, next, prev]; each URL keeps the list's filters and names the page size served.</summary>
    private static void Link(HttpContext http, int size, string? after, string? before, IReadOnlyList<string> ids, bool hasNext, bool hasPrev)
    {
        var q = http.Request.Query;
        var links = new List<string>
        {
            $"<{Url(after is not null ? "pageAfter" : before is not null ? "pageBefore" : null, after ?? before)}>; rel=\"self\"",
            $"<{Url(null, null)}>; rel=\"first\"",
        };
        if (hasNext)
        {
            links.Add($"<{Url("pageAfter", ids[^1])}>; rel=\"next\"");
        }
        if (hasPrev)
        {
            links.Add($"<{Url("pageBefore", ids[0])}>; rel=\"prev\"");
        }
        http.Response.Headers.Link = string.Join(", ", links);

        string Url(string? cursorName, string? id)
        {
            var kept = q.Where(kv => kv.Key is not ("pageAfter" or "pageBefore" or "pageSize"))
                .Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value.ToString()))
                .Append($"pageSize={size}")
                .Concat(cursorName is null ? [] : [$"{cursorName}={Uri.EscapeDataString(id!)}"]);
            return $"{PublicUrls.Base(http)}{http.Request.Path}?{string.Join("&", kept)}";
        }
    }

    /// <summary>The most items a page holds [doc: maximum 50].</summary>
    public const int MaxPageSize = 50;

    private static IResult Bad(string message) => CircleEnvelope.Bad(message).ToResult();
}
