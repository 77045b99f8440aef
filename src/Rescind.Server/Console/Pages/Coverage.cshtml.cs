using Microsoft.AspNetCore.Mvc.RazorPages;
using Rescind.Server.Coverage;

namespace Rescind.Server.OperatorConsole.Pages;

/// <summary>Which of each vendor's operations this build serves, and which the suite and the official clients call.</summary>
public sealed class CoverageModel : PageModel
{
    public IReadOnlyList<CoveragePage.ApiRows> Apis { get; } = CoveragePage.Apis();

    public void OnGet()
    {
    }
}
