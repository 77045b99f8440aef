using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Rescind.Core;
using Rescind.Core.Storage;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>
/// A real Rescind host on a fresh database of its own (one per test class), with a fake clock that moves 1 ms on
/// every reading so timestamps stay distinct and ordered. Background jobs are off; tests run them on demand.
/// </summary>
public abstract class RescindServer : IAsyncLifetime
{
    private WebApplicationFactory<Program>? factory;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };

    public string OperatorToken { get; } = "op_test_" + Ids.Secret(24);

    public HttpClient Client { get; private set; } = null!;

    private bool started;

    public IServiceProvider Services => factory!.Services;

    public Database Db => Services.GetRequiredService<Database>();

    public abstract string Name { get; }

    /// <summary>Configuration a subclass adds (e.g. a tight rate limit).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [];

    /// <summary>Services a subclass replaces (e.g. a fault injector).</summary>
    protected virtual void AddServices(IServiceCollection services)
    {
    }

    protected abstract Task<string> CreateDatabaseAsync();

    protected virtual Task DropDatabaseAsync() => Task.CompletedTask;

    private readonly List<WebApplicationFactory<Program>> otherNodes = [];

    private string spec = "";

    public async Task InitializeAsync()
    {
        spec = await CreateDatabaseAsync();
        factory = Node();
        Client = Checked(factory, new WebApplicationFactoryClientOptions());
        started = true;
    }

    /// <summary>A client of its own (own cookies) on this node, e.g. for a browser-like console session.</summary>
    public HttpClient CreateClient(WebApplicationFactoryClientOptions options) => Checked(factory!, options);

    /// <summary>A client as <c>CreateClient(options)</c> makes it, with the suite's handler last before the server.</summary>
    private readonly SuiteHandler.Owner owner = new();

    private HttpClient Checked(WebApplicationFactory<Program> node, WebApplicationFactoryClientOptions options, params DelegatingHandler[] handlers)
    {
        var chain = new List<DelegatingHandler>();
        if (options.AllowAutoRedirect)
        {
            chain.Add(new RedirectHandler(options.MaxAutomaticRedirections));
        }
        if (options.HandleCookies)
        {
            chain.Add(new CookieContainerHandler());
        }
        chain.AddRange(handlers);
        chain.Add(new SuiteHandler(owner));
        return node.CreateDefaultClient(options.BaseAddress, [.. chain]);
    }

    /// <summary>Another Rescind host on the same database, as a second node of a cluster would be.</summary>
    public HttpClient StartAnotherNode()
    {
        var node = Node();
        otherNodes.Add(node);
        return Checked(node, new WebApplicationFactoryClientOptions());
    }

    /// <summary>Another node whose client goes through <paramref name="handlers"/> (e.g. a cookie jar shared with a
    /// client of this node, as a browser behind a load balancer).</summary>
    public HttpClient StartAnotherNode(params DelegatingHandler[] handlers)
    {
        var node = Node();
        otherNodes.Add(node);
        return Checked(node, new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }, handlers);
    }

    /// <summary>A client of this node through <paramref name="handlers"/>.</summary>
    public HttpClient CreateDefaultClient(params DelegatingHandler[] handlers) =>
        Checked(factory!, new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }, handlers);

    private WebApplicationFactory<Program> Node() =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Rescind:Database", spec);
            b.UseSetting("Rescind:OperatorToken", OperatorToken);
            b.UseSetting("Rescind:Jobs:Enabled", "false");
            b.UseSetting("Rescind:RateLimit:PermitsPerSecond", "0");
            b.UseSetting("Rescind:RateLimit:ResourcesPerSecond", "0");
            b.UseSetting("Logging:LogLevel:Default", "Warning");
            b.UseSetting("Rescind:Contracts:Check", "true");
            b.UseSetting("Rescind:Outbound:AllowPrivateNetworks", "true"); // the suite's receivers listen on loopback
            if (Environment.GetEnvironmentVariable("RESCIND_COVERAGE_RECORDS") is { Length: > 0 } records)
            {
                b.UseSetting("Rescind:Coverage:Records", Path.Combine(records, "tests"));
            }
            foreach (var (key, value) in Settings)
            {
                b.UseSetting(key, value);
            }
            b.ConfigureServices(s =>
            {
                s.AddSingleton<TimeProvider>(Clock);
                AddServices(s);
            });
        });

    public async Task DisposeAsync()
    {
        if (started)
        {
            Client.Dispose();
        }
        foreach (var node in otherNodes)
        {
            await node.DisposeAsync();
        }
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }
        await DropDatabaseAsync();
    }

    public async Task<long> CountAsync(string sql, object? args = null)
    {
        await using var connection = await Db.OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(sql, args);
    }
}

public class SqliteServer : RescindServer
{
    private string? folder;

    public override string Name => "sqlite";

    protected override Task<string> CreateDatabaseAsync()
    {
        folder = Directory.CreateTempSubdirectory("rescind-test-").FullName;
        return Task.FromResult(Path.Combine(folder, "rescind.db"));
    }

    protected override Task DropDatabaseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder!, recursive: true);
        }
        catch (IOException)
        {
            // a pooled handle may linger for a moment; the temp folder is cleaned by the OS
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// PostgreSQL from <c>RESCIND_TEST_POSTGRES</c> (set by test.sh, which starts a private cluster). Missing, it
/// fails loudly: the SQLite-only run filters these classes out by their <c>Category=Postgres</c> trait instead.
/// </summary>
public class PostgresServer : RescindServer
{
    private string? database;

    public override string Name => "postgres";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("RESCIND_TEST_POSTGRES") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                "RESCIND_TEST_POSTGRES is not set. Run the suite through ./test.sh, which starts a private PostgreSQL, " +
                "or filter with --filter Category!=Postgres to run the SQLite half only.");

    protected override async Task<string> CreateDatabaseAsync()
    {
        database = "rescind_t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"CREATE DATABASE {database}");
        }
        return Adjust(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, MaxPoolSize = 60 }).ToString();
    }

    /// <summary>A subclass's last word on the connection string (e.g. routing it through a proxy).</summary>
    protected virtual NpgsqlConnectionStringBuilder Adjust(NpgsqlConnectionStringBuilder b) => b;

    protected override async Task DropDatabaseAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    }
}
