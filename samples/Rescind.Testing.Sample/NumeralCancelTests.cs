using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rescind.Testing;

namespace Rescind.Testing.Sample;

/// <summary>
/// What a team's own test suite does with Rescind.Testing: one Rescind per test class (an xunit class fixture),
/// driven over HTTP as the team's Numeral client would drive Numeral.
/// </summary>
public sealed class NumeralCancelTests(RescindFixture rescind) : IClassFixture<RescindFixture>
{
    [Fact]
    public async Task A_pending_certificate_request_is_canceled_and_a_second_cancel_answers_the_same()
    {
        using var numeral = rescind.Server.CreateClient();
        numeral.DefaultRequestHeaders.Authorization = new("Bearer", rescind.Server.Account.NumeralLiveKey);
        numeral.DefaultRequestHeaders.Add("X-API-Version", "2026-03-01");

        using var customer = await numeral.PostAsJsonAsync("/tax/customers", new { name = "Acme Corp", email = "tax@acme.example" });
        Assert.Equal(HttpStatusCode.OK, customer.StatusCode);
        var customerId = (await customer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var created = await numeral.PostAsJsonAsync("/tax/certificate-requests",
            new { customer_id = customerId, certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var request = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("pending", request.GetProperty("status").GetString());

        using var canceled = await numeral.DeleteAsync("/tax/certificate-requests/" + request.GetProperty("id").GetString());
        var body = await canceled.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        Assert.Equal("canceled", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());

        using var again = await numeral.DeleteAsync("/tax/certificate-requests/" + request.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(body, await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Another_account_cannot_see_the_first_accounts_requests()
    {
        var other = await rescind.Server.CreateAccountAsync("Other");
        using var numeral = rescind.Server.CreateClient();
        numeral.DefaultRequestHeaders.Authorization = new("Bearer", other.NumeralLiveKey);
        numeral.DefaultRequestHeaders.Add("X-API-Version", "2026-03-01");

        using var list = await numeral.GetAsync("/tax/certificate-requests");

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Empty((await list.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("certificate_requests").EnumerateArray());
    }
}

/// <summary>One Rescind for the test class: started before its first test, removed after its last.</summary>
public sealed class RescindFixture : IAsyncLifetime
{
    public RescindTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RescindTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
