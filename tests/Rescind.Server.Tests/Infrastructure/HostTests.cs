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

/// <summary>A host with tight per-credential and failed-authentication limits of its own.</summary>
public sealed class AuthLimitedSqliteServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Rescind:RateLimit:PermitsPerSecond", "1"),
        new("Rescind:RateLimit:Burst", "3"),
        new("Rescind:RateLimit:FailedAuthPerSecond", "1"),
        new("Rescind:RateLimit:FailedAuthBurst", "5"),
    ];
}

[Trait("Category", "Sqlite")]
public sealed class FailedAuthLimitTests(AuthLimitedSqliteServer server) : IClassFixture<AuthLimitedSqliteServer>
{
    private Task<Answer> ListAsync(string authorization) =>
        Tenant.SendAsync(server, HttpMethod.Get, "/tax/certificate-requests", null,
            new() { ["Authorization"] = authorization, ["X-API-Version"] = Tenant.NumeralVersion });

    [Fact]
    public async Task Spellings_of_one_credential_share_its_bucket_and_junk_credentials_drain_their_addresss_bucket_but_not_a_known_good_key()
    {
        var t = await Tenant.CreateAsync(server);
        var key = t.Credential("numeral", "live").Secret;
        var spelled = new List<Answer>();
        foreach (var header in new[] { "Bearer " + key, "bearer  " + key, "Bearer " + key + "  ", "BEARER\t" + key, " Bearer " + key, "Bearer   " + key })
        {
            spelled.Add(await ListAsync(header));
        }
        Assert.Contains(spelled, a => a.Code == 200);
        spelled.First(a => a.Code == 429).IsNumeralError(429, "RATE_LIMITED"); // six spellings, one bucket of three

        var known = await Tenant.CreateAsync(server);
        var knownKey = "Bearer " + known.Credential("numeral", "live").Secret;
        Assert.Equal(200, (await ListAsync(knownKey)).Code);
        var unseen = await Tenant.CreateAsync(server);

        var junk = new List<Answer>();
        for (var i = 0; i < 20; i++)
        {
            junk.Add(await ListAsync("Bearer junk_" + Guid.NewGuid().ToString("N")));
        }
        Assert.Contains(junk, a => a.Code == 401);
        var limited = junk.Where(a => a.Code == 429).ToList();
        Assert.True(limited.Count >= 10, $"{limited.Count} of 20 junk credentials limited");
        limited[0].IsNumeralError(429, "RATE_LIMITED");
        Assert.NotNull(limited[0].Message.Headers.RetryAfter);

        Assert.Equal(200, (await ListAsync(knownKey)).Code); // seen to succeed: not caught by the address's bucket
        Assert.Equal(429, (await ListAsync("Bearer " + unseen.Credential("numeral", "live").Secret)).Code); // not yet seen: waits like the junk
    }
}
