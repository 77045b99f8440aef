using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>A cancel that dies half-way leaves the request pending and its flows open: all or nothing.</summary>
public abstract class GoCardlessCrashTests(RescindServer server)
{
    private FaultSwitch Faults => ((IFaultyServer)server).Faults;

    /// <summary>The answer of <paramref name="send"/> with the server failing at <paramref name="checkpoint"/>.</summary>
    private async Task<Answer> CrashedAtAsync(string checkpoint, Func<Task<Answer>> send)
    {
        Faults.Arm(checkpoint);
        try
        {
            return await send();
        }
        finally
        {
            Faults.Disarm();
        }
    }

    [Theory]
    [InlineData("gocardless:cancel:saved")]
    [InlineData("record:billing_request_flows:expire")]
    public async Task A_cancel_that_fails_mid_transaction_leaves_the_request_pending_and_its_flows_open(string checkpoint)
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var (flow, _) = await t.CreateFlowAsync(id);
        var failed = await CrashedAtAsync(checkpoint, () => t.BrCancelAsync(id));
        failed.IsGcError(500, "gocardless", "internal_server_error");
        Assert.Equal("pending", await t.StatusAsync(id));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE id = @flow AND state = 'active'", new { flow }));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.DoesNotContain(await t.EventsAsync(id), e => e.GetProperty("action").GetString() == "cancelled");

        Assert.Equal("cancelled", (await t.BrCancelAsync(id)).BillingRequest().GetProperty("status").GetString());
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE id = @flow AND state = 'expired'", new { flow }));
    }

    /// <summary>A mandate cancel (with its pending payment) or a payment cancel that dies after the state write and
    /// before its audit, events and idempotency record: nothing of it stays, and the retry with the same
    /// Idempotency-Key cancels once and is then answered from the stored response.</summary>
    [Theory]
    [InlineData("mandates", "gocardless:mandate:saved")]
    [InlineData("payments", "gocardless:payment:saved")]
    public async Task A_mandate_or_payment_cancel_that_fails_mid_transaction_changes_nothing_and_its_retry_cancels_once(string kind, string checkpoint)
    {
        var t = await Tenant.CreateAsync(server);
        var links = (await t.FulfilledRequestAsync()).GetProperty("links");
        var (md, pm) = (links.GetProperty("mandate_request_mandate").GetString()!, links.GetProperty("payment_request_payment").GetString()!);
        var id = kind == "mandates" ? md : pm;
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "crash-" + id };
        Task<Answer> Cancel() => t.Gc(HttpMethod.Post, $"/{kind}/{id}/actions/cancel", new { data = new { metadata = new { why = "crash" } } }, key);
        Task<long> CancelledEventsAsync() => server.CountAsync(
            "SELECT COUNT(*) FROM outbox WHERE event_type IN ('mandates.cancelled', 'payments.cancelled') AND (resource_id = @md OR resource_id = @pm)", new { md, pm });

        var failed = await CrashedAtAsync(checkpoint, Cancel);
        failed.IsGcError(500, "gocardless", "internal_server_error");
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_mandates WHERE id = @md AND status = 'pending_submission' AND version = 1", new { md }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_payments WHERE id = @pm AND status = 'pending_submission' AND version = 1", new { pm }));
        Assert.Equal(0, await Audit.ActionCountAsync(server, md, "cancel") + await Audit.ActionCountAsync(server, pm, "cancel"));
        Assert.Equal(0, await CancelledEventsAsync());

        var retried = await Cancel();
        Assert.True(retried.Code == 200, retried.Body);
        Assert.Equal("cancelled", retried.Json.GetProperty(kind).GetProperty("status").GetString());
        var again = await Cancel();
        Assert.Equal((200, retried.Body), (again.Code, again.Body));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        // A mandate's cancel takes its pending payment with it [doc]; a payment's leaves the mandate alone.
        var cancelled = kind == "mandates" ? 2 : 1;
        Assert.Equal(cancelled, await CancelledEventsAsync());
        Assert.Equal(kind == "mandates" ? 1 : 0, await server.CountAsync("SELECT COUNT(*) FROM gc_mandates WHERE id = @md AND status = 'cancelled'", new { md }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_payments WHERE id = @pm AND status = 'cancelled'", new { pm }));
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessCrashTests_Sqlite(FaultySqliteServer server) : GoCardlessCrashTests(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessCrashTests_Postgres(FaultyPostgresServer server) : GoCardlessCrashTests(server), IClassFixture<FaultyPostgresServer>;
