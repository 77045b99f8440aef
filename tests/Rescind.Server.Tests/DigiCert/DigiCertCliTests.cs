using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.DigiCert;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary><c>rescind simulate digicert …</c>, run as a process against a database of its own.</summary>
public abstract class DigiCertCliTests : IAsyncLifetime
{
    protected abstract Task<(string[] Args, string Spec)> StorageAsync();

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    private string[] storage = [];
    private string spec = "";

    public async Task InitializeAsync() => (storage, spec) = await StorageAsync();

    public Task DisposeAsync() => CleanupAsync();

    private async Task<(int Code, string Out, string Err)> Rescind(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var a in args.Concat(storage))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task The_CA_and_the_clock_act_on_an_order_from_the_command_line()
    {
        var created = await Rescind("accounts", "create", "--name", "Web", "--json");
        Assert.True(created.Code == 0, created.Err);
        var root = JsonDocument.Parse(created.Out).RootElement;
        var account = root.GetProperty("account").GetProperty("id").GetString()!;
        var key = root.GetProperty("credentials").EnumerateArray().Single(c => c.GetProperty("api").GetString() == "digicert");
        long orderId;
        await using (var db = Database.Open(spec))
        {
            var coordinator = new Coordinator(db, TimeProvider.System, NullLogger<Coordinator>.Instance);
            var ctx = new OperationContext(account, DigiCertStore.Api, Actor.Credential(key.GetProperty("id").GetString()!), "cli-test");
            var placed = await DigiCertCommands.CreateOrderAsync(coordinator, ctx,
                new NewOrder("ssl_basic", DigiCertRules.TlsType, "cli.example.com", [], DigiCertClient.Csr, true, "balance", 1, null), CancellationToken.None);
            Assert.Equal(201, placed.Status);
            orderId = JsonDocument.Parse(placed.Body).RootElement.GetProperty("id").GetInt64();
        }

        var validated = await Rescind("simulate", "digicert", "validate", "--order", orderId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(validated.Code == 0, validated.Out + validated.Err);
        Assert.Equal("issued", JsonDocument.Parse(validated.Out).RootElement.GetProperty("status").GetString());

        var again = await Rescind("simulate", "digicert", "generate", "--order", orderId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, again.Code);
        Assert.Contains("invalid_status|order", again.Out, StringComparison.Ordinal);

        var expired = await Rescind("simulate", "digicert", "expire", "--order", orderId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("expired", JsonDocument.Parse(expired.Out).RootElement.GetProperty("status").GetString());
        Assert.Equal(1, (await Rescind("simulate", "digicert", "validate", "--order", "424242")).Code);
        Assert.Equal(2, (await Rescind("simulate", "digicert", "explode", "--order", "1")).Code);
        Assert.Equal(2, (await Rescind("simulate", "digicert", "validate")).Code);
        var verified = await Rescind("verify");
        Assert.True(verified.Code == 0, verified.Out + verified.Err);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertCliTests_Sqlite : DigiCertCliTests
{
    private string? folder;

    protected override Task<(string[] Args, string Spec)> StorageAsync()
    {
        folder = Directory.CreateTempSubdirectory("rescind-dc-cli-").FullName;
        return Task.FromResult<(string[], string)>((["--data", folder], Path.Combine(folder, "rescind.db")));
    }

    protected override Task CleanupAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder!, recursive: true);
        }
        catch (IOException)
        {
            // a pooled handle may linger; the temp folder is cleaned by the OS
        }
        return Task.CompletedTask;
    }
}

[Trait("Category", "Postgres")]
public sealed class DigiCertCliTests_Postgres : DigiCertCliTests
{
    private readonly string database = "rescind_dccli_" + Guid.NewGuid().ToString("N")[..12];

    protected override async Task<(string[] Args, string Spec)> StorageAsync()
    {
        await using var admin = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"CREATE DATABASE {database}");
        var cs = new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString) { Database = database }.ToString();
        return (["--database", cs], cs);
    }

    protected override async Task CleanupAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    }
}
