using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Rescind.Core.Accounts;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;
using Rescind.Server.Http;
using Rescind.Server.Operator;
using Rescind.Server.OperatorConsole;

namespace Rescind.Server.Hosting;

/// <summary>Builds the web host: services, middleware order, and every API's routes.</summary>
public static class ServerApp
{
    /// <summary>The background services that ended with a fault, each as "Name failed: message"; a host that
    /// stopped with any of them exits non-zero.</summary>
    public static IReadOnlyList<string> FailedBackgroundServices(IServiceProvider services) =>
        services.GetServices<IHostedService>().OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .Select(s => $"{s.GetType().Name} failed: {s.ExecuteTask!.Exception?.GetBaseException().Message}")
            .ToList();

    /// <param name="configure">The embedding host's last word on the builder before it is built (Rescind.Testing
    /// replaces services there); <c>serve</c> passes none.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Configuration is read once at start: no watcher on the content root, which would otherwise wake for
        // every write to a SQLite file kept under it (./data), as the CPU profile showed (".NET File Watch").
        var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
        builder.Services.AddRescindCore(builder.Configuration);
        builder.Services.AddHostedService<StartupTasks>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        builder.Services.AddHostedService<Rescind.Core.Webhooks.WebhookPump>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));

        var limits = builder.Configuration.GetSection("Rescind:RateLimit").Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRescindRateLimits(limits);
        builder.Services.AddSingleton(limits);
        builder.Services.AddSingleton<ResourceBudget>();
        // Kestrel's own cap sits above every API's limit, which each API enforces itself to answer in its envelope.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 1024 * 1024;
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            k.AddServerHeader = false;
        });
        var envelopes = new EnvelopeRegistry().Add("/operator", ProblemEnvelope.Instance).Add(Observability.MetricsPath, ProblemEnvelope.Instance);
        foreach (var module in ApiModules.All)
        {
            foreach (var prefix in module.PathPrefixes.Union(Coverage.VendorOperations.PrefixesOf(module.Name), StringComparer.OrdinalIgnoreCase))
            {
                envelopes.Add(prefix, module.Envelope);
            }
            builder.Services.AddOpenApi(module.Name, o => OpenApiDocs.Configure(o, module.Name, module.JsonNaming));
        }
        builder.Services.AddSingleton(envelopes);
        builder.Services.AddSingleton<ContractCheck>();
        builder.Services.AddSingleton<StreamSlots>();
        Coverage.CoverageRecords.AddTo(builder.Services, builder.Configuration);
        builder.Services.AddCredentialSchemes([.. ApiModules.All.SelectMany(m => m.Schemes ?? []), Operator.OperatorApi.Credentials]);
        builder.Services.AddConsole();
        builder.Services.AddOpenApi("operator", o => OpenApiDocs.Configure(o, "operator", null));
        // The operator API's own objects are snake_case (each API's simulation objects keep its own naming).
        OpenApiDocs.NameTypesOf(builder.Services, "operator", typeof(OperatorJson).Namespace, OperatorJson.Options.PropertyNamingPolicy!);
        OpenApiDocs.NameTypesOf(builder.Services, "operator", typeof(Webhooks.WebhookEndpointList).Namespace, OperatorJson.Options.PropertyNamingPolicy!);
        builder.AddObservability();

        // Routes declare their bodies with Accepts<T> for the OpenAPI documents only. ASP.NET Core would also turn
        // that metadata into a bare 415 for any other Content-Type, outside every vendor's envelope; each API reads
        // and refuses its bodies itself, as its vendor does.
        var accepts = builder.Services.Where(d => d.ServiceType == typeof(Microsoft.AspNetCore.Routing.MatcherPolicy)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.Routing.Matching.AcceptsMatcherPolicy").ToList();
        foreach (var descriptor in accepts)
        {
            builder.Services.Remove(descriptor);
        }

        configure?.Invoke(builder);
        var app = builder.Build();
        if (app.Configuration.GetValue<bool>("Rescind:Contracts:Check"))
        {
            app.UseContractCheck();
        }
        Coverage.CoverageRecords.Use(app);
        app.UseRequestIds([.. ApiModules.All.Where(m => m.NewRequestId is not null)
            .SelectMany(m => m.PathPrefixes.Select(prefix => (prefix, m.NewRequestId!)))]);
        app.UseObservability();
        app.UseApiFailures();
        app.UseSchemaGate();
        app.UseConsoleHeaders();
        app.UseApiNotFound();
        app.UseTextGuard();
        app.UseFailedAuthLimit(app.Services.GetRequiredService<RateLimitOptions>());
        app.UseRateLimiter();
        // Each API's credential scheme answers a missing credential in its own envelope; the console signs in by cookie.
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapGet("/healthz", HealthAsync).ExcludeFromDescription();
        app.MapGet("/coverage", Coverage.CoveragePage.Json).ExcludeFromDescription();
        foreach (var module in ApiModules.All)
        {
            module.MapRoutes(app);
        }
        app.MapOperator();
        app.MapMetrics();
        app.MapConsole();
        return app;
    }

    private static async Task<IResult> HealthAsync(Database db, SchemaGate gate, CancellationToken ct)
    {
        if (!gate.IsOpen)
        {
            return Results.Json(new { status = "starting", database = db.Kind.ToString().ToLowerInvariant() }, statusCode: 503);
        }
        await using var connection = await db.OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT 1";
        await cmd.ExecuteScalarAsync(ct);
        return Results.Ok(new { status = "ok", database = db.Kind.ToString().ToLowerInvariant() });
    }
}

