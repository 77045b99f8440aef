using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Rescind.Core;

namespace Rescind.Server.Http;

public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second for one credential (0 turns limiting off).</summary>
    public int PermitsPerSecond { get; set; } = 500;

    /// <summary>How far a credential may burst above the sustained rate.</summary>
    public int Burst { get; set; } = 1000;

    /// <summary>Requests refused as unauthenticated (401) one client address may make per second, sustained…</summary>
    public int FailedAuthPerSecond { get; set; } = 5;

    /// <summary>…and in a burst; past it the address gets 429 for any credential not seen to succeed.</summary>
    public int FailedAuthBurst { get; set; } = 50;

    /// <summary>Resources one account's bulk and dry-run cancellations may name per second, sustained (0 turns the
    /// charge off): a request naming many resources is charged one per resource, not one per request.</summary>
    public int ResourcesPerSecond { get; set; } = 500;

    /// <summary>…and in a burst (at least one whole bulk request, <c>MaxResources</c>).</summary>
    public int ResourceBurst { get; set; } = 1000;
}

/// <summary>
/// The per-account budget of resources that bulk and dry-run cancellations draw on, one permit per resource named,
/// so that one request (one permit of the per-credential limit) cannot buy a thousand transactions, and one account's
/// bulk work cannot crowd out another's. Per node, as the request limits are.
/// </summary>
public sealed class ResourceBudget(RateLimitOptions options)
{
    private readonly PartitionedRateLimiter<string> buckets = PartitionedRateLimiter.Create<string, string>(account =>
        RateLimitPartition.GetTokenBucketLimiter(account, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(options.ResourceBurst, 1),
            TokensPerPeriod = Math.Max(options.ResourcesPerSecond, 1),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Takes <paramref name="resources"/> permits of the account's bucket; null when taken, else how long to
    /// wait (in whole seconds, at least one) before the bucket holds that many.</summary>
    public int? TryCharge(string accountId, int resources)
    {
        if (options.ResourcesPerSecond <= 0 || resources <= 0)
        {
            return null;
        }
        var wanted = Math.Min(resources, Math.Max(options.ResourceBurst, 1));
        using var lease = buckets.AttemptAcquire(accountId, wanted);
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
    }
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
    private static string PartitionKey(HttpContext http) => CredentialKey(http) ?? AddressKey(http);

    private static string AddressKey(HttpContext http) => "ip:" + http.Connection.RemoteIpAddress;

    /// <summary>The credential as the server reads it, not as it was spelled: the scheme without regard to case and
    /// the value without the spaces around it (<c>Bearer  k</c>, <c>bearer k </c> and <c>Bearer k</c> are one
    /// credential, one bucket).</summary>
    public static string? CredentialKey(HttpContext http)
    {
        foreach (var header in CredentialHeaders)
        {
            var value = http.Request.Headers[header].ToString().Trim();
            if (value.Length > 0)
            {
                var space = value.IndexOfAny([' ', '\t']);
                var normal = space < 0 ? value : value[..space].ToLowerInvariant() + " " + value[(space + 1)..].Trim(' ', '\t');
                return "cred:" + Ids.Sha256Hex(header + ":" + normal);
            }
        }
        return null;
    }

    /// <summary>
    /// A stricter bucket per client address for failed authentication: every 401 costs the address a token, and an
    /// address out of tokens is answered 429 at once, before any credential lookup, for any credential this node has
    /// not seen succeed. A junk or rotating <c>Authorization</c> value therefore cannot escape limiting by making a
    /// new credential bucket per request, while a known-good credential behind the same address is not blocked.
    /// </summary>
    public static IApplicationBuilder UseFailedAuthLimit(this IApplicationBuilder app, RateLimitOptions options)
    {
        if (options.PermitsPerSecond <= 0)
        {
            return app;
        }
        var failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(options.FailedAuthBurst, 1),
            TokensPerPeriod = Math.Max(options.FailedAuthPerSecond, 1),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        var succeeded = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        return app.Use(async (http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/healthz"))
            {
                await next(http);
                return;
            }
            var credential = CredentialKey(http);
            var address = AddressKey(http);
            if ((credential is null || !succeeded.ContainsKey(credential)) && failures.GetStatistics(address)?.CurrentAvailablePermits <= 0)
            {
                http.Response.Headers.RetryAfter = "1";
                await http.WriteFailureAsync(SharedFailure.RateLimited, 429, "Too many failed authentications from this address; retry later.");
                return;
            }
            await next(http);
            if (http.Response.StatusCode == 401)
            {
                using var _ = failures.AttemptAcquire(address);
            }
            else if (credential is not null && http.User.Identity is { IsAuthenticated: true })
            {
                if (succeeded.Count >= 100_000)
                {
                    succeeded.Clear(); // bounded: a flood of good keys costs a re-learning, not memory
                }
                succeeded.TryAdd(credential, 0);
            }
        });
    }
}
