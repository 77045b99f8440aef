using System.Net;
using System.Net.Http.Headers;
using Rescind.Testing;

namespace Rescind.Testing.Sample;

/// <summary>What <see cref="RescindTestServer"/> promises: real HTTP on loopback, every API's credential on the
/// fresh account, and nothing left behind.</summary>
public sealed class RescindTestServerTests
{
    [Fact]
    public async Task The_fresh_account_holds_a_working_credential_for_every_API()
    {
        await using var rescind = await RescindTestServer.StartAsync();
        var a = rescind.Account;
        using var http = rescind.CreateClient();

        Assert.Equal("127.0.0.1", rescind.BaseAddress.Host);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, "/tax/certificate-requests", ("Authorization", "Bearer " + a.NumeralLiveKey), ("X-API-Version", "2026-03-01")));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, "/services/v2/order/certificate", ("X-DC-DEVKEY", a.DigiCertApiKey)));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, "/v1/w3s/walletSets", ("Authorization", "Bearer " + a.CircleTestApiKey)));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, "/creditors", ("Authorization", "Bearer " + a.GoCardlessSandboxToken), ("GoCardless-Version", "2015-07-06")));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, "/v1/cancellations", ("Authorization", "Bearer " + a.RescindLiveKey)));
        using var token = await http.PostAsync("/v1/auth/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = a.CrissCrossClientId, ["client_secret"] = a.CrissCrossClientSecret,
        }));
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Equal(64, a.CircleEntitySecret.Length);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, "/operator/accounts", ("Authorization", "Bearer " + rescind.OperatorToken)));
    }

    [Fact]
    public async Task Disposing_stops_the_server_and_removes_its_database_folder()
    {
        var rescind = await RescindTestServer.StartAsync();
        var folder = rescind.DataFolder;
        var address = rescind.BaseAddress;
        Assert.True(File.Exists(Path.Combine(folder, "rescind.db")));

        await rescind.DisposeAsync();

        Assert.False(Directory.Exists(folder));
        using var http = new HttpClient { BaseAddress = address };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/healthz"));
    }

    private static async Task<HttpStatusCode> GetAsync(HttpClient http, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            if (name == "Authorization")
            {
                request.Headers.Authorization = AuthenticationHeaderValue.Parse(value);
            }
            else
            {
                request.Headers.Add(name, value);
            }
        }
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
