using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Core.Webhooks;
using Rescind.Server.Hosting;

namespace Rescind.Bench;

/// <summary>
/// Drains a backlog of outbox events through the webhook dispatcher into a local receiver, and measures in the same
/// run the limit: the same receiver driven by a bare HttpClient loop at the same concurrency, with no database.
/// Usage: webhooks [--events N] [--database CS] [--out FILE]
/// </summary>
public static class WebhookBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var events = 100_000;
        string? database = null;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "webhooks":
                    break;
                case "--events":
                    events = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--database":
                    database = args[++i];
                    break;
                case "--out":
                    output = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown argument {args[i]}");
                    return 2;
            }
        }
        var folder = Directory.CreateTempSubdirectory("rescind-bench-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Rescind:Database"] = database ?? Path.Combine(folder, "rescind.db"),
            ["Rescind:Jobs:Enabled"] = "false",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var services = new ServiceCollection().AddLogging().AddRescindCore(configuration).BuildServiceProvider();
        await CoreServices.MigrateAsync(services, CancellationToken.None);
        var db = services.GetRequiredService<Database>();
        var kind = db.Kind == DatabaseKind.Sqlite ? "SQLite (synchronous=FULL)" : "PostgreSQL";

        await using var receiver = await Sink.StartAsync();
        var account = await services.GetRequiredService<AccountStore>().CreateAccountAsync("bench", Actor.System, CancellationToken.None);
        var (endpoint, _) = await services.GetRequiredService<WebhookStore>().CreateEndpointAsync(
            account.Account.Id, "numeral", receiver.Url + "/bench", 10_000, Actor.System, CancellationToken.None);

        Console.WriteLine($"Seeding {events} outbox events on {kind}…");
        await SeedAsync(db, account.Account.Id, events);

        var dispatcher = services.GetRequiredService<WebhookDispatcher>();
        var concurrency = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebhookOptions>>().Value.Concurrency;
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(50);
            }
        });
        var watch = Stopwatch.StartNew();
        while (await dispatcher.RunOnceAsync(CancellationToken.None) > 0 || receiver.Count < events)
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(20))
            {
                break;
            }
        }
        var dispatchSeconds = watch.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var delivered = await CountAsync(db, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'");

        Console.WriteLine("Measuring the limit: the same receiver, a bare HttpClient loop, no database…");
        var limitSeconds = await RawHttpAsync(receiver.Url + "/limit", events, concurrency);

        var rescindRate = delivered / dispatchSeconds;
        var limitRate = events / limitSeconds;
        var report = $"""
            # Webhook delivery: draining a backlog ({DateTime.UtcNow:yyyy-MM-dd}, {kind})

            Machine: {Environment.ProcessorCount} cores; .NET {Environment.Version}. One process; receiver on loopback answering 200 at once.
            Measured in one run: Rescind's dispatcher (fan-out, leased claims, signed POST, attempt log + delivery update committed
            per event) against the limit: the same receiver driven by a bare HttpClient loop at the same concurrency ({concurrency}),
            same body size, no database.

            | | events | seconds | events/s | ratio to limit |
            | --- | ---: | ---: | ---: | ---: |
            | Rescind dispatcher | {delivered} | {dispatchSeconds:F1} | {rescindRate:F0} | {rescindRate / limitRate:P0} |
            | limit: bare HTTP loop | {events} | {limitSeconds:F1} | {limitRate:F0} | 100% |

            Managed heap while draining: baseline {baseline / 1048576.0:F1} MiB, peak {peak / 1048576.0:F1} MiB
            (bounded: fan-out reads 500 events and delivery claims 64 at a time, whatever the backlog).
            Process peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB.
            All {events} events delivered: {(delivered == events ? "yes" : $"NO ({delivered})")}.

            Each delivery commits two durable writes (attempt row, delivery row) after its HTTP round trip; on SQLite every
            commit is an fsync, which is what separates the two rows above.

            Reproduce: `dotnet run -c Release --project bench/Rescind.Bench -- webhooks --events {events}{(database is null ? "" : " --database <postgres>")}`
            """;
        Console.WriteLine(report);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, report + Environment.NewLine);
        }
        Directory.Delete(folder, recursive: true);
        return delivered == events ? 0 : 1;
    }

    private static async Task SeedAsync(Database db, string accountId, int events)
    {
        var payload = """{"id":"cert_req_00000000-0000-7000-8000-000000000000","object":"tax.certificate_request","status":"canceled"}""";
        var (connection, tx) = await db.BeginWriteAsync(CancellationToken.None);
        await using (connection)
        await using (tx)
        {
            for (var i = 0; i < events; i += 500)
            {
                var rows = Enumerable.Range(i, Math.Min(500, events - i)).Select(n => new
                {
                    EventId = $"evt_bench_{n:D9}",
                    AccountId = accountId,
                    Payload = payload,
                    At = 1_790_000_000_000L + n,
                });
                await connection.ExecuteAsync(
                    """
                    INSERT INTO outbox (event_id, account_id, api, event_type, resource_type, resource_id, payload, created_at)
                    VALUES (@EventId, @AccountId, 'numeral', 'tax.certificate_request.canceled', 'tax.certificate_request', 'cert_req_bench', @Payload, @At)
                    """, rows, tx);
            }
            await tx.CommitAsync();
        }
    }

    private static async Task<long> CountAsync(Database db, string sql)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static async Task<double> RawHttpAsync(string url, int events, int concurrency)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var body = new string('x', 420);
        var watch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < events)
            {
                using var r = await http.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
                await r.Content.ReadAsStringAsync();
            }
        }));
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>A loopback receiver that answers 200 "ok" and counts.</summary>
    private sealed class Sink : IAsyncDisposable
    {
        private readonly WebApplication app;
        private int count;

        private Sink(WebApplication app, string url)
        {
            this.app = app;
            Url = url;
        }

        public string Url { get; }

        public int Count => Volatile.Read(ref count);

        public static async Task<Sink> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            Sink? self = null;
            app.MapPost("/bench", async (HttpContext http) =>
            {
                await http.Request.Body.CopyToAsync(Stream.Null);
                Interlocked.Increment(ref self!.count);
                return Results.Text("ok");
            });
            app.MapPost("/limit", async (HttpContext http) =>
            {
                await http.Request.Body.CopyToAsync(Stream.Null);
                return Results.Text("ok");
            });
            await app.StartAsync();
            self = new Sink(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return self;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
