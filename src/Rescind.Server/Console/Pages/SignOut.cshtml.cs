using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Core.Storage;

namespace Rescind.Server.OperatorConsole.Pages;

public sealed class SignOutModel(Database db, TimeProvider clock) : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Index");

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (ConsoleModule.SessionId(User) is { } session)
        {
            await ConsoleSessions.EndAsync(db, clock, session, ct);
        }
        await HttpContext.SignOutAsync(ConsoleModule.Scheme);
        return LocalRedirect("/console/signin");
    }
}
