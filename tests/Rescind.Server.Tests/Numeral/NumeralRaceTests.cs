using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Numeral;

/// <summary>
/// Concurrency: whatever the interleaving, one request changes state once, with one audit row and one event, and
/// the stored state, the audit log and the outbox tell the same story.
/// </summary>
public abstract class NumeralRaceTests(RescindServer server)
{
    [Fact]
    public async Task Fifty_parallel_cancels_of_one_request_make_one_transition_one_audit_row_and_one_event()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => t.CancelAsync(id))));

        Assert.All(answers, a => Assert.Equal(200, a.Code));
        Assert.Single(answers.Select(a => a.Body).Distinct()); // every caller sees the same canceled object
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "tax.certificate_request.canceled"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM numeral_requests WHERE id = @id AND status = 'canceled' AND version = 2", new { id }));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Two_hundred_cancel_versus_acceptance_races_each_have_exactly_one_winner()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var ids = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var id = await t.CreateRequestAsync(customer);
            Assert.Equal(200, (await t.SimulateAsync(id, "submit")).Code);
            ids.Add(id);
        }

        // Both sides of each race start together; all 200 races run at once.
        // The acceptance path does one more read than the cancel, so left alone the cancel nearly always wins; a random
        // head start of 0-3 ms for one side per race makes both stories happen while the two still overlap. Races run in
        // waves of ten so that waiting for a database connection does not swamp the head start.
        var races = new List<(string Id, Answer Cancel, Answer Accept)>();
        foreach (var wave in ids.Select((id, i) => (id, i)).Chunk(10))
        {
            races.AddRange(await Task.WhenAll(wave.Select(async x =>
        {
            var (id, i) = x;
            var lag = TimeSpan.FromMilliseconds(Random.Shared.Next(0, 4));
            var cancelLags = i % 2 == 0;
            var cancel = Task.Run(async () =>
            {
                await Task.Delay(cancelLags ? lag : TimeSpan.Zero);
                return await t.CancelAsync(id);
            });
            var accept = Task.Run(async () =>
            {
                await Task.Delay(cancelLags ? TimeSpan.Zero : lag);
                return await t.SimulateAsync(id, "accept");
            });
            return (Id: id, Cancel: await cancel, Accept: await accept);
        })));
        }

        var cancelWins = 0;
        foreach (var (id, cancel, accept) in races)
        {
            var stored = (await t.GetAsync(id)).Str("status");
            var audit = await Audit.RowsAsync(server, id);
            var events = (await Audit.EventsAsync(server, id)).Select(e => e.GetProperty("type").GetString()).ToList();
            if (cancel.Code == 200)
            {
                cancelWins++;
                accept.IsNumeralError(409, "REQUEST_NOT_PENDING");
                Assert.Equal("canceled", stored);
                Assert.Equal(1, audit.Count(r => r.GetProperty("action").GetString() == "cancel"));
                Assert.Equal(0, audit.Count(r => r.GetProperty("action").GetString() == "accept"));
                Assert.Contains("tax.certificate_request.canceled", events);
                Assert.DoesNotContain("tax.certificate_request.fulfilled", events);
            }
            else
            {
                cancel.IsNumeralError(409, "REQUEST_ALREADY_FULFILLED");
                Assert.Equal(200, accept.Code);
                Assert.Equal("fulfilled", stored);
                Assert.Equal(0, audit.Count(r => r.GetProperty("action").GetString() == "cancel"));
                Assert.Equal(1, audit.Count(r => r.GetProperty("action").GetString() == "accept"));
                Assert.Contains("tax.certificate_request.fulfilled", events);
                Assert.DoesNotContain("tax.certificate_request.canceled", events);
            }
        }
        // Both stories must actually happen, or the race exercised only one branch of the code.
        Assert.InRange(cancelWins, 1, 199);
        // Across the whole account: one terminal transition per request, no more.
        Assert.Equal(200, await server.CountAsync(
            "SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND action IN ('cancel', 'accept')", new { t.AccountId }));
        Assert.Equal(cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId AND status = 'canceled'", new { t.AccountId }));
        Assert.Equal(200 - cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId AND status = 'fulfilled' AND certificate_id IS NOT NULL", new { t.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Two_nodes_on_one_database_cancel_each_request_exactly_once()
    {
        var t = await Tenant.CreateAsync(server);
        var other = t.On(server.StartAnotherNode());
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await t.PendingRequestAsync());
        }

        var answers = await Task.WhenAll(ids.SelectMany(id => Enumerable.Range(0, 6).Select(n =>
            Task.Run(() => (n % 2 == 0 ? t : other).CancelAsync(id)))));

        Assert.All(answers, a => Assert.Equal(200, a.Code));
        foreach (var id in ids)
        {
            Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
            Assert.Equal(1, await Audit.EventCountAsync(server, id, "tax.certificate_request.canceled"));
        }
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Parallel_creates_with_one_idempotency_key_create_one_request()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var body = new { customer_id = customer, certificate_type_id = "US-TX-01-339", jurisdictions = new[] { "US-TX" } };
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "create-" + Guid.NewGuid() };

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => t.Numeral(HttpMethod.Post, "/tax/certificate-requests", body, key))));

        Assert.All(answers, a => Assert.Equal(201, a.Code));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM numeral_requests WHERE account_id = @AccountId", new { t.AccountId }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND action = 'create' AND resource_type = 'tax.certificate_request'", new { t.AccountId }));
    }
}

[Trait("Category", "Sqlite")]
public sealed class NumeralRaceTests_Sqlite(SqliteServer server) : NumeralRaceTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class NumeralRaceTests_Postgres(PostgresServer server) : NumeralRaceTests(server), IClassFixture<PostgresServer>;
