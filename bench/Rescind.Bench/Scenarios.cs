using System.Text.Json;
using System.Collections.Concurrent;
using Rescind.Core.Storage;

namespace Rescind.Bench;

/// <summary>
/// The scenarios, each at 1, 8, 32 and 64 closed-loop clients unless it says otherwise. Resources are created
/// through the public APIs before each measured step (not timed); every answer is checked, and a wrong status, a
/// wrong final state or a replay that is not byte-identical counts as an error.
/// </summary>
public sealed class Scenarios(BenchHost host, BenchTenant t, BenchOptions options, TargetReport report, Action<string> onError, MemorySampler memory)
{
    private const string Numeral = "/tax/certificate-requests/";

    private List<LoadResult> sink = report.Results;

    /// <summary>The split-cores step: the Numeral cancel and the keyed CrissCross cancel again, while the caller
    /// has the database pinned to its own core (results go to <see cref="TargetReport.SplitResults"/>).</summary>
    public async Task SplitCoresAsync()
    {
        sink = report.SplitResults;
        var customer = await t.CustomerAsync();
        await WarmUpAsync(customer);
        await EachLevelAsync("split cores: numeral cancel", c => PrepareAsync(c, _ => t.PendingRequestAsync(customer)), (ids, i) => NumeralCancelAsync(ids[i]));
        await EachLevelAsync("split cores: crisscross cancel + key", c => PrepareAsync(c, _ => t.SessionAsync()),
            async (ids, i) => (await KeyedCancelAsync(ids[i], Guid.NewGuid().ToString())).Ok);
    }

    private async Task<bool> NumeralCancelAsync(string id)
    {
        var (s, b) = await t.NumeralAsync(HttpMethod.Delete, Numeral + id);
        return Check(s == 200 && Json.Str(b, "status") == "canceled", "numeral cancel", s, b);
    }

