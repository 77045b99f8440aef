using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Circle;
using Rescind.Server.Hosting;

namespace Rescind.Testing;

/// <summary>What <see cref="RescindTestServer.StartAsync"/> may change.</summary>
public sealed class RescindTestServerOptions
{
    /// <summary>Configuration keys (as <c>rescind serve --Key=value</c> takes them), applied last, e.g.
    /// <c>["Rescind:Jobs:Enabled"] = "false"</c> to run the clock-driven jobs only when the test asks.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Services to replace (e.g. a <c>TimeProvider</c>), after Rescind has registered its own.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Where the temp folder with the SQLite database is made (default: the system's temp folder).</summary>
    public string? TempRoot { get; set; }
}

/// <summary>
/// Rescind, started in the test process by the same host <c>rescind serve</c> builds: every API on real loopback HTTP
/// (a free port), on an embedded SQLite database in a temp folder of its own, with an operator token and a fresh
/// account holding every API's credentials. Disposing it stops the host and removes the folder.
/// <code>
/// await using var rescind = await RescindTestServer.StartAsync();
/// using var http = rescind.CreateClient();
/// http.DefaultRequestHeaders.Authorization = new("Bearer", rescind.Account.NumeralLiveKey);
/// </code>
/// </summary>
public sealed class RescindTestServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly string folder;
    private int disposed;

    private RescindTestServer(WebApplication app, string folder, Uri baseAddress, string operatorToken)
    {
        this.app = app;
        this.folder = folder;
        BaseAddress = baseAddress;
        OperatorToken = operatorToken;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:40123/</c>: every vendor API's paths are under it.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The operator credential (<c>/operator/…</c>, the console): simulate the outside world with it.</summary>
    public string OperatorToken { get; }

    /// <summary>The account made at start.</summary>
    public RescindTestAccount Account { get; private set; } = null!;

    /// <summary>The host's services (the database, the coordinator), for what a test cannot reach over HTTP.</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>The folder holding the database; removed on dispose.</summary>
    public string DataFolder => folder;

    /// <summary>Starts Rescind and makes its first account; returns once every API answers.</summary>
    public static async Task<RescindTestServer> StartAsync(RescindTestServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new RescindTestServerOptions();
        var folder = (options.TempRoot is { } root ? Directory.CreateDirectory(Path.Combine(root, "rescind-" + Guid.NewGuid().ToString("N")[..12]))
            : Directory.CreateTempSubdirectory("rescind-testing-")).FullName;
        var token = "op_test_" + Ids.Secret(40);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Rescind:Data"] = folder,
            ["Rescind:OperatorToken"] = token,
            ["urls"] = "http://127.0.0.1:0",
            // A test sends many requests from one credential; the vendors' rate limits stay off unless asked for.
            ["Rescind:RateLimit:PermitsPerSecond"] = "0",
            // The test's webhook receivers listen on loopback.
            ["Rescind:Outbound:AllowPrivateNetworks"] = "true",
            ["Logging:LogLevel:Default"] = "Warning",
            // The console's key ring lives in the database; the warning that it is not encrypted is noise in a test.
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        };
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }
        var app = ServerApp.Build([.. settings.Where(s => s.Value is not null).Select(s => $"--{s.Key}={s.Value}")],
            b => options.ConfigureServices?.Invoke(b.Services));
        RescindTestServer? server = null;
        try
        {
            await app.StartAsync(ct);
            await app.Services.GetRequiredService<SchemaGate>().WaitAsync(ct);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server = new RescindTestServer(app, folder, new Uri(address.TrimEnd('/') + "/"), token);
            server.Account = await server.CreateAccountAsync("Test", ct);
            return server;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            else
            {
                await app.DisposeAsync();
                RemoveFolder(folder);
            }
            throw;
        }
    }

    /// <summary>Another account, with every API's credentials of its own (and its Circle entity secret registered):
    /// what one account does is invisible to the others.</summary>
    public async Task<RescindTestAccount> CreateAccountAsync(string name = "Test", CancellationToken ct = default)
    {
        var created = await Services.GetRequiredService<AccountStore>().CreateAccountAsync(name, Actor.Operator(null), ct);
        var entitySecret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await Services.GetRequiredService<CircleEntitySecrets>().RegisterAsync(created.Account.Id, entitySecret, Actor.Operator(null), ct);
        return new RescindTestAccount(created.Account.Id, created.Account.Name,
            [.. created.Credentials.Select(c => new RescindCredential(c.Api, c.Mode, c.Secret))], entitySecret);
    }

    /// <summary>An <see cref="HttpClient"/> whose base address is the server's root.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Stops the host and removes the database's folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        try
        {
            await app.StopAsync();
        }
        finally
        {
            await app.DisposeAsync();
            RemoveFolder(folder);
        }
    }

    private static void RemoveFolder(string folder)
    {
        // The pool would keep the database file open past the host.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle closing a moment late; the folder is under the temp root, which the OS cleans.
        }
        catch (UnauthorizedAccessException)
        {
            // As above, on Windows.
        }
    }
}

