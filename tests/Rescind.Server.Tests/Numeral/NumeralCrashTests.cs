using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>A transaction that dies half-way leaves nothing behind: state, reminders, audit and outbox together.</summary>
public abstract class NumeralCrashTests(RescindServer server)
{
    private FaultSwitch Faults => ((IFaultyServer)server).Faults;

    private async Task<Answer> CancelArmedAsync(Tenant t, string id, Action arm)
    {
        arm();
        try
        {
            return await t.CancelAsync(id);
        }
        finally
        {
            Faults.Disarm();
        }
    }

    [Fact]
    public async Task A_cancel_that_fails_after_the_state_update_leaves_the_request_pending_with_its_reminders()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var failed = await CancelArmedAsync(t, id, () => Faults.Arm("record:tax.certificate_request:cancel"));
        failed.IsNumeralError(500, "INTERNAL_ERROR");
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM numeral_reminders WHERE request_id = @id", new { id }));
        Assert.Equal(1, await server.CountAsync("SELECT version FROM numeral_requests WHERE id = @id", new { id }));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(0, await Audit.EventCountAsync(server, id, "tax.certificate_request.canceled"));

        Assert.Equal("canceled", (await t.CancelAsync(id)).Str("status")); // and the retry applies it once
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_cancel_that_loses_its_race_on_every_retry_is_a_503_to_retry_and_applies_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var busy = await CancelArmedAsync(t, id, () => Faults.ArmLostRace("record:tax.certificate_request:cancel"));
        busy.IsNumeralError(503, "SERVICE_UNAVAILABLE");
        Assert.Equal("1", busy.Header("Retry-After"));
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(0, await Audit.EventCountAsync(server, id, "tax.certificate_request.canceled"));

        Assert.Equal("canceled", (await t.CancelAsync(id)).Str("status")); // the retry the 503 asks for applies it once
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_create_that_fails_before_its_audit_row_leaves_no_request_and_frees_its_idempotency_key()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var body = new { customer_id = customer, certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } };
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "crash-" + Guid.NewGuid() };
        Faults.Arm("record:tax.certificate_request:create");
        try
        {
            (await t.Numeral(HttpMethod.Post, "/tax/certificate-requests", body, key)).IsNumeralError(500, "INTERNAL_ERROR");
        }
        finally
        {
            Faults.Disarm();
        }

        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId", new { t.AccountId }));
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM numeral_reminders WHERE account_id = @AccountId", new { t.AccountId }));
        Assert.Equal(201, (await t.Numeral(HttpMethod.Post, "/tax/certificate-requests", body, key)).Code);
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class NumeralCrashTests_Sqlite(FaultySqliteServer server) : NumeralCrashTests(server), IClassFixture<FaultySqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralCrashTests_Postgres(FaultyPostgresServer server) : NumeralCrashTests(server), IClassFixture<FaultyPostgresServer>;
