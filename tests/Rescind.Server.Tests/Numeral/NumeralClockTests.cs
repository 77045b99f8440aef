using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>
/// The clock: reminders every three days while pending and never after a cancel; expiry turns pending into
/// invalid. The fake clock is moved by hand and the background jobs run on demand, exactly as the timer runs them.
/// </summary>
public abstract class NumeralClockTests(RescindServer server)
{
    private async Task<Answer> RunJobsAsync()
    {
        var a = await Tenant.Operator(server, HttpMethod.Post, "/operator/jobs/run");
        Assert.True(a.Code == 200, a.Body);
        return a;
    }

    private async Task<int> MailCountAsync(string requestId) =>
        (await Tenant.Operator(server, HttpMethod.Get, $"/operator/mail?resource_id={requestId}")).Json.GetProperty("mail").GetArrayLength();

    [Fact]
    public async Task Reminders_go_out_every_three_days_while_pending_and_never_after_a_cancel()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync(email: "payer@example.com");
        var canceled = await t.CreateRequestAsync(customer);
        var waiting = await t.CreateRequestAsync(customer);

        server.Clock.Advance(TimeSpan.FromDays(3));
        await RunJobsAsync();
        Assert.Equal(1, await MailCountAsync(canceled));
        Assert.Equal(1, await MailCountAsync(waiting));

        await RunJobsAsync(); // nothing new is due yet
        Assert.Equal(1, await MailCountAsync(waiting));

        await t.CancelAsync(canceled);
        for (var i = 0; i < 3; i++)
        {
            server.Clock.Advance(TimeSpan.FromDays(3));
            await RunJobsAsync();
        }

        Assert.Equal(1, await MailCountAsync(canceled));
        Assert.Equal(4, await MailCountAsync(waiting));
        var mail = (await Tenant.Operator(server, HttpMethod.Get, $"/operator/mail?resource_id={waiting}")).Json.GetProperty("mail")[0];
        Assert.Equal("payer@example.com", mail.GetProperty("to").GetString());
    }

    [Fact]
    public async Task A_customer_mid_submission_gets_no_reminder()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        await t.SimulateAsync(id, "submit");

        server.Clock.Advance(TimeSpan.FromDays(7));
        await RunJobsAsync();

        Assert.Equal(0, await MailCountAsync(id));
    }

    [Fact]
    public async Task Expiry_turns_pending_into_invalid_and_cancel_is_then_refused_with_REQUEST_INVALID()
    {
        var t = await Tenant.CreateAsync(server);
        var expiresAt = server.Clock.GetUtcNow().AddDays(5);
        var id = await t.PendingRequestAsync(expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));

        server.Clock.Advance(TimeSpan.FromDays(3));
        await RunJobsAsync();
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(1, await MailCountAsync(id)); // day 3; the next would fall after expiry

        server.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal("invalid", (await t.GetAsync(id)).Str("status")); // due, before the job has run
        await RunJobsAsync();

        Assert.Equal("invalid", (await t.GetAsync(id)).Str("status"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "expire"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "tax.certificate_request.invalid"));
        (await t.CancelAsync(id)).IsNumeralError(409, "REQUEST_INVALID");
        server.Clock.Advance(TimeSpan.FromDays(20)); // (within the mail sink's 30-day retention)
        await RunJobsAsync();
        Assert.Equal(1, await MailCountAsync(id));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "expire"));
    }

    [Fact]
    public async Task A_cancel_that_arrives_after_expiry_but_before_the_job_records_the_expiry_and_is_refused()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync(server.Clock.GetUtcNow().AddHours(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        server.Clock.Advance(TimeSpan.FromHours(2));

        (await t.CancelAsync(id)).IsNumeralError(409, "REQUEST_INVALID");

        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "expire"));
        Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal([id], (await t.Numeral(HttpMethod.Get, "/tax/certificate-requests?status=invalid")).Json
            .GetProperty("certificate_requests").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        await RunJobsAsync();
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "expire"));
    }

    [Fact]
    public async Task Expired_idempotency_keys_are_purged_and_the_key_can_be_used_again()
    {
        var t = await Tenant.CreateAsync(server);
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "daily-" + Guid.NewGuid() };
        var first = await t.Numeral(HttpMethod.Post, "/tax/customers", new { name = "A", email = "a@example.com" }, key);

        server.Clock.Advance(TimeSpan.FromHours(25));
        await RunJobsAsync();
        var second = await t.Numeral(HttpMethod.Post, "/tax/customers", new { name = "A", email = "a@example.com" }, key);

        Assert.Equal(200, second.Code);
        Assert.NotEqual(first.Str("id"), second.Str("id"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class NumeralClockTests_Sqlite(SqliteServer server) : NumeralClockTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralClockTests_Postgres(PostgresServer server) : NumeralClockTests(server), IClassFixture<PostgresServer>;
