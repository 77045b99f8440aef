using System.Text.RegularExpressions;

namespace Rescind.Server.Http;

/// <summary>Every response carries <c>X-Request-Id</c>: the caller's, if sent and well-formed, else a new one, made
/// the way the API of the path makes its ids where it says how (Circle: a UUID [doc]), else <c>req_…</c>.</summary>
public static partial class RequestIds
{
    public const string Header = "X-Request-Id";

    [GeneratedRegex("^[A-Za-z0-9._:/+=-]{1,128}$")]
    private static partial Regex WellFormed();

    public static string Of(HttpContext http) => (string)http.Items[Header]!;

    /// <param name="generators">Per path prefix, how an API makes a request id.</param>
    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app, IReadOnlyList<(string Prefix, Func<string> New)> generators) => app.Use(async (http, next) =>
    {
        var given = http.Request.Headers[Header].ToString();
        var id = WellFormed().IsMatch(given) ? given
            : generators.FirstOrDefault(g => http.Request.Path.StartsWithSegments(g.Prefix, StringComparison.OrdinalIgnoreCase)).New?.Invoke()
              ?? "req_" + Guid.CreateVersion7().ToString("N");
        http.Items[Header] = id;
        http.Response.OnStarting(() =>
        {
            http.Response.Headers[Header] = id;
            return Task.CompletedTask;
        });
        using (http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Rescind.Http")
                   .BeginScope(new Dictionary<string, object> { ["RequestId"] = id }))
        {
            await next(http);
        }
    });
}
