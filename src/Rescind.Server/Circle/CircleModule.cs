using Rescind.Core.Storage;
using Rescind.Core.Accounts;
using Rescind.Core.Jobs;
using Rescind.Server.Hosting;

namespace Rescind.Server.Circle;

public sealed class CircleOptions
{
    /// <summary>How long an idempotencyKey is remembered [ours: 24 hours].</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>What the Circle folder adds to the host: its credentials, the entity secrets, the chains' job.</summary>
public static class CircleModule
{
    public static ApiModule Module { get; } = new(
        CircleStore.Api,
        AddCredentials,
        AddServices,
        ["/v1/w3s", "/v1/faucet", "/v2/notifications"],
        CircleEnvelope.Instance,
        app => app.MapCircle(),
        group => group.MapCircleSimulation(),
        CancelTargets: [CircleCancelTarget.Transactions], Commands: CircleCli.Commands, Schemes: [CircleApi.Credentials],
        NewRequestId: () => Guid.NewGuid().ToString("D")); // X-Request-Id: a UUID, as the vendor's XRequestId example [doc]

    /// <summary><c>TEST_API_KEY:&lt;id&gt;:&lt;secret&gt;</c> and <c>LIVE_API_KEY:…</c> [doc].</summary>
    public static void AddCredentials(CredentialKinds kinds) => kinds
        .Add(new CredentialKind(CircleStore.Api, "live", "LIVE_API_KEY:", SecretLength: 32, IdLength: 32))
        .Add(new CredentialKind(CircleStore.Api, "test", "TEST_API_KEY:", SecretLength: 32, IdLength: 32));

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<CircleEntitySecrets>();
        services.AddSingleton(new SealedColumn("circle_entities", "account_id", "private_key"));
        services.AddSingleton<IJob, CircleChainJob>();
        services.AddSingleton<Rescind.Core.Webhooks.IWebhookShape, CircleWebhookShape>();
        foreach (var invariant in CircleInvariants.All)
        {
            services.AddSingleton(invariant);
        }
    }
}
