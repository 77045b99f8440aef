using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// The plumbing of a fault scenario: real <c>rescind</c> processes on one database, the mixed load with every request
/// and response recorded, the history checked against the final database (<see cref="HistoryChecker"/>), then
/// <c>rescind verify</c>. Subclasses say which faults play out while the load runs.
/// </summary>
public abstract class HistoryScenario(ProcessStorage store, int nodeCount, ITestOutputHelper output) : IAsyncLifetime
{
    protected static readonly TimeSpan Phase = TimeSpan.FromSeconds(1.5);
    private const int Clients = 8;

    private readonly string operatorToken = "op_history_" + Guid.NewGuid().ToString("N");
    private readonly List<ServerNode> nodes = [];
    private string[] storage = [];

    public virtual async Task InitializeAsync() => storage = await store.CreateAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
        await store.DropAsync();
    }

    private async Task StartNodesAsync(Func<string[]> args)
    {
        for (var i = 0; i < nodeCount; i++)
        {
            nodes.Add(new ServerNode(i, args, operatorToken));
        }
        await Task.WhenAll(nodes.Select(n => n.StartAsync()));
    }

    /// <summary>Runs the load while <paramref name="faults"/> plays out (returning how many faults it injected),
    /// then checks the recorded history, then <c>rescind verify</c>.</summary>
    protected async Task<HistoryFigures> RunAsync(string scenario, Func<MixedLoad, Task<int>> faults, bool allow503, bool allowNoAnswer)
    {
        var creds = await CredentialsAsync();
        var load = new MixedLoad(nodes, creds, seed: scenario.Length);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(Clients, stop.Token);
        int injected;
        try
        {
            injected = await faults(load);
            // On a slow machine a few seconds may not reach every kind of write: the load goes on (bounded) until
            // each has been acknowledged at least once, so that the history proves something about each.
            var deadline = Stopwatch.StartNew();
            while (MissingKinds(load).Any() && deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(250);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
        foreach (var node in nodes)
        {
            await node.KillAsync(); // every request has its answer by now
        }

        var (figures, violations) = await HistoryChecker.CheckAsync(store, creds.AccountId, load.Calls, new HistoryFaults(injected, allow503, allowNoAnswer));
        var verify = await RescindProcess.RunAsync(["verify", "--json", .. storage]);
        output.WriteLine($"{GetType().Name}.{scenario}: {figures}");
        if (figures.Unavailable > 0)
        {
            output.WriteLine($"503s answered within {load.Calls.Where(c => c.Status == 503).Max(c => c.EndMs - c.StartMs)} ms at most");
        }
        output.WriteLine(string.Join(", ", load.Calls.GroupBy(c => $"{c.Api} {c.Kind} {c.Status?.ToString() ?? "no answer"}").OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        foreach (var sample in load.Calls.Where(c => c.Status >= 400).GroupBy(c => (c.Api, c.Kind, c.Status)).Select(g => g.First()))
        {
            output.WriteLine($"e.g. {sample.Api} {sample.Kind} {sample.Status}: {sample.Body}");
        }
        foreach (var v in violations.Take(30))
        {
            output.WriteLine("violation: " + v);
        }
        Assert.True(verify.Code == 0, "rescind verify: " + verify.Out + verify.Err);
        Assert.Empty(violations);
        Assert.True(figures.Acknowledged > 50, $"the load did too little to prove anything: {figures}");
        Assert.True(!MissingKinds(load).Any(), $"never acknowledged: {string.Join(", ", MissingKinds(load))}; the mix proved nothing about them");
        return figures;
    }

    /// <summary>The writes each run must see acknowledged at least once.</summary>
    private static readonly string[] RequiredKinds =
    [
        "numeral cancel", "operator accept", "crisscross cancel", "crisscross pay", "operator complete",
        "gocardless cancel", "operator fulfil", "digicert cancel", "digicert approve", "operator validate",
    ];

    private static IEnumerable<string> MissingKinds(MixedLoad load)
    {
        var seen = load.Calls.Where(c => c.Acknowledged).Select(c => $"{c.Api} {c.Kind}").ToHashSet(StringComparer.Ordinal);
        return RequiredKinds.Where(k => !seen.Contains(k));
    }

    private async Task<LoadCredentials> CredentialsAsync()
    {
        var http = nodes[0].Http;
        using var create = new HttpRequestMessage(HttpMethod.Post, new Uri(nodes[0].BaseAddress, "/operator/accounts")) { Content = JsonContent.Create(new { name = "History" }) };
        create.Headers.Authorization = new("Bearer", operatorToken);
        using var created = await http.SendAsync(create);
        var account = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.True(created.IsSuccessStatusCode, account.ToString());
        var accountId = account.GetProperty("account").GetProperty("id").GetString()!;
        string Secret(string api, string mode = "live") => account.GetProperty("credentials").EnumerateArray()
            .First(c => c.GetProperty("api").GetString() == api && c.GetProperty("mode").GetString() == mode).GetProperty("secret").GetString()!;
        using var token = await http.PostAsJsonAsync(new Uri(nodes[0].BaseAddress, "/v1/auth/oauth2/token"), new { client_id = accountId, client_secret = Secret("crisscross") });
        var tokenJson = JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement;
        Assert.True(token.IsSuccessStatusCode, tokenJson.ToString());
        return new LoadCredentials(accountId, Secret("numeral"), tokenJson.GetProperty("access_token").GetString()!, Secret("gocardless"), Secret("digicert"), Secret("circle", "test"), operatorToken);
    }

    /// <summary>For subclasses that inject their own faults.</summary>
    protected IReadOnlyList<ServerNode> Nodes => nodes;

    protected Task StartAsync(Func<string[]> args) => StartNodesAsync(args);

    protected Task StartAsync() => StartNodesAsync(() => storage);

    protected ITestOutputHelper Output => output;

    protected ProcessStorage Store => store;

    protected static async Task<TimeSpan> UntilServingAsync(ServerNode node)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                using var r = await node.Http.GetAsync(new Uri(node.BaseAddress, "/healthz"));
                if (r.IsSuccessStatusCode)
                {
                    return clock.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
                // keep asking
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"node {node.Index} did not recover by itself");
    }
}

/// <summary>
/// The fault harness: concurrent mixed load (Numeral cancel vs accept/reject, CrissCross cancel vs provider
/// completion with cascades and pending cancellations, GoCardless cancel vs fulfilment, DigiCert cancel vs issuance,
/// retries under the same keys) against real <c>rescind</c> processes on one database, checked as a history. The
/// same load with no fault, with a node killed (SIGKILL) and restarted mid-load, and (PostgreSQL) with the database
/// cut off under load.
/// </summary>
public abstract class HistoryTests(ProcessStorage store, int nodeCount, ITestOutputHelper output) : HistoryScenario(store, nodeCount, output)
{
    [Fact]
    public async Task Mixed_load_leaves_a_history_with_one_winner_per_resource_and_every_acknowledged_write_present()
    {
        await StartAsync();
        await RunAsync(nameof(Mixed_load_leaves_a_history_with_one_winner_per_resource_and_every_acknowledged_write_present), async _ =>
        {
            await Task.Delay(Phase * 2);
            return 0;
        }, allow503: false, allowNoAnswer: false);
    }

    [Fact]
    public async Task Killing_a_node_mid_load_and_restarting_it_loses_nothing_acknowledged_and_leaves_nothing_half_done()
    {
        await StartAsync();
        await RunAsync(nameof(Killing_a_node_mid_load_and_restarting_it_loses_nothing_acknowledged_and_leaves_nothing_half_done), async load =>
        {
            await Task.Delay(Phase);
            var victim = Nodes[^1];
            await victim.KillAsync();
            Output.WriteLine($"killed node {victim.Index} at {load.NowMs} ms");
            await victim.StartAsync();
            Output.WriteLine($"node {victim.Index} serving again at {load.NowMs} ms");
            await Task.Delay(Phase);
            return 1;
        }, allow503: false, allowNoAnswer: true);
    }
}

[Trait("Category", "Sqlite")]
public sealed class HistoryTests_Sqlite(ITestOutputHelper output) : HistoryTests(new SqliteProcessStorage(), 1, output);

[Trait("Category", "Postgres")]
public sealed class HistoryTests_Postgres(ITestOutputHelper output) : HistoryTests(new PostgresProcessStorage(), 2, output)
{
    [Fact]
    public async Task Cutting_PostgreSQL_off_under_load_gives_fast_503s_in_each_envelope_and_service_resumes_by_itself()
    {
        var upstream = PostgresProcessStorage.Upstream;
        await using var proxy = new TcpProxy(upstream.Host, upstream.Port);
        var pg = (PostgresProcessStorage)Store;
        await StartAsync(() => pg.ArgsThrough(proxy));
        var figures = await RunAsync(nameof(Cutting_PostgreSQL_off_under_load_gives_fast_503s_in_each_envelope_and_service_resumes_by_itself), async load =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            proxy.Cut();
            Output.WriteLine($"database cut off at {load.NowMs} ms");
            await Task.Delay(TimeSpan.FromSeconds(2));
            proxy.Restore();
            Output.WriteLine($"database back at {load.NowMs} ms");
            foreach (var node in Nodes)
            {
                Output.WriteLine($"node {node.Index} serving again after {(await UntilServingAsync(node)).TotalMilliseconds:F0} ms, not restarted");
            }
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            return 1;
        }, allow503: true, allowNoAnswer: false);
        Assert.True(figures.Unavailable > 0, "no request met the outage; the cut proved nothing");
    }
}
