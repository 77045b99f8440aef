using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.GoCardless;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary><c>rescind simulate gocardless …</c>, run as a process against a database of its own.</summary>
public abstract class GoCardlessCliTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    private Task<(int Code, string Out, string Err)> Rescind(params string[] args) => RescindProcess.RunAsync([.. args, .. storage]);

    /// <summary>The database the process uses, for creating requests in-process (there is no CLI verb for it).</summary>
    private string Spec => storage[0] == "--data" ? Path.Combine(storage[1], "rescind.db") : storage[1];

    [Fact]
    public async Task The_payer_and_GoCardless_act_on_a_billing_request_from_the_command_line()
    {
        var created = await Rescind("accounts", "create", "--name", "Boxes", "--json");
        Assert.True(created.Code == 0, created.Err);
        var account = JsonDocument.Parse(created.Out).RootElement.GetProperty("account").GetProperty("id").GetString()!;
        string request, other, flow;
        await using (var db = Database.Open(Spec))
        {
            var coordinator = new Coordinator(db, TimeProvider.System, NullLogger<Coordinator>.Instance);
            var ctx = new OperationContext(account, GoCardlessStore.ApiFor(GoCardlessStore.Live), Actor.System, "cli-test");
            var caller = new Caller(account, GoCardlessStore.Live, "api");
            request = await CreateAsync(coordinator, ctx, caller);
            other = await CreateAsync(coordinator, ctx, caller);
            var opened = await coordinator.RunAsync(ctx, (uow, _) => GoCardlessCommands.CreateFlowAsync(uow, caller, new NewFlow(other, [], false), "http://localhost"), CancellationToken.None);
            flow = Assert.IsType<Outcome<FlowRow>.Done>(opened).Value.Id;
        }

        foreach (var action in new[] { "collect_customer_details", "collect_bank_account", "confirm_payer_details" })
        {
            var acted = await Rescind("simulate", "gocardless", action, "--billing-request", request);
            Assert.True(acted.Code == 0, acted.Out + acted.Err);
        }
        var fulfilled = await Rescind("simulate", "gocardless", "fulfil", "--billing-request", request);
        Assert.True(fulfilled.Code == 0, fulfilled.Out + fulfilled.Err);
        Assert.Equal("fulfilled", JsonDocument.Parse(fulfilled.Out).RootElement.GetProperty("billing_requests").GetProperty("status").GetString());

        var refused = await Rescind("simulate", "gocardless", "cancel", "--billing-request", request);
        Assert.Equal(1, refused.Code);
        Assert.Contains("cancellation_failed", refused.Out, StringComparison.Ordinal);

        var abandoned = await Rescind("simulate", "gocardless", "abandon", "--flow", flow);
        Assert.True(abandoned.Code == 0, abandoned.Out + abandoned.Err);
        Assert.Equal(flow, JsonDocument.Parse(abandoned.Out).RootElement.GetProperty("billing_request_flows").GetProperty("id").GetString());
        var cancelled = await Rescind("simulate", "gocardless", "cancel", "--billing-request", other);
        Assert.Equal("cancelled", JsonDocument.Parse(cancelled.Out).RootElement.GetProperty("billing_requests").GetProperty("status").GetString());

        Assert.Equal(1, (await Rescind("simulate", "gocardless", "fulfil", "--billing-request", "BRQ000000000000")).Code);
        Assert.Equal(2, (await Rescind("simulate", "gocardless", "explode", "--billing-request", request)).Code);
        Assert.Equal(2, (await Rescind("simulate", "gocardless", "fulfil")).Code);
        var verified = await Rescind("verify");
        Assert.True(verified.Code == 0, verified.Out + verified.Err);
    }

    /// <summary>A mandate request in GBP (each its own JSON: a request keeps the nodes it is given).</summary>
    private static async Task<string> CreateAsync(Coordinator coordinator, OperationContext ctx, Caller caller)
    {
        var input = new NewBillingRequest(new() { ["currency"] = "GBP" }, null, [], null, null, false);
        var outcome = await coordinator.RunAsync(ctx, (uow, _) => GoCardlessCommands.CreateBillingRequestAsync(uow, caller, input), CancellationToken.None);
        return Assert.IsType<Outcome<BillingRequestRow>.Done>(outcome).Value.Id;
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessCliTests_Sqlite() : GoCardlessCliTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class GoCardlessCliTests_Postgres() : GoCardlessCliTests(new PostgresProcessStorage());
