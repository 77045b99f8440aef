using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Core.Accounts;
using Rescind.Core.Storage;

namespace Rescind.Server.OperatorConsole.Pages;

public sealed class SignInModel(AccountStore accounts, Database db, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? token, CancellationToken ct)
    {
        // Checked exactly as the operator API checks its bearer token.
        var principal = await accounts.AuthenticateAsync(AccountStore.OperatorApi, token?.Trim() ?? "", ct);
        if (principal is null)
        {
            Error = "That is not an active operator token.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        var session = await ConsoleSessions.StartAsync(db, clock, principal.CredentialId, ct);
        await HttpContext.SignInAsync(ConsoleModule.Scheme, ConsoleModule.Principal(principal.CredentialId, session), new AuthenticationProperties { IsPersistent = false });
        return LocalRedirect(ReturnUrl is { } r && Url.IsLocalUrl(r) && r.StartsWith("/console", StringComparison.Ordinal) ? r : "/console");
    }
}
