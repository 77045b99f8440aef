using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

[Trait("Category", "Sqlite")]
public sealed class DigiCertRateLimitTests(RateLimitedSqliteServer server) : IClassFixture<RateLimitedSqliteServer>
{
    [Fact]
    public async Task A_dev_key_over_its_rate_gets_429_request_limit_exceeded_in_DigiCerts_envelope()
    {
        var answers = new List<Answer>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add(await Tenant.SendAsync(server, HttpMethod.Get, "/services/v2/order/certificate", null, new() { ["X-DC-DEVKEY"] = "limited-key" }));
        }

        var limited = answers.Where(a => a.Code == 429).ToList();
        Assert.NotEmpty(limited);
        limited[0].IsDigiCertError(429, "request_limit_exceeded");
        Assert.Equal("1", limited[0].Message.Headers.RetryAfter?.ToString());
        (await Tenant.SendAsync(server, HttpMethod.Get, "/services/v2/order/certificate", null, new() { ["X-DC-DEVKEY"] = "another-key" }))
            .IsDigiCertError(401, "access_denied|invalid_api_key");
    }
}
