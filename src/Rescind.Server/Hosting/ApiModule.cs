using Rescind.Core.Accounts;
using Rescind.Server.Http;

namespace Rescind.Server.Hosting;

/// <summary>
/// What one API folder adds to Rescind: its credentials, services and jobs, its path prefixes with their error
/// envelope, its public routes, and its simulation routes under <c>/operator/{Name}</c>. Adding an API is one line
/// in <see cref="ApiModules.All"/>.
/// </summary>
public sealed record ApiModule(
    string Name,
    Action<CredentialKinds> AddCredentials,
    Action<IServiceCollection> AddServices,
    IReadOnlyList<string> PathPrefixes,
    IErrorEnvelope Envelope,
    Action<IEndpointRouteBuilder> MapRoutes,
    Action<RouteGroupBuilder> MapSimulation);

public static class ApiModules
{
    public static IReadOnlyList<ApiModule> All { get; } =
    [
        Numeral.NumeralModule.Module,
        DigiCert.DigiCertModule.Module,
        CrissCross.CrissCrossModule.Module,
        GoCardless.GoCardlessModule.Module,
        Circle.CircleModule.Module,
    ];
}
