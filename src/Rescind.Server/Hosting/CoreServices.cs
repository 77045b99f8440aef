using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;
using Rescind.Core.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Rescind.Server.Hosting;

/// <summary>The services every entry point shares: the web host, CLI verbs and tests.</summary>
public static class CoreServices
{
    public static IServiceCollection AddRescindCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RescindOptions>().Bind(configuration.GetSection(RescindOptions.Section));
        services.AddOptions<JobOptions>().Bind(configuration.GetSection("Rescind:Jobs"));
        services.AddOptions<Numeral.NumeralOptions>().Bind(configuration.GetSection("Rescind:Numeral"));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<RescindOptions>>().Value;
            var spec = options.DatabaseSpec();
            if (!spec.Contains('=', StringComparison.Ordinal) && !spec.Contains("://", StringComparison.Ordinal))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(spec))!);
            }
            return Database.Open(spec).WithGroupCommit(options.GroupCommit);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFaultInjector>(NoFaults.Instance);
        services.AddSingleton<SchemaGate>();
        services.AddOptions<SecretsOptions>().Bind(configuration.GetSection("Rescind:Secrets"));
        services.AddSingleton<SecretBox>();
        services.AddMetrics();
        services.AddSingleton<Rescind.Core.Telemetry.RescindMetrics>();
        services.AddSingleton<WebhookBacklog>();
        services.AddSingleton<Coordinator>();
        services.AddSingleton<Rescind.Server.Cancellations.CancelService>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<IJob, IdempotencyPurgeJob>();
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection("Rescind:Retention"));
        services.AddSingleton<IJob, RetentionJob>();
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection("Rescind:Webhooks"));
        services.AddSingleton<WebhookShapes>();
        services.AddSingleton<Verifier>();
        services.AddSingleton<WebhookStore>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddSingleton<IJob>(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddOptions<OutboundOptions>().Bind(configuration.GetSection("Rescind:Outbound"));
        services.AddSingleton<OutboundPolicy>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                UseProxy = false, // the address dialled is the one the policy checked
                ConnectCallback = sp.GetRequiredService<OutboundPolicy>().ConnectAsync,
            });

        var kinds = new CredentialKinds();
        foreach (var module in ApiModules.All)
        {
            module.AddCredentials(kinds);
            module.AddServices(services);
        }
        services.AddSingleton(kinds);
        return services;
    }

    /// <summary>Every assembly that carries migrations (the core's and the API folders' in this one).</summary>
    public static IEnumerable<System.Reflection.Assembly> MigrationAssemblies => [typeof(CoreServices).Assembly];

    public static Task MigrateAsync(IServiceProvider services, CancellationToken ct) =>
        Migrator.MigrateAsync(services.GetRequiredService<Database>(), MigrationAssemblies, ct);
}
