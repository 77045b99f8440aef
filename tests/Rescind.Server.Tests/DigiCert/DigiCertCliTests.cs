using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.DigiCert;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary><c>rescind simulate digicert …</c>, run as a process against a database of its own.</summary>
public abstract class DigiCertCliTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    private Task<(int Code, string Out, string Err)> Rescind(params string[] args) => RescindProcess.RunAsync([.. args, .. storage]);

    /// <summary>The database the process uses, for placing an order in-process (there is no CLI verb for it).</summary>
    private string Spec => storage[0] == "--data" ? Path.Combine(storage[1], "rescind.db") : storage[1];

    [Fact]
    public async Task The_CA_and_the_clock_act_on_an_order_from_the_command_line()
    {
        var created = await Rescind("accounts", "create", "--name", "Web", "--json");
        Assert.True(created.Code == 0, created.Err);
        var root = JsonDocument.Parse(created.Out).RootElement;
        var account = root.GetProperty("account").GetProperty("id").GetString()!;
        var key = root.GetProperty("credentials").EnumerateArray().Single(c => c.GetProperty("api").GetString() == "digicert");
        long orderId;
        await using (var db = Database.Open(Spec))
        {
            var coordinator = new Coordinator(db, TimeProvider.System, NullLogger<Coordinator>.Instance);
            var ctx = new OperationContext(account, DigiCertStore.Api, Actor.Credential(key.GetProperty("id").GetString()!), "cli-test");
            var input = new NewOrder("ssl_basic", DigiCertRules.TlsType, "cli.example.com", [], DigiCertClient.Csr, true, "balance", 1, null);
            var placed = await coordinator.ExecuteAsync(ctx, (uow, _) => DigiCertCommands.CreateOrderAsync(uow, input), DigiCertEnvelope.Placed, CancellationToken.None);
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
public sealed class DigiCertCliTests_Sqlite() : DigiCertCliTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class DigiCertCliTests_Postgres() : DigiCertCliTests(new PostgresProcessStorage());
