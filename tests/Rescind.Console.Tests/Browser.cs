using Microsoft.Playwright;

namespace Rescind.Console.Tests;

/// <summary>
/// Debian's headless Chromium, driven by Playwright (never a downloaded browser). Missing, the browser tests are
/// skipped with a loud reason outside CI and fail under CI=true; test.sh installs it when it runs as root.
/// </summary>
public static class Browser
{
    /// <summary>RESCIND_CHROMIUM, else the first Debian/Ubuntu chromium binary found.</summary>
    public static string? Executable { get; } =
        new[] { Environment.GetEnvironmentVariable("RESCIND_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is "true" or "1";

    public const string MissingMessage =
        "!!! BROWSER TESTS SKIPPED: no chromium binary (apt-get install chromium, or set RESCIND_CHROMIUM). CI runs them. !!!";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var executable = Executable ?? throw new InvalidOperationException(MissingMessage);
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // Root in CI containers cannot use Chromium's sandbox; /dev/shm is small there.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        return (playwright, browser);
    }

    /// <summary>Where screenshots go: RESCIND_TEST_RESULTS, else the project's TestResults/console-screenshots.</summary>
    public static string ScreenshotDirectory(string test)
    {
        var root = Environment.GetEnvironmentVariable("RESCIND_TEST_RESULTS") is { Length: > 0 } r
            ? r
            : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "TestResults"));
        var dir = Path.Combine(root, "console-screenshots", test);
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>A test that needs the browser: skipped (loudly) without chromium, unless CI=true, where it runs and
/// fails.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (Browser.Executable is null && !Browser.IsCi)
        {
            Skip = Browser.MissingMessage;
        }
    }
}
