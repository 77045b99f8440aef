using Rescind.Core.Accounts;
using Rescind.Core.Jobs;
using Rescind.Server.Hosting;

namespace Rescind.Server.CrissCross;

public sealed class CrissCrossOptions
{
    /// <summary>Lifetime of a bearer token from the token endpoint [ours: 1 hour].</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an Idempotency-Key is remembered [ours: 24 hours].</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A session's lifetime when the create names no <c>expiresInSeconds</c> [ours: 1 hour].</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Where a session's <c>paymentLink</c> points (the hosted checkout page is not simulated) [ours].</summary>
    public string PaymentLinkBase { get; set; } = "https://pay.crisscross.invalid/checkout";

    /// <summary>How long a refund stays PENDING before the simulated provider pays it back [ours: 5 seconds].</summary>
    public TimeSpan RefundSettlementDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>What the CrissCross folder adds to the host: its client credentials, jobs and options.</summary>
public static class CrissCrossModule
{
    public static ApiModule Module { get; } = new(
        CrissCrossStore.Api,
        AddCredentials,
        AddServices,
        ["/v1/checkout", "/v1/payment", "/v1/auth", "/v1/reports"],
        CrissCrossEnvelope.Instance,
        app => app.MapCrissCross(),
        group => group.MapCrissCrossSimulation(),
        new SimulateVerb(
            "rescind simulate crisscross process|complete|fail|error|expire|settle --transaction ID",
            ["transaction"],
            CrissCrossSimulation.Actions,
            CrissCrossSimulation.RunFromCliAsync),
        [CrissCrossCancelTarget.Sessions],
        Schemes: [CrissCrossApi.Credentials]);

    /// <summary>One client secret per account [ours: live only; the client id is the account id].</summary>
    public static void AddCredentials(CredentialKinds kinds) => kinds.Add(new CredentialKind(CrissCrossStore.Api, "live", "ccs_live_", 40));

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton(CrissCrossApi.TokenAudit); // a token issued is credential use, kept as Rescind:Retention:CredentialAudit says
        // The web host registers IConfiguration; the CLI's offline verbs do not (they run on the defaults).
        services.AddOptions<CrissCrossOptions>().Configure<IServiceProvider>((o, sp) =>
            sp.GetService<IConfiguration>()?.GetSection("Rescind:CrissCross").Bind(o));
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<PaymentIdConstraint>(PaymentIdConstraint.Name));
        services.AddSingleton<IJob, CrissCrossProviderTimeoutJob>();
        services.AddSingleton<IJob, CrissCrossSessionExpiryJob>();
        services.AddSingleton<IJob, CrissCrossRefundSettlementJob>();
        services.AddSingleton<Rescind.Core.Webhooks.IWebhookShape, CrissCrossWebhookShape>();
        foreach (var invariant in CrissCrossInvariants.All)
        {
            services.AddSingleton(invariant);
        }
    }
}