/// <summary>One credential: the API it opens, its mode (live, test, sandbox) and the secret a client presents.</summary>
public sealed record RescindCredential(string Api, string Mode, string Secret);

/// <summary>A Rescind account (a tenant) with every API's credentials, named as each vendor names them.</summary>
public sealed record RescindTestAccount(string Id, string Name, IReadOnlyList<RescindCredential> Credentials, string CircleEntitySecret)
{
    /// <summary>The secret of <paramref name="api"/> in <paramref name="mode"/>.</summary>
    public string Secret(string api, string mode) =>
        Credentials.FirstOrDefault(c => c.Api == api && c.Mode == mode)?.Secret
        ?? throw new ArgumentException($"no {api} credential in mode {mode}; the account has: " + string.Join(", ", Credentials.Select(c => c.Api + "/" + c.Mode)));

    /// <summary>Numeral: <c>Authorization: Bearer sk_live_…</c> (with <c>X-API-Version</c>).</summary>
    public string NumeralLiveKey => Secret("numeral", "live");

    /// <summary>Numeral's test-mode key.</summary>
    public string NumeralTestKey => Secret("numeral", "test");

    /// <summary>DigiCert CertCentral: the <c>X-DC-DEVKEY</c> header.</summary>
    public string DigiCertApiKey => Secret("digicert", "live");

    /// <summary>CrissCross Collect's OAuth2 client id: the merchant (account) id.</summary>
    public string CrissCrossClientId => Id;

    /// <summary>CrissCross Collect's OAuth2 client secret, for <c>POST /v1/auth/oauth2/token</c>.</summary>
    public string CrissCrossClientSecret => Secret("crisscross", "live");

    /// <summary>Circle: <c>Authorization: Bearer TEST_API_KEY:…</c>; ciphertexts are made from
    /// <see cref="CircleEntitySecret"/>, registered for this account.</summary>
    public string CircleTestApiKey => Secret("circle", "test");

    /// <summary>Circle's live key (mainnets).</summary>
    public string CircleLiveApiKey => Secret("circle", "live");

    /// <summary>GoCardless: <c>Authorization: Bearer sandbox_…</c> (with <c>GoCardless-Version</c>).</summary>
    public string GoCardlessSandboxToken => Secret("gocardless", "sandbox");

    /// <summary>GoCardless's live access token (data apart from the sandbox's).</summary>
    public string GoCardlessLiveToken => Secret("gocardless", "live");

    /// <summary>Rescind's own cancellation API (<c>/v1/resources</c>, <c>/v1/cancellations</c>).</summary>
    public string RescindLiveKey => Secret("rescind", "live");

    /// <summary>Rescind's own API in test mode.</summary>
    public string RescindTestKey => Secret("rescind", "test");
}
