using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Console;

/// <summary>A browser-like console session over the test host: its own cookie jar, no automatic redirects, forms
/// posted with the antiforgery token of the page they came from.</summary>
public sealed partial class ConsoleSession(HttpClient client) : IDisposable
{
    public static ConsoleSession Anonymous(RescindServer server) =>
        new(server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    public static async Task<ConsoleSession> SignInAsync(RescindServer server, string? token = null)
    {
        var session = Anonymous(server);
        var answer = await session.SubmitAsync("/console/signin", new() { ["token"] = token ?? server.OperatorToken });
        Assert.True(answer.Status == HttpStatusCode.Redirect, answer.Body);
        return session;
    }

    public async Task<Answer> GetAsync(string path)
    {
        var response = await client.GetAsync(path);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    /// <summary>Opens <paramref name="path"/> and posts its form back with <paramref name="fields"/>, as a browser would.</summary>
    public async Task<Answer> SubmitAsync(string path, Dictionary<string, string> fields)
    {
        var page = await GetAsync(path);
        Assert.True(page.Code == 200, $"{path}: {page.Code} {page.Body}");
        fields["__RequestVerificationToken"] = Token(page.Body);
        return await PostAsync(path, fields);
    }

    public async Task<Answer> PostAsync(string path, Dictionary<string, string> fields)
    {
        var response = await client.PostAsync(path, new FormUrlEncodedContent(fields));
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public static string Token(string html) => AntiforgeryField().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new Xunit.Sdk.XunitException("no antiforgery token in the page");

    public void Dispose() => client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
