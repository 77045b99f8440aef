using Rescind.Core.Accounts;
using Rescind.Server.Http;

namespace Rescind.Server.Hosting;

/// <summary>
/// What one API folder adds to Rescind: its credentials, services and jobs, its path prefixes with their error
/// envelope, its public routes, and its simulation routes under <c>/operator/{Name}</c>. Adding an API is one line
/// in <see cref="ApiModules.All"/>. Its <c>CancelTargets</c> plug its cancelable resources into Rescind's own
/// cancellation API and the operator console. <c>JsonNaming</c> is the naming of its JSON when it is not camelCase
/// (its OpenAPI document's schemas follow it). <c>Commands</c> are its own verbs of the <c>rescind</c> command line
/// (besides <c>simulate</c>), e.g. <c>rescind circle mine</c>. <c>Schemes</c> are its credential schemes (ASP.NET
/// Core authentication schemes with a policy each, which its route groups require). <c>NewRequestId</c> makes the
/// <c>X-Request-Id</c> of a request to its paths that came without one, where the vendor documents its shape.
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
    IReadOnlyList<Cancellations.CancelTarget>? CancelTargets = null,
    System.Text.Json.JsonNamingPolicy? JsonNaming = null,
    Func<IEnumerable<System.CommandLine.Command>>? Commands = null,
    IReadOnlyList<CredentialScheme>? Schemes = null,
    Func<string>? NewRequestId = null);

/// <summary>
/// The API's <c>rescind simulate &lt;api&gt; &lt;action&gt;</c> verb: one outside-world event from the command line,
/// answered as the operator route would answer it (printed; exit 0 when the event took effect or had already,
/// 1 otherwise).
/// </summary>
public sealed record SimulateVerb(
    string Usage,
    IReadOnlyList<string> Options,
    IReadOnlyList<string> Actions,
    Func<string, Cli.CliArgs, IServiceProvider, Task<Simulated>> RunAsync);

/// <summary>What a simulated event did: whether it succeeded (from its outcome) and the API's JSON to print.</summary>
public sealed record Simulated(bool Succeeded, string Output)
{
    public static Simulated Of<T>(Rescind.Core.Coordination.Outcome<T> outcome, Func<Rescind.Core.Coordination.Outcome<T>, string> render) =>
        new(outcome is Rescind.Core.Coordination.Outcome<T>.Done or Rescind.Core.Coordination.Outcome<T>.AlreadyDone or Rescind.Core.Coordination.Outcome<T>.Deferred,
            render(outcome));
}

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
