using Rescind.Core.Accounts;
using Rescind.Core.Jobs;
using Rescind.Server.Hosting;

namespace Rescind.Server.Numeral;

public sealed class NumeralOptions
{
    /// <summary>How often a pending request's customer is reminded [ours: default 3 days].</summary>
    public TimeSpan ReminderInterval { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long an Idempotency-Key on a create is remembered [ours: 24 hours].</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>What the Numeral folder adds to the host: its credentials, jobs and options.</summary>
public static class NumeralModule
{
    public const string Version = "2026-03-01";

    public static ApiModule Module { get; } = new(
        NumeralStore.Api,
        AddCredentials,
        AddServices,
        ["/tax"],
        NumeralEnvelope.Instance,
        app => app.MapNumeral(),
        group => group.MapNumeralSimulation(),
        new SimulateVerb(
            "rescind simulate numeral submit|accept|reject --request ID\n       rescind simulate numeral outstanding --customer ID",
            ["request", "customer"],
            [.. NumeralSimulation.Actions, "outstanding"],
            NumeralSimulation.RunFromCliAsync),
        [NumeralCancelTarget.Requests],
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Schemes: [NumeralApi.Credentials]);

    public static void AddCredentials(CredentialKinds kinds) => kinds
        .Add(new CredentialKind(NumeralStore.Api, "live", "sk_live_"))
        .Add(new CredentialKind(NumeralStore.Api, "test", "sk_test_"));

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<IJob, NumeralExpiryJob>();
        // The operator document is camelCase; Numeral's objects in it (the simulation's answers) are snake_case.
        Http.OpenApiDocs.NameTypesOf(services, "operator", typeof(NumeralModule).Namespace, NumeralJson.Options.PropertyNamingPolicy!);
        services.AddSingleton<IJob, NumeralReminderJob>();
        services.AddSingleton<Rescind.Core.Webhooks.IWebhookShape, NumeralWebhookShape>();
        foreach (var invariant in NumeralInvariants.All)
        {
            services.AddSingleton(invariant);
        }
    }
}