    private async Task<(bool Ok, string Body)> KeyedCancelAsync(string session, string key)
    {
        var (s, b) = await t.CollectAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = session, reason = "bench" }, key);
        return (Check(s == 200 && Json.Str(b, "status") == "CANCELLED", "cancel with key", s, b), b);
    }

    public async Task RunAllAsync()
    {
        var customer = await t.CustomerAsync();
        await WarmUpAsync(customer);
        var canceled = new ConcurrentBag<string>();
        await EachLevelAsync("numeral cancel", c => PrepareAsync(c, _ => t.PendingRequestAsync(customer)), async (ids, i) =>
        {
            canceled.Add(ids[i]);
            return await NumeralCancelAsync(ids[i]);
        });

        await EachLevelAsync("digicert cancel", c => PrepareAsync(c, _ => t.PendingOrderAsync()), async (ids, i) =>
        {
            var (s, b) = await t.DigiCertAsync(HttpMethod.Put, $"/services/v2/order/certificate/{ids[i]}/status", new { status = "canceled", note = "bench" });
            return Check(s == 204, "digicert cancel", s, b);
        });

        await EachLevelAsync("gocardless cancel", c => PrepareAsync(c, _ => t.BillingRequestAsync()), async (ids, i) =>
        {
            var (s, b) = await t.GoCardlessAsync(HttpMethod.Post, $"/billing_requests/{ids[i]}/actions/cancel", new { data = new { } });
            return Check(s == 200 && b.Contains("\"status\":\"cancelled\"", StringComparison.Ordinal), "gocardless cancel", s, b);
        });

        // Circle's cancel carries a single-use entity-secret ciphertext that the server decrypts (RSA-OAEP, 2048-bit):
        // the bodies, each with its own ciphertext and idempotency key, are made before the measured step.
        var circle = await t.CircleWalletsAsync();
        foreach (var c in CancelBench.Levels)
        {
            if (!options.Wants("circle cancel"))
            {
                break;
            }
            var ids = await PrepareAsync(c, _ => circle.TransferAsync());
            var bodies = ids.Select(_ => JsonSerializer.Serialize(circle.Signed([]))).ToArray();
            await MeasureAsync("circle cancel", c, ids.Length, async i =>
            {
                var (s, b) = await t.CircleRawAsync(HttpMethod.Post, $"/v1/w3s/developer/transactions/{ids[i]}/cancel", bodies[i]);
                return Check(s == 200 && b.Contains("\"state\":\"CANCELLED\"", StringComparison.Ordinal), "circle cancel", s, b);
            });
        }

        await EachLevelAsync("crisscross cancel", c => PrepareAsync(c, _ => t.SessionAsync()), async (ids, i) =>
        {
            var (s, b) = await t.CollectAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = ids[i] });
            return Check(s == 200 && Json.Str(b, "status") == "CANCELLED", "crisscross cancel", s, b);
        });

        // With an Idempotency-Key, then the same keys and bodies again: the stored answers, byte for byte.
        foreach (var c in CancelBench.Levels.Where(_ => options.Wants("crisscross cancel + key") || options.Wants("crisscross replay")))
        {
            var ids = await PrepareAsync(c, _ => t.SessionAsync());
            var keys = ids.Select(_ => Guid.NewGuid().ToString()).ToArray();
            var first = new string[ids.Length];
            await MeasureAsync("crisscross cancel + key", c, ids.Length, async i =>
            {
                (var ok, first[i]) = await KeyedCancelAsync(ids[i], keys[i]);
                return ok;
            });
            await MeasureAsync("crisscross replay", c, ids.Length, async i =>
            {
                var (s, b) = await t.CollectAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = ids[i], reason = "bench" }, keys[i]);
                return Check(s == 200 && string.Equals(b, first[i], StringComparison.Ordinal), "replay (byte-identical)", s, b);
            });
        }

        await EachLevelAsync("crisscross cascade cancel", c => PrepareAsync(c, _ => t.SessionWithPaymentAsync()), async (ids, i) =>
        {
            var (s, b) = await t.CollectAsync(HttpMethod.Post, "/v1/checkout/session/cancel", new { sessionId = ids[i] });
            return Check(s == 200 && Json.Str(b, "status") == "CANCELLED" && Json.ArrayLength(b, "cancelledTransactionIds") == 1, "cascade cancel", s, b);
        });

        var readable = canceled.ToArray();
        foreach (var c in CancelBench.Levels.Where(_ => readable.Length > 0 && (options.Wants("numeral get") || options.Wants("numeral list"))))
        {
            var n = CancelBench.Ops(options, c);
            await MeasureAsync("numeral get", c, n, async i =>
            {
                var (s, b) = await t.NumeralAsync(HttpMethod.Get, Numeral + readable[i % readable.Length]);
                return Check(s == 200 && Json.Str(b, "status") == "canceled", "get", s, b);
            });
            await MeasureAsync("numeral list", c, n, async i =>
            {
                var (s, b) = await t.NumeralAsync(HttpMethod.Get, "/tax/certificate-requests?limit=20&status=canceled");
                return Check(s == 200 && Json.ArrayLength(b, "certificate_requests") > 0, "list", s, b);
            });
        }

        if (options.Wants("hot: cancel vs fulfil"))
        {
            await HotAsync(customer);
        }
    }

    /// <summary>Untimed: the JIT and the connection pools see every path once before anything is measured.</summary>
    private async Task WarmUpAsync(string customer)
    {
        var requests = await PrepareCountAsync(200, _ => t.PendingRequestAsync(customer));
        var sessions = await PrepareCountAsync(200, _ => t.SessionAsync());
        await LoadGenerator.RunAsync("warm-up", 8, 200, perClient: host.UseRawConnection, op: async i =>
        {
            await t.NumeralAsync(HttpMethod.Delete, Numeral + requests[i]);
            await t.NumeralAsync(HttpMethod.Get, Numeral + requests[i]);
            var body = new { sessionId = sessions[i] };
            var key = Guid.NewGuid().ToString();
            await t.CollectAsync(HttpMethod.Post, "/v1/checkout/session/cancel", body, key);
            await t.CollectAsync(HttpMethod.Post, "/v1/checkout/session/cancel", body, key);
            return true;
        });
    }

    /// <summary>64 clients on 100 submitted requests, half canceling and half accepting (the customer's side,
    /// through the operator's simulation API): each request ends either canceled or fulfilled, never both.</summary>
    private async Task HotAsync(string customer)
    {
        const int clients = 64;
        var ids = await PrepareCountAsync(100, async _ =>
        {
            var id = await t.PendingRequestAsync(customer);
            var (s, b) = await t.OperatorAsync(HttpMethod.Post, $"/operator/numeral/certificate-requests/{id}/submit");
            BenchHost.Expect(s == 200, "submit", s, b);
            return id;
        });
        var n = options.Quick ? 400 : 4000;
        await MeasureAsync("hot: cancel vs fulfil (100 rows)", clients, n, async i =>
        {
            var id = ids[i / 2 % ids.Length]; // each pair of operations races a cancel against an acceptance on one request
            var (s, b) = i % 2 == 0
                ? await t.NumeralAsync(HttpMethod.Delete, Numeral + id)
                : await t.OperatorAsync(HttpMethod.Post, $"/operator/numeral/certificate-requests/{id}/accept");
            return Check(s is 200 or 409, "hot", s, b);
        });
        var ends = new Dictionary<string, int>();
        foreach (var id in ids)
        {
            var (s, b) = await t.NumeralAsync(HttpMethod.Get, Numeral + id);
            var status = Json.Str(b, "status") ?? $"HTTP {s}";
            ends[status] = ends.GetValueOrDefault(status) + 1;
            if (status is not ("canceled" or "fulfilled"))
            {
                report.Failures.Add($"hot: {id} ended {status}");
            }
        }
        report.Notes.Add($"Hot contention ended with {string.Join(", ", ends.Select(e => $"{e.Value} {e.Key}"))}.");
    }

    /// <summary>The same cancel at 32 clients with 10^3 and then 10^6 rows in each table (10^4 with --quick).</summary>
    public async Task GrowthAsync(ITarget target)
    {
        const int clients = 32;
        var db = host.Services.GetRequiredService<Database>();
        var customer = await t.CustomerAsync();
        long filled = 0;
        foreach (var rows in new long[] { 1_000, options.Quick ? 10_000 : 1_000_000 })
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await target.FillAsync(db, filled, rows);
            filled = rows;
            Console.WriteLine($"   filled to {rows:N0} rows per table in {watch.Elapsed.TotalSeconds:F1} s");
            var ids = await PrepareAsync(clients, _ => t.PendingRequestAsync(customer));
            await MeasureAsync($"growth: cancel at {rows:N0} rows", clients, ids.Length, async i =>
            {
                var (s, b) = await t.NumeralAsync(HttpMethod.Delete, Numeral + ids[i]);
                return Check(s == 200 && Json.Str(b, "status") == "canceled", "growth cancel", s, b);
            });
        }
    }

    private async Task EachLevelAsync(string name, Func<int, Task<string[]>> prepare, Func<string[], int, Task<bool>> op)
    {
        foreach (var c in CancelBench.Levels.Where(_ => options.Wants(name)))
        {
            var ids = await prepare(c);
            await MeasureAsync(name, c, ids.Length, i => op(ids, i));
        }
    }

    /// <summary>Creates the resources one level needs, 32 at a time, untimed.</summary>
    private Task<string[]> PrepareAsync(int clients, Func<int, Task<string>> create) => PrepareCountAsync(CancelBench.Ops(options, clients), create);

    private static async Task<string[]> PrepareCountAsync(int n, Func<int, Task<string>> create)
    {
        var ids = new string[n];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                ids[i] = await create(i);
            }
        })));
        return ids;
    }

    private async Task MeasureAsync(string scenario, int clients, int ops, Func<int, Task<bool>> op)
    {
        var result = await memory.WatchAsync(scenario, () => LoadGenerator.RunAsync(scenario, clients, ops, op, onError, host.UseRawConnection));
        sink.Add(result);
        Console.WriteLine($"   {scenario,-34} c={clients,-3} {result.PerSecond,8:F0}/s p50 {result.P50Ms,6:F2} p99 {result.P99Ms,7:F2} p999 {result.P999Ms,7:F2} ms{(result.Errors > 0 ? $"  ERRORS {result.Errors}" : "")}");
        if (result.Errors > 0)
        {
            report.Failures.Add($"{scenario} at {clients} clients: {result.Errors} of {result.Ops} answers wrong");
        }
    }

    private bool Check(bool ok, string what, int status, string body)
    {
        if (!ok)
        {
            onError($"{what}: {status} {body[..Math.Min(200, body.Length)]}");
        }
        return ok;
    }
}
