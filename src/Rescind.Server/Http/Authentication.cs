using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;

namespace Rescind.Server.Http;

/// <summary>
/// One credential scheme of one API: where the caller's secret is and how it resolves to a principal, and the API's
/// own 401 for a caller without one. Each scheme is an ASP.NET Core authentication scheme of the same name, with an
/// authorization policy of that name that a route group requires (<see cref="RequireCaller{TBuilder}"/>).
/// </summary>
/// <param name="Name">Scheme and policy name (the API's name, or <c>operator</c>).</param>
/// <param name="ResolveAsync">The principal the request's credential names, or null.</param>
/// <param name="Challenge">The API's answer to a request without a valid credential, in its envelope.</param>
/// <param name="ContentType">The content type of that answer.</param>
public sealed record CredentialScheme(
    string Name,
    Func<HttpContext, ValueTask<Principal?>> ResolveAsync,
    Func<HttpContext, StoredResponse> Challenge,
    string ContentType = "application/json");

/// <summary>The authenticated caller of an API request, as the scheme resolved it.</summary>
public sealed class CallerIdentity(Principal principal, string scheme) : ClaimsIdentity(scheme)
{
    public Principal Principal { get; } = principal;

    public override bool IsAuthenticated => true;
}

public static class CredentialSchemes
{
    /// <summary>Registers every API's schemes and their policies.</summary>
    public static IServiceCollection AddCredentialSchemes(this IServiceCollection services, IEnumerable<CredentialScheme> schemes)
    {
        var auth = services.AddAuthentication();
        var policies = services.AddAuthorizationBuilder();
        foreach (var scheme in schemes)
        {
            auth.AddScheme<CredentialSchemeOptions, CredentialSchemeHandler>(scheme.Name, o => o.Scheme = scheme);
            policies.AddPolicy(scheme.Name, p => p.AddAuthenticationSchemes(scheme.Name).RequireAuthenticatedUser());
        }
        return services;
    }

    /// <summary>The group's routes answer only callers of <paramref name="scheme"/>, and the others in its envelope.</summary>
    public static TBuilder RequireCaller<TBuilder>(this TBuilder builder, CredentialScheme scheme)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(scheme.Name);

    /// <summary>The principal of an authenticated API request.</summary>
    public static Principal Caller(this HttpContext http) =>
        http.User.Identities.OfType<CallerIdentity>().FirstOrDefault()?.Principal
        ?? throw new InvalidOperationException($"{http.Request.Path} reached its handler without an authenticated caller");

    /// <summary>The <c>Authorization: Bearer &lt;secret&gt;</c> lookup the APIs with plain bearer keys share.</summary>
    public static ValueTask<Principal?> BearerKeyAsync(HttpContext http, string api) =>
        SecretAsync(http, api, BearerSecret(http));

    /// <summary>The secret of an <c>Authorization: Bearer &lt;secret&gt;</c> header, or null. The scheme's name is
    /// matched without regard to case, as HTTP has it (RFC 9110 section 11.1): <c>bearer</c> is <c>Bearer</c>.</summary>
    public static string? BearerSecret(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    /// <summary>The principal a presented secret of <paramref name="api"/> names (null for none, unknown, revoked).</summary>
    public static ValueTask<Principal?> SecretAsync(HttpContext http, string api, string? secret) =>
        string.IsNullOrEmpty(secret)
            ? ValueTask.FromResult<Principal?>(null)
            : new ValueTask<Principal?>(http.RequestServices.GetRequiredService<AccountStore>().AuthenticateAsync(api, secret, http.RequestAborted));
}

public sealed class CredentialSchemeOptions : AuthenticationSchemeOptions
{
    public CredentialScheme Scheme { get; set; } = null!;
}

/// <summary>Runs a <see cref="CredentialScheme"/>: resolves the caller, and answers a challenge in the API's envelope.</summary>
public sealed class CredentialSchemeHandler(IOptionsMonitor<CredentialSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<CredentialSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var principal = await Options.Scheme.ResolveAsync(Context);
        return principal is null
            ? AuthenticateResult.NoResult()
            : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new CallerIdentity(principal, Scheme.Name)), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Options.Scheme.Challenge(Context).WriteAsync(Context, Options.Scheme.ContentType);
}
