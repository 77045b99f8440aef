using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Rescind.Core.Accounts;
using Rescind.Core.Jobs;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.Cancellations;

/// <summary>Rescind's own cancellation API as a module: a Rescind key per account and mode, the scheduled
/// cancellations job, problem details under its prefixes, and its routes.</summary>
public static class RescindModule
{
    public static ApiModule Module { get; } = new(
        CancellationStore.Api,
        AddCredentials,
        AddServices,
        // /v1/reports stays Collect's prefix: its shared failures (404, 405, 413, 429) keep Collect's envelope.
        ["/v1/resources", "/v1/cancellations", "/v1/events"],
        ProblemEnvelope.Instance,
        app => app.MapCancellations(),
        _ => { },
        JsonNaming: System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Schemes: [CancellationsApi.Credentials]);

    public static void AddCredentials(CredentialKinds kinds) => kinds
        .Add(new CredentialKind(CancellationStore.Api, "live", "rk_live_"))
        .Add(new CredentialKind(CancellationStore.Api, "test", "rk_test_"));

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<CancellationRunner>();
        services.AddSingleton<IJob, CancellationJob>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, RescindKeyMatcherPolicy>());
    }
}
