using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Rescind.Console.Tests;

/// <summary>
/// The operator console in headless Chromium against <c>rescind serve --demo</c>: what a newcomer does with the
/// URL and token it prints. Each step leaves a screenshot under the test results directory.
/// </summary>
public sealed class ConsoleBrowserTests(DemoServer demo) : IClassFixture<DemoServer>
{
    [BrowserFact]
    public async Task An_operator_signs_in_cancels_the_demo_request_sees_a_refusal_and_signs_out()
    {
        var refusedId = await FulfilledRequestAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var shots = Browser.ScreenshotDirectory(nameof(An_operator_signs_in_cancels_the_demo_request_sees_a_refusal_and_signs_out));
        var step = 0;
        async Task ShotAsync(string name) =>
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, $"{++step:00}-{name}.png"), FullPage = true });

        // Signing in: the console sends an anonymous visitor to the form; the token goes in by keyboard.
        await page.GotoAsync(demo.ConsoleUrl);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/console/signin"));
        await page.GetByLabel("Operator token").FillAsync("op_not-a-token");
        await page.GetByLabel("Operator token").PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not an active operator token");
        await ShotAsync("bad-token");
        await page.GetByLabel("Operator token").FillAsync(demo.OperatorToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Exact = true })).ToBeVisibleAsync();
        await ShotAsync("overview");

        // Filter to pending and open the demo request.
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Tax certificate request" }).ClickAsync();
        foreach (var box in await page.GetByRole(AriaRole.Checkbox).AllAsync())
        {
            await box.UncheckAsync();
        }
        await page.GetByLabel("pending (pending)").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("in pending");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = refusedId })).ToHaveCountAsync(0);
        await ShotAsync("filtered-to-pending");
        await page.GetByRole(AriaRole.Link, new() { Name = demo.DemoRequestId }).ClickAsync();
        await Assertions.Expect(page.Locator("#resource-state")).ToHaveTextAsync("pending");
        await ShotAsync("detail");

        // The dialog shows the dry run; confirming cancels.
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Cancel this") }).ClickAsync();
        var dialog = page.Locator("section.dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("pending → canceled");
        await Assertions.Expect(dialog).ToContainTextAsync("The scheduled reminder e-mails to the customer stop.");
        await Assertions.Expect(dialog).ToContainTextAsync("This cannot be undone.");
        await ShotAsync("cancel-dialog");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel it now" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-state")).ToHaveTextAsync("canceled");
        var entry = page.Locator("table.audit tbody tr");
        await Assertions.Expect(entry).ToHaveCountAsync(1);
        await Assertions.Expect(entry).ToContainTextAsync("pending → canceled");
        await Assertions.Expect(entry).ToContainTextAsync("operator");
        await ShotAsync("canceled-with-audit-entry");
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to " + demo.DemoRequestId }).ClickAsync();
        await Assertions.Expect(page.Locator("#resource-state")).ToHaveTextAsync("canceled");
        await ShotAsync("detail-after-cancel");
        Assert.Equal("canceled", await NumeralStatusAsync(demo.DemoRequestId));

        // A cancel the API refuses: the dialog shows Numeral's own code and message and offers no confirm.
        await page.GotoAsync($"{demo.ConsoleUrl}/r/numeral/tax.certificate_request/{refusedId}/cancel");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("REQUEST_ALREADY_FULFILLED");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync(await RefusalMessageAsync(refusedId));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel it now" })).ToHaveCountAsync(0);
        await ShotAsync("refused");
        Assert.Equal("fulfilled", await NumeralStatusAsync(refusedId));

        // Narrow window: the same page stays usable.
        await page.SetViewportSizeAsync(390, 800);
        await ShotAsync("narrow-window");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/console/signin$"));
        await page.GotoAsync(demo.ConsoleUrl + "/audit");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/console/signin"));
        await ShotAsync("signed-out");
    }

    // ---- the demo account, over its own APIs ------------------------------------------------------------

    private HttpClient Api(string bearer)
    {
        var http = new HttpClient { BaseAddress = new Uri(demo.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        http.DefaultRequestHeaders.Add("X-API-Version", "2026-03-01");
        return http;
    }

    /// <summary>A request the customer has fulfilled: Numeral refuses to cancel it.</summary>
    private async Task<string> FulfilledRequestAsync()
    {
        using var numeral = Api(demo.NumeralLiveKey);
        using var op = Api(demo.OperatorToken);
        var customer = await Read(await numeral.PostAsJsonAsync("/tax/customers", new { reference_customer_id = "browser-buyer", name = "Browser Buyer", email = "b@example.com" }));
        var request = await Read(await numeral.PostAsJsonAsync("/tax/certificate-requests",
            new { customer_id = customer.GetProperty("id").GetString(), certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } }));
        var id = request.GetProperty("id").GetString()!;
        foreach (var action in new[] { "submit", "accept" })
        {
            await Read(await op.PostAsync($"/operator/numeral/certificate-requests/{id}/{action}", null));
        }
        return id;
    }

    private async Task<string> NumeralStatusAsync(string id)
    {
        using var numeral = Api(demo.NumeralLiveKey);
        return (await Read(await numeral.GetAsync("/tax/certificate-requests/" + id))).GetProperty("status").GetString()!;
    }

    private async Task<string> RefusalMessageAsync(string id)
    {
        using var numeral = Api(demo.NumeralLiveKey);
        var answer = await numeral.DeleteAsync("/tax/certificate-requests/" + id);
        Assert.Equal(409, (int)answer.StatusCode);
        return JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
    }

    private static async Task<JsonElement> Read(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