/// <summary>
/// Brings the schema up to date and registers a configured operator secret, before the server listens when the
/// database answers. When it cannot be reached (<see cref="Database.IsUnavailable"/>), the node listens anyway with
/// its <see cref="SchemaGate"/> closed (every request a 503 with Retry-After in its API's envelope) and tries again,
/// from half a second doubling to ten, until the database answers; any other failure stops the start (the first
/// attempt) or the host (a later one), and <c>serve</c> exits non-zero.
/// </summary>
public sealed class StartupTasks(
    IServiceProvider services, AccountStore accounts, SchemaGate gate, IOptions<RescindOptions> options, SecretBox box, IEnumerable<SealedColumn> sealedColumns,
    ILogger<StartupTasks> log)
    : BackgroundService
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(10);

    /// <summary>A configured operator secret shorter than this is refused at start: it is the key to every account.</summary>
    public const int ShortestOperatorToken = 32;

    private bool ready;

    public override async Task StartAsync(CancellationToken ct)
    {
        if (options.Value.OperatorToken is { Length: > 0 } configured && configured.Trim().Length < ShortestOperatorToken)
        {
            throw new InvalidOperationException(
                $"Rescind:OperatorToken must be at least {ShortestOperatorToken} characters (it opens every account); issue a random one with `rescind operator token` instead");
        }
        if (box.Problem is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
        if (!box.Enabled)
        {
            log.LogWarning("Rescind:Secrets:Key is not set: the console's Data Protection keys and Circle's RSA private keys are stored unencrypted (docs/reliability.md)");
        }
        ready = await TryOnceAsync(ct);
        await base.StartAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = FirstPause;
        while (!ready)
        {
            try
            {
                await Task.Delay(pause, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return; // stopped before the database came back
            }
            pause = pause * 2 > LongestPause ? LongestPause : pause * 2;
            ready = await TryOnceAsync(stoppingToken);
        }
    }

    /// <summary>One attempt: true when the gate is open; false when the database cannot be reached yet.</summary>
    private async Task<bool> TryOnceAsync(CancellationToken ct)
    {
        try
        {
            await CoreServices.MigrateAsync(services, ct);
            if (await box.SealExistingAsync(services.GetRequiredService<Database>(), sealedColumns, ct) is > 0 and var n)
            {
                log.LogInformation("Sealed {Count} secrets stored before Rescind:Secrets:Key was set", n);
            }
            if (options.Value.OperatorToken is { Length: > 0 } configured)
            {
                await accounts.EnsureOperatorSecretAsync(configured, ct);
            }
            else if (!await accounts.AnyOperatorCredentialAsync(ct))
            {
                // Secrets never go to the log (logs are shipped and kept); the operator issues one on the command line.
                log.LogWarning("No operator credential exists yet: issue one with `rescind operator token` (or set Rescind__OperatorToken)");
            }
        }
        catch (Exception e) when (Database.IsUnavailable(e) || e is TimeoutException)
        {
            if (gate.Waiting is null)
            {
                log.LogWarning("The database cannot be reached ({Message}): serving 503 until it can, trying again", e.Message);
            }
            gate.StillWaiting(e.Message);
            return false;
        }
        if (gate.Waiting is not null)
        {
            log.LogInformation("The database answers again: the schema is up to date, serving");
        }
        gate.Open();
        return true;
    }
}
