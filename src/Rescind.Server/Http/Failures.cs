using Rescind.Core.Storage;

namespace Rescind.Server.Http;

/// <summary>
/// The last line of defence, in each API's own envelope: an unreachable database, or a write that lost its race on
/// every retry, is a 503 the caller may retry;
/// any other exception is a bug, logged with its request id and answered as a 500 without internals. Unknown
/// routes and wrong methods are answered in the envelope of the API the path belongs to.
/// </summary>
public static class Failures
{
    public static IApplicationBuilder UseApiFailures(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
        {
            var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Rescind.Http");
            http.Response.Clear();
            if (e is BadHttpRequestException bad)
            {
                var failure = bad.StatusCode == 413 ? SharedFailure.PayloadTooLarge : SharedFailure.MalformedJson;
                await http.WriteFailureAsync(failure, bad.StatusCode, bad.StatusCode == 413 ? "The request body is too large." : "The request could not be read.");
                return;
            }
            if (Database.IsUnavailable(e) || e is TimeoutException)
            {
                log.LogWarning("Storage unavailable: {Message}", e.Message);
                http.Response.Headers.RetryAfter = "1";
                await http.WriteFailureAsync(SharedFailure.Unavailable, 503, "The service is temporarily unavailable; retry shortly.");
                return;
            }
            if (Database.IsTransient(e))
            {
                // The coordinator retried the write and lost every race (a hot row under heavy contention): nothing
                // was applied, so the caller may send the same request again.
                log.LogWarning("Write lost its race on every attempt on {Method} {Path}: {Message}", http.Request.Method, http.Request.Path, e.Message);
                http.Response.Headers.RetryAfter = "1";
                await http.WriteFailureAsync(SharedFailure.Unavailable, 503, "The resource is busy with other changes; retry shortly.");
                return;
            }
            if (Database.IsUnstorableText(e))
            {
                // The guards (TextGuard, JsonBody) refuse NUL where requests arrive; this is the net for any text that
                // reaches the database some other way (a header, a form field). The transaction rolled back.
                log.LogWarning("Unstorable text refused on {Method} {Path}: {Message}", http.Request.Method, http.Request.Path, e.Message);
                await http.WriteFailureAsync(SharedFailure.InvalidText, 400, "The request contains a character that cannot be stored (NUL).");
                return;
            }
            log.LogError(e, "Unhandled failure on {Method} {Path}", http.Request.Method, http.Request.Path);
            await http.WriteFailureAsync(SharedFailure.Internal, 500, "An internal error occurred; it has been logged with this request's id.");
        }
    });

    /// <summary>Until the schema is up to date (a node started while its database could not be reached), every
    /// request but <c>/healthz</c> is a 503 with Retry-After in its API's envelope.</summary>
    public static IApplicationBuilder UseSchemaGate(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var gate = http.RequestServices.GetRequiredService<SchemaGate>();
        if (gate.IsOpen || http.Request.Path.StartsWithSegments("/healthz", StringComparison.OrdinalIgnoreCase))
        {
            await next(http);
            return;
        }
        http.Response.Headers.RetryAfter = "1";
        await http.WriteFailureAsync(SharedFailure.Unavailable, 503, "The service is starting: its database cannot be reached yet; retry shortly.");
    });

    /// <summary>After routing found nothing: 404 or 405 in the owning API's envelope.</summary>
    public static IApplicationBuilder UseApiNotFound(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        await next(http);
        if (http.Response.HasStarted || http.GetEndpoint() is not null && http.Response.StatusCode != 405)
        {
            return;
        }
        if (http.Response.StatusCode is 404 or 405 && http.Response.ContentLength is null or 0)
        {
            var is405 = http.Response.StatusCode == 405;
            await http.WriteFailureAsync(is405 ? SharedFailure.MethodNotAllowed : SharedFailure.NotFound, http.Response.StatusCode,
                is405 ? $"{http.Request.Method} is not allowed on this path." : "No such route.");
        }
    });
}
