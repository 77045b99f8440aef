using Rescind.Core.Accounts;
using Rescind.Server.Http;

namespace Rescind.Server.Hosting;

/// <summary>
/// What one API folder adds to Rescind: its credentials, services and jobs, its path prefixes with their error
/// envelope, its public routes, and its simulation routes under <c>/operator/{Name}</c>. Adding an API is one line
/// in <see cref="ApiModules.All"/>. Its <c>CancelTargets</c> plug its cancelable resources into Rescind's own
/// cancellation API and the operator console.
/// </summary>
public sealed record ApiModule(
    string Name,
    Action<CredentialKinds> AddCredentials,
    Action<IServiceCollection> AddServices,
    IReadOnlyList<string> PathPrefixes,
    IErrorEnvelope Envelope,
    Action<IEndpointRouteBuilder> MapRoutes,
    Action<RouteGroupBuilder> MapSimulation,
    SimulateVerb? Simulate = null,
    IReadOnlyList<Cancellations.CancelTarget>? CancelTargets = null);

/// <summary>
/// The API's <c>rescind simulate &lt;api&gt; &lt;action&gt;</c> verb: one outside-world event from the command line,
/// answered as the operator route would answer it (printed; exit 0 for 2xx, 1 otherwise).
/// </summary>
public sealed record SimulateVerb(
    string Usage,
    IReadOnlyList<string> Options,
    IReadOnlyList<string> Actions,
    Func<string, Cli.CliArgs, IServiceProvider, Task<Rescind.Core.Coordination.StoredResponse>> RunAsync);

public static class ApiModules
{
    public static IReadOnlyList<ApiModule> All { get; } =
    [
        Numeral.NumeralModule.Module,
        DigiCert.DigiCertModule.Module,
        CrissCross.CrissCrossModule.Module,
        GoCardless.GoCardlessModule.Module,
        Circle.CircleModule.Module,
        Cancellations.RescindModule.Module,
    ];
}
