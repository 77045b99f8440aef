using System.Threading.RateLimiting;
using Rescind.Core;

namespace Rescind.Server.Http;

public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second for one credential (0 turns limiting off).</summary>
    public int PermitsPerSecond { get; set; } = 500;

    /// <summary>How far a credential may burst above the sustained rate.</summary>
    public int Burst { get; set; } = 1000;
}

/// <summary>Per-credential token buckets from ASP.NET Core's rate limiter, answered in each API's envelope.</summary>
public static class RateLimits
{
    private static readonly string[] CredentialHeaders = ["Authorization", "X-DC-DEVKEY"];

    public static IServiceCollection AddRescindRateLimits(this IServiceCollection services, RateLimitOptions options) =>
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (options.PermitsPerSecond <= 0 || http.Request.Path.StartsWithSegments("/healthz"))
                {
                    return RateLimitPartition.GetNoLimiter("none");
                }
                return RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(options.Burst, 1),
                    TokensPerPeriod = options.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = async (ctx, ct) =>
            {
                ctx.HttpContext.Response.Headers.RetryAfter = "1";
                await ctx.HttpContext.WriteFailureAsync(SharedFailure.RateLimited, 429, "Too many requests for this credential; slow down and retry.");
            };
        });

    /// <summary>The credential presented (hashed, so secrets never sit in memory as keys), else the client address.</summary>
    private static string PartitionKey(HttpContext http)
    {
        foreach (var header in CredentialHeaders)
        {
            var value = http.Request.Headers[header].ToString();
            if (value.Length > 0)
            {
                return "cred:" + Ids.Sha256Hex(value);
            }
        }
        return "ip:" + http.Connection.RemoteIpAddress;
    }
}
