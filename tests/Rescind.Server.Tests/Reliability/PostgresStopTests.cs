using Rescind.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// The real outage: two <c>rescind</c> processes under the mixed load on a PostgreSQL cluster of the test's own,
/// which is stopped with <c>pg_ctl stop -m immediate</c> mid-load (every backend killed, open transactions lost) and
/// started again (crash recovery) two seconds later. Requests fail fast with 503 in each API's envelope with
/// <c>Retry-After</c>; both nodes serve again by themselves, without a restart; the history holds (nothing
/// acknowledged lost, one winner per resource, no key applied twice) and <c>rescind verify</c> passes.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PostgresStopTests(PrivatePostgres cluster, ITestOutputHelper output)
    : HistoryScenario(new PostgresProcessStorage(() => cluster.AdminConnectionString), 2, output), IClassFixture<PrivatePostgres>
{
    /// <summary>One read per API (and the operator's), each with its own credential, asked while the database is down.</summary>
    private static readonly (string Api, string Path)[] Probes =
    [
        ("numeral", "/tax/certificate-requests"), ("crisscross", "/v1/checkout/sessions"), ("gocardless", "/billing_requests"),
        ("digicert", "/services/v2/order/certificate"), ("circle", "/v1/w3s/wallets"), ("operator", "/operator/accounts"),
    ];

    [PostgresBinariesFact]
    public async Task Stopping_PostgreSQL_immediately_under_load_gives_fast_503s_in_each_envelope_and_the_nodes_recover_by_themselves()
    {
        Assert.True(PrivatePostgres.BinDir is not null, PrivatePostgres.MissingMessage);
        await StartAsync();
        var probes = new List<Call>();
        var figures = await RunAsync(nameof(Stopping_PostgreSQL_immediately_under_load_gives_fast_503s_in_each_envelope_and_the_nodes_recover_by_themselves), async load =>
        {
            await Task.Delay(Phase);
            await cluster.StopImmediatelyAsync();
            Output.WriteLine($"PostgreSQL stopped (immediate) at {load.NowMs} ms");
            await Task.Delay(TimeSpan.FromSeconds(0.5));
            foreach (var node in Nodes)
            {
                foreach (var (api, path) in Probes)
                {
                    probes.Add(await load.ProbeAsync(node.Index, api, path));
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await cluster.StartAsync();
            Output.WriteLine($"PostgreSQL accepting connections again at {load.NowMs} ms");
            foreach (var node in Nodes)
            {
                Output.WriteLine($"node {node.Index} serving again after {(await UntilServingAsync(node)).TotalMilliseconds:F0} ms, not restarted");
            }
            await Task.Delay(Phase);
            return 1;
        }, allow503: true, allowNoAnswer: false);

        // Every API answered the outage itself, in its own envelope (the checker has checked each body and
        // Retry-After), fast.
        Assert.All(probes, p => Assert.True(p.Status == 503 && p.RetryAfter == "1", $"{p.Api} {p.Resource} during the outage on node {p.Node}: {p.Status} {p.Body}"));
        Assert.True(figures.Unavailable > probes.Count, $"no request of the load met the outage; the stop proved nothing: {figures}");
    }
}
