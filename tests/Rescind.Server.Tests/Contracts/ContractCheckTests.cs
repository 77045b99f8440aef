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
        Assert.Equal(200, created.Code);
        Assert.Null(await CheckAsync("numeral", "GET", "/tax/customers/{id}", 200, created.Body));

        var missing = created.Json.EnumerateObject().Where(p => p.Name != "id").ToDictionary(p => p.Name, p => p.Value);
        Assert.Contains("id", await CheckAsync("numeral", "GET", "/tax/customers/{id}", 200, System.Text.Json.JsonSerializer.Serialize(missing)));

        var extra = created.Json.EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value);
        extra["undocumented"] = 1;
        Assert.NotNull(await CheckAsync("numeral", "GET", "/tax/customers/{id}", 200, System.Text.Json.JsonSerializer.Serialize(extra)));

        var wrongType = created.Body.Replace("\"object\":\"tax.customer\"", "\"object\":7", StringComparison.Ordinal);
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
}

/// <summary>A server whose Numeral document says a created customer has a field it never has: the server's own
/// check must turn the real answer into a 500 naming the break, and the suite's client must raise it.</summary>
public sealed class ContractCheckServerTests(ContractCheckServerTests.TamperedServer server) : IClassFixture<ContractCheckServerTests.TamperedServer>
{
    [Fact]
    public async Task An_answer_that_breaks_its_document_is_a_500_naming_the_break_and_fails_the_request()
    {
        var t = await Tenant.CreateAsync(server);
        var e = await Assert.ThrowsAsync<ContractViolationException>(() =>
            t.Numeral(HttpMethod.Post, "/tax/customers", new { name = "Buyer", email = "buyer@example.com" }));
        Assert.Contains("POST /tax/customers", e.Message);
        Assert.Contains("never_there", e.Message);

        // Past the suite's handler, the bytes are the API's own 500 envelope with the header.
        using var raw = server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>() is Microsoft.AspNetCore.TestHost.TestServer test ? test.CreateClient() : throw new InvalidOperationException();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/tax/customers") { Content = new StringContent("""{"name":"B","email":"b@example.com"}""", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + t.LiveKey);
        request.Headers.TryAddWithoutValidation("X-API-Version", Tenant.NumeralVersion);
        var answer = await raw.SendAsync(request);
        Assert.Equal(500, (int)answer.StatusCode);
        Assert.True(answer.Headers.Contains(ContractChecks.Header));
        var body = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(500, body.GetProperty("code").GetInt32());
    }

    public sealed class TamperedServer : SqliteServer
    {
        protected override void AddServices(IServiceCollection services) =>
            services.AddKeyedSingleton<Microsoft.AspNetCore.OpenApi.IOpenApiDocumentProvider>("numeral", new Tampered());
    }

    private sealed class Tampered : Microsoft.AspNetCore.OpenApi.IOpenApiDocumentProvider
    {
        public Task<Microsoft.OpenApi.OpenApiDocument> GetOpenApiDocumentAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult(new Microsoft.OpenApi.OpenApiDocument
            {
                Paths = new Microsoft.OpenApi.OpenApiPaths
                {
                    ["/tax/customers"] = new Microsoft.OpenApi.OpenApiPathItem
                    {
                        Operations = new Dictionary<HttpMethod, Microsoft.OpenApi.OpenApiOperation>
                        {
                            [HttpMethod.Post] = new()
                            {
                                Responses = new Microsoft.OpenApi.OpenApiResponses
                                {
                                    ["200"] = new Microsoft.OpenApi.OpenApiResponse
                                    {
                                        Description = "The created customer",
                                        Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                                        {
                                            ["application/json"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.Object, Required = new HashSet<string> { "never_there" } } },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            });
    }
}
