using Microsoft.Extensions.Options;
using Rescind.Server.Hosting;

namespace Rescind.Server.Http;

/// <summary>
/// The base of every absolute URL an API hands out (download links, flow pages, paging links): the configured
/// <c>Rescind:PublicUrl</c> when set, so a client's <c>Host</c> header cannot choose where those URLs point;
/// otherwise the URL the request came in on (the default for a service on one machine or behind a proxy that
/// rewrites <c>Host</c>).
/// </summary>
public static class PublicUrls
{
    public static string Base(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<RescindOptions>>().Value.PublicUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
}
