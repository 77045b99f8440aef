using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests;

/// <summary>A host with a tight per-credential rate limit.</summary>
public sealed class RateLimitedSqliteServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Rescind:RateLimit:PermitsPerSecond", "1"),
        new("Rescind:RateLimit:Burst", "3"),
    ];
}

[Trait("Category", "Sqlite")]
public sealed class RateLimitTests(RateLimitedSqliteServer server) : IClassFixture<RateLimitedSqliteServer>
{
    [Fact]
    public async Task A_credential_over_its_rate_gets_429_RATE_LIMITED_in_Numerals_envelope_and_others_are_unaffected()
    {
        var answers = new List<Answer>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add(await Tenant.SendAsync(server, HttpMethod.Get, "/tax/certificate-requests", null,
                new() { ["Authorization"] = "Bearer sk_live_limited", ["X-API-Version"] = Tenant.NumeralVersion }));
        }
        var limited = answers.Where(a => a.Code == 429).ToList();
        Assert.NotEmpty(limited);
        limited[0].IsNumeralError(429, "RATE_LIMITED");
        Assert.Equal("1", limited[0].Message.Headers.RetryAfter?.ToString());

        var other = await Tenant.SendAsync(server, HttpMethod.Get, "/tax/certificate-requests", null,
            new() { ["Authorization"] = "Bearer sk_live_someone_else", ["X-API-Version"] = Tenant.NumeralVersion });
        other.IsNumeralError(401, "UNAUTHORIZED");
    }
}
