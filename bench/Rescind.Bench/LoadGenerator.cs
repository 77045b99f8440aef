using System.Diagnostics;
using HdrHistogram;

namespace Rescind.Bench;

/// <summary>One scenario at one concurrency: throughput, latency percentiles, errors.</summary>
public sealed record LoadResult(string Scenario, int Clients, long Ops, long Errors, double Seconds, double P50Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public double PerSecond => Ops / Seconds;
}

/// <summary>
/// A closed-loop load generator: <c>clients</c> tasks each issue one operation, wait for its answer, and issue the
/// next, until <c>ops</c> operations are done. <c>perClient</c> gives each client its own connection (the
/// benchmark's raw HTTP/1.1 transport). Latency is recorded per operation in microseconds (HdrHistogram,
/// 3 significant digits); an operation that returns false counts as an error.
/// </summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(string scenario, int clients, int ops, Func<int, Task<bool>> op, Action<string>? onError = null, Func<IDisposable>? perClient = null)
    {
        var histogram = new LongConcurrentHistogram(1, TimeSpan.FromMinutes(1).Ticks / 10, 3);
        var next = -1;
        long errors = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var client = perClient?.Invoke();
            int i;
            while ((i = Interlocked.Increment(ref next)) < ops)
            {
                var start = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await op(i);
                }
                catch (Exception e)
                {
                    onError?.Invoke($"{scenario} #{i}: {e.GetType().Name}: {e.Message}");
                    ok = false;
                }
                var micros = (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                histogram.RecordValue(Math.Max(1, micros));
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        var seconds = watch.Elapsed.TotalSeconds;
        double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;
        return new LoadResult(scenario, clients, ops, errors, seconds, Ms(50), Ms(99), Ms(99.9), histogram.GetMaxValue() / 1000.0);
    }
}
