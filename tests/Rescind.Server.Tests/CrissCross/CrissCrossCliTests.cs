using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.CrissCross;

/// <summary><c>rescind simulate crisscross …</c>: the providers' events from the command line, as a process.</summary>
public abstract class CrissCrossCliTests(ProcessStorage store) : IAsyncLifetime
{
    private string[] storage = [];

    public async Task InitializeAsync() => storage = await store.CreateAsync();

    public Task DisposeAsync() => store.DropAsync();

    private Task<(int Code, string Out, string Err)> Rescind(params string[] args) => RescindProcess.RunAsync([.. args, .. storage]);

    [Fact]
    public async Task A_provider_event_from_the_command_line_ends_a_pending_transaction_and_completes_the_deferred_cancel()
    {
        var created = await Rescind("accounts", "create", "--name", "Shop", "--json");
        Assert.True(created.Code == 0, created.Err);
        var account = JsonDocument.Parse(created.Out).RootElement.GetProperty("account").GetProperty("id").GetString()!;
        var session = Guid.CreateVersion7().ToString();
        var tx = Guid.CreateVersion7().ToString();
        // A session already waiting for its mobile-money payment to end (as a cancel leaves it).
        await store.ExecuteAsync(
            $$"""
            INSERT INTO crisscross_sessions (id, account_id, merchant_reference, amount, currency, payer_details, status, expires_at,
                                             created_at, updated_at, version, cancel_requested_at, cancelled_transaction_ids)
            VALUES ('{{session}}', '{{account}}', 'cli-1', 700, 'KES', '{}', 'PENDING_CANCELLATION', 4102444800000, 1, 1, 3, 1, '[]');
            INSERT INTO crisscross_transactions (id, session_id, account_id, provider, payment_method, amount, currency, status,
                                                 late_completion, refunded_amount, timeout_at, created_at, updated_at, version)
            VALUES ('{{tx}}', '{{session}}', '{{account}}', 'mobile_money', '{}', 700, 'KES', 'PENDING', 0, 0, NULL, 1, 1, 1);
            """);

        var completed = await Rescind("simulate", "crisscross", "complete", "--transaction", tx);

        Assert.True(completed.Code == 0, completed.Out + completed.Err);
        var payment = JsonDocument.Parse(completed.Out).RootElement;
        Assert.Equal(("COMPLETED", true), (payment.GetProperty("status").GetString(), payment.GetProperty("lateCompletion").GetBoolean()));
        var audit = JsonDocument.Parse((await Rescind("audit", "--resource", session, "--json")).Out).RootElement;
        Assert.Contains(audit.EnumerateArray(), r => r.GetProperty("Action").GetString() == "cancel_completed" && r.GetProperty("ToState").GetString() == "CANCELLED");

        var again = await Rescind("simulate", "crisscross", "fail", "--transaction", tx);
        Assert.Equal(1, again.Code);
        Assert.Contains("TRANSACTION_NOT_IN_FLIGHT", again.Out, StringComparison.Ordinal);
        var missing = await Rescind("simulate", "crisscross", "complete", "--transaction", Guid.CreateVersion7().ToString());
        Assert.Equal(1, missing.Code);
        Assert.Contains("TRANSACTION_NOT_FOUND", missing.Out, StringComparison.Ordinal);
        Assert.Equal(2, (await Rescind("simulate", "crisscross", "teleport", "--transaction", tx)).Code);
        Assert.Equal(2, (await Rescind("simulate", "crisscross", "complete")).Code);
    }
}

[Trait("Category", "Sqlite")]
public sealed class CrissCrossCliTests_Sqlite() : CrissCrossCliTests(new SqliteProcessStorage());

[Trait("Category", "Postgres")]
public sealed class CrissCrossCliTests_Postgres() : CrissCrossCliTests(new PostgresProcessStorage());
