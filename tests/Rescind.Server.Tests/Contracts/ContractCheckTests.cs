using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Rescind.Server.Http;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Contracts;

/// <summary>The contract check every test request goes through: it passes what its document describes and fails
/// what it does not (so a test that makes a request whose answer breaks the document fails).</summary>
public sealed class ContractCheckTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    private ContractCheck Check => server.Services.GetRequiredService<ContractCheck>();

    private Task<string?> CheckAsync(string document, string method, string template, int status, string body, string contentType = "application/json") =>
        Check.ViolationAsync(document, method, template, status, contentType, Encoding.UTF8.GetBytes(body));

    [Fact]
    public async Task A_real_answer_passes_and_its_bytes_changed_fail()
    {
        var t = await Tenant.CreateAsync(server);
        var created = await t.Numeral(HttpMethod.Post, "/tax/customers", new { name = "Buyer", email = "buyer@example.com" });
        Assert.Equal(201, created.Code);
        Assert.Null(await CheckAsync("numeral", "GET", "/tax/customers/{id}", 200, created.Body));

        var missing = created.Json.EnumerateObject().Where(p => p.Name != "id").ToDictionary(p => p.Name, p => p.Value);
        Assert.Contains("id", await CheckAsync("numeral", "GET", "/tax/customers/{id}", 200, System.Text.Json.JsonSerializer.Serialize(missing)));

        var extra = created.Json.EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value);
        extra["undocumented"] = 1;
        Assert.NotNull(await CheckAsync("numeral", "GET", "/tax/customers/{id}", 200, System.Text.Json.JsonSerializer.Serialize(extra)));

        var wrongType = created.Body.Replace("\"object\":\"customer\"", "\"object\":7", StringComparison.Ordinal);
        Assert.NotEqual(created.Body, wrongType);
        Assert.NotNull(await CheckAsync("numeral", "GET", "/tax/customers/{id}", 200, wrongType));
    }

    [Fact]
    public async Task An_undeclared_status_an_unknown_operation_or_a_body_that_is_not_JSON_fail()
    {
        Assert.Contains("not declared", await CheckAsync("numeral", "GET", "/tax/customers/{id}", 418, "{}"));
        Assert.Contains("not in the document", await CheckAsync("numeral", "PATCH", "/tax/customers/{id}", 200, "{}"));
        Assert.Contains("Content-Type", await CheckAsync("numeral", "GET", "/tax/customers/{id}", 404, "<html/>", "text/html"));
        Assert.Contains("not JSON", await CheckAsync("numeral", "GET", "/tax/customers/{id}", 404, "{", "application/json"));
    }

    [Fact]
    public async Task Errors_are_checked_against_the_vendor_s_envelope()
    {
        Assert.Null(await CheckAsync("numeral", "GET", "/tax/customers/{id}", 404, """{"code":404,"type":"CUSTOMER_NOT_FOUND","message":"No such customer."}"""));
        Assert.NotNull(await CheckAsync("numeral", "GET", "/tax/customers/{id}", 404, """{"type":"about:blank","title":"Not Found","status":404}"""));
    }

    [Fact]
    public async Task A_server_with_the_check_on_answers_a_violation_as_a_500_that_names_it()
    {
        var t = await Tenant.CreateAsync(server);
        // The suite's handler turns the server's violation header into an exception in the test that sent it.
        using var raw = new HttpClient(new SuiteHandler { InnerHandler = new ViolatingHandler() }) { BaseAddress = new Uri("http://localhost") };
        var e = await Assert.ThrowsAsync<ContractViolationException>(() => raw.GetAsync("/anything"));
        Assert.Contains("status 418", e.Message);
        Assert.NotNull(t);
    }

    private sealed class ViolatingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var answer = new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError);
            answer.Headers.TryAddWithoutValidation(ContractChecks.Header, "GET /x → 418: status 418 is not declared");
            return Task.FromResult(answer);
        }
    }
}
