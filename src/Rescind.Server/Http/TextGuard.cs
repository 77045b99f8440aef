namespace Rescind.Server.Http;

/// <summary>
/// Refuses a NUL character in the path or the query string before any API sees it, in the owning API's envelope.
/// PostgreSQL's text type cannot hold NUL and SQLite can; refusing it up front answers the same on both databases
/// (a 400, never a failed write), and request bodies get the same rule where they are read (<see cref="JsonBody"/>).
/// </summary>
public static class TextGuard
{
    public static IApplicationBuilder UseTextGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (NulIn(http.Request) is { } where)
        {
            await http.WriteFailureAsync(SharedFailure.InvalidText, 400, $"{where} must not contain NUL characters (%00).");
            return;
        }
        await next(http);
    });

    /// <summary>Where the request carries a NUL in its path or query string, or null.</summary>
    public static string? NulIn(HttpRequest request)
    {
        if (request.Path.Value?.Contains('\0', StringComparison.Ordinal) == true)
        {
            return "The path";
        }
        if (!request.QueryString.HasValue)
        {
            return null;
        }
        foreach (var (key, values) in request.Query)
        {
            if (key.Contains('\0', StringComparison.Ordinal))
            {
                return "A query parameter name";
            }
            foreach (var value in values)
            {
                if (value?.Contains('\0', StringComparison.Ordinal) == true)
                {
                    return $"The query parameter {key}";
                }
            }
        }
        return null;
    }
}
