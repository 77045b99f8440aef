using Rescind.Core.Accounts;
using Rescind.Core.Jobs;
using Rescind.Server.Hosting;

namespace Rescind.Server.DigiCert;

/// <summary>What the DigiCert folder adds to the host: one live dev key per account (CertCentral has no test
/// mode [doc]), the expiry job, and the <c>/services</c> prefix answered in DigiCert's envelope.</summary>
public static class DigiCertModule
{
    public static ApiModule Module { get; } = new(
        DigiCertStore.Api,
        AddCredentials,
        AddServices,
        ["/services"],
        DigiCertEnvelope.Instance,
        app => app.MapDigiCert(),
        group => group.MapDigiCertSimulation(),
        new SimulateVerb(
            "rescind simulate digicert validate|generate|expire --order ID",
            ["order"],
            DigiCertSimulation.Actions,
            DigiCertSimulation.RunFromCliAsync),
        [DigiCertCancelTarget.Orders],
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Schemes: [DigiCertApi.Credentials]);

    /// <summary>Dev keys look like DigiCert's: no prefix, 48 characters [ours].</summary>
    public static void AddCredentials(CredentialKinds kinds) => kinds.Add(new CredentialKind(DigiCertStore.Api, "live", "", 48));

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<IJob, DigiCertExpiryJob>();
        // The operator document is camelCase; DigiCert's objects in it (the simulation's answers) are snake_case.
        Http.OpenApiDocs.NameTypesOf(services, "operator", typeof(DigiCertModule).Namespace, DigiCertJson.Options.PropertyNamingPolicy!);
        services.AddSingleton<Rescind.Core.Webhooks.IWebhookShape, DigiCertWebhookShape>();
        foreach (var invariant in DigiCertInvariants.All)
        {
            services.AddSingleton(invariant);
        }
    }
}
