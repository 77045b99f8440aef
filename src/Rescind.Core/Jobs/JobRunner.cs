using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rescind.Core.Storage;
using Rescind.Core.Telemetry;

namespace Rescind.Core.Jobs;

/// <summary>
/// A piece of the outside world or of housekeeping that moves on the clock (expiry, reminders, key purge). A job
/// must be safe when several nodes run it at once: it claims work with conditional writes in the coordinator.
/// </summary>
public interface IJob
{
    string Name { get; }

    /// <summary>Does whatever is due at the clock's "now"; returns how many items it handled.</summary>
    Task<int> RunOnceAsync(CancellationToken ct);
}

public sealed class JobOptions
{
    public bool Enabled { get; set; } = true;

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Runs every registered job on a <see cref="TimeProvider"/> timer, and on demand (operator, tests).</summary>
public sealed class JobRunner(IEnumerable<IJob> jobs, TimeProvider clock, IOptions<JobOptions> options, SchemaGate gate, ILogger<JobRunner> log, RescindMetrics metrics)
    : BackgroundService
{
    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    public IReadOnlyList<IJob> Jobs { get; } = jobs.ToList();

    /// <summary>Runs each job once, now. Returns the number of items each handled.</summary>
    public async Task<IReadOnlyDictionary<string, int>> RunAllOnceAsync(CancellationToken ct)
    {
        await oneAtATime.WaitAsync(ct);
        try
        {
            var handled = new Dictionary<string, int>();
            foreach (var job in Jobs)
            {
                var name = new KeyValuePair<string, object?>("job", job.Name);
                using var span = RescindTraces.Source.StartActivity("rescind.job");
                span?.SetTag("rescind.job", job.Name);
                try
                {
                    var n = await job.RunOnceAsync(ct);
                    handled[job.Name] = n;
                    metrics.JobRuns.Add(1, name, new KeyValuePair<string, object?>("result", "ok"));
                    metrics.JobItems.Add(n, name);
                    span?.SetTag("rescind.job.items", n);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    log.LogError(e, "Job {Job} failed; it runs again on the next tick", job.Name);
                    handled[job.Name] = -1;
                    metrics.JobRuns.Add(1, name, new KeyValuePair<string, object?>("result", "failed"));
                    span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                }
            }
            return handled;
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        try
        {
            await gate.WaitAsync(stoppingToken); // a node started while its database was unreachable: no jobs before the schema
        }
        catch (OperationCanceledException)
        {
            return;
        }
        log.LogInformation("Background jobs every {Interval}: {Jobs}", options.Value.Interval, string.Join(", ", Jobs.Select(j => j.Name)));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAllOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break; // graceful shutdown: the current job finished its transaction or rolled back
            }
            catch (Exception e)
            {
                // Each job's own faults are caught in RunAllOnceAsync; anything else is logged and the runner goes
                // on at its next tick, so no single fault ends the background work of every tenant.
                log.LogError(e, "Background jobs round failed; running again on the next tick");
            }
            try
            {
                await Task.Delay(options.Value.Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    public override void Dispose()
    {
        oneAtATime.Dispose();
        base.Dispose();
    }
}
