using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Rescind.Core.Storage;

namespace Rescind.Server.OperatorConsole;

/// <summary>
/// The operator console at <c>/console</c>: server-rendered Razor Pages (no front-end build, no script) behind the
/// operator credential. Signing in exchanges an <c>op_…</c> token for an HttpOnly, SameSite=Strict cookie (Secure
/// over HTTPS); every form carries an antiforgery token; every cancel goes through
/// <see cref="Cancellations.CancelService"/> with the operator's credential as the actor.
/// </summary>
public static class ConsoleModule
{
    public const string Scheme = "RescindConsole";
    public const string Policy = "RescindOperator";
    public const string CredentialClaim = "rescind:operator_credential";
    public const string CookieName = "rescind_console";

    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        DatabaseXmlRepository.AddTo(services);
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Console/Pages";
            o.Conventions.AuthorizeFolder("/", Policy);
            o.Conventions.AllowAnonymousToPage("/SignIn");
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "rescind_console_csrf";
            o.Cookie.Path = "/console";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddAuthentication(Scheme).AddCookie(Scheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.Path = "/console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/console/signin";
            o.AccessDeniedPath = "/console/signin";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = StillValidAsync;
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireClaim(CredentialClaim));
        return services;
    }

    /// <summary>The console's pages are markup and one stylesheet, no script: a policy that allows nothing else,
    /// no framing, no sniffing, no referrer, and (over HTTPS) HSTS.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IApplicationBuilder UseConsoleHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (http.Request.Path.StartsWithSegments("/console", StringComparison.OrdinalIgnoreCase))
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            if (http.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000";
            }
        }
        return next(http);
    });

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapRazorPages();
        app.MapGet("/console/console.css", () => Results.Text(Css.Value, "text/css; charset=utf-8")).ExcludeFromDescription().AllowAnonymous();
        return app;
    }

    /// <summary>The signed-in operator's credential id (the actor of every cancel from the console).</summary>
    public static string CredentialId(ClaimsPrincipal user) => user.FindFirstValue(CredentialClaim)!;

    public static ClaimsPrincipal Principal(string credentialId, string session) =>
        new(new ClaimsIdentity([new Claim(CredentialClaim, credentialId), new Claim(ConsoleSessions.SessionClaim, session)], Scheme));

    /// <summary>The signed-in console session's id, if the principal carries one.</summary>
    public static string? SessionId(ClaimsPrincipal user) => user.FindFirstValue(ConsoleSessions.SessionClaim);

    // A revoked operator credential ends its console sessions at their next request, as it ends its API access; a
    // session signed out (or older than its bound) opens nothing, whoever holds a copy of its cookie.
    private static async Task StillValidAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(CredentialClaim);
        var session = context.Principal is { } p ? SessionId(p) : null;
        var services = context.HttpContext.RequestServices;
        if (id is null || session is null || !await ConsoleSessions.ActiveAsync(
                services.GetRequiredService<Database>(), services.GetRequiredService<TimeProvider>(), session, id, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
        }
    }

    private static readonly Lazy<string> Css = new(() =>
    {
        using var stream = typeof(ConsoleModule).Assembly.GetManifestResourceStream("Rescind.Server.Console.console.css")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
