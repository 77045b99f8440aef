using Npgsql;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>PostgreSQL reached through a proxy the test can cut.</summary>
public sealed class ProxiedPostgresServer : PostgresServer
{
    public TcpProxy? Proxy { get; private set; }

    protected override NpgsqlConnectionStringBuilder Adjust(NpgsqlConnectionStringBuilder b)
    {
        Proxy = new TcpProxy(b.Host!, b.Port);
        b.Host = "127.0.0.1";
        b.Port = Proxy.Port;
        b.Timeout = 3;
        return b;
    }
}

/// <summary>
/// The database goes away under load: requests fail fast with 503 in each API's own envelope, nothing half-done is
/// left, and service resumes by itself when the database returns.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class OutageTests(ProxiedPostgresServer server) : IClassFixture<ProxiedPostgresServer>
{
    [Fact]
    public async Task While_PostgreSQL_is_unreachable_requests_get_503_in_their_envelope_and_service_resumes_after()
    {
        var t = await Tenant.CreateAsync(server);
        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await t.PendingRequestAsync());
        }

        server.Proxy!.Cut();
        Answer[] during;
        try
        {
            during = await Task.WhenAll(ids.Select(id => Task.Run(() => t.CancelAsync(id)))
                .Append(Task.Run(() => t.GetAsync(ids[0])))
                .Append(Task.Run(() => t.Numeral(HttpMethod.Get, "/tax/certificate-requests"))));
            var op = await Tenant.Operator(server, HttpMethod.Get, "/operator/accounts");
            Assert.Equal(503, op.Code);
            Assert.Equal(503, op.Json.GetProperty("status").GetInt32());
        }
        finally
        {
            server.Proxy.Restore();
        }

        Assert.All(during, a =>
        {
            a.IsNumeralError(503, "SERVICE_UNAVAILABLE");
            Assert.Equal("1", a.Message.Headers.RetryAfter?.ToString());
        });

        // Back by itself: pooled connections that died are replaced; every cancel can now be applied, once.
        Answer? first = null;
        for (var i = 0; i < 20 && first?.Code != 200; i++)
        {
            first = await t.GetAsync(ids[0]);
        }
        Assert.Equal("pending", first!.Str("status"));
        foreach (var id in ids)
        {
            Assert.Equal("canceled", (await t.CancelAsync(id)).Str("status"));
            Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        }
        await Audit.AssertVerifiedAsync(server);
    }
}
