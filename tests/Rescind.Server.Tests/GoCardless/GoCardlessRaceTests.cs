using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>
/// Concurrency: whatever the interleaving, each race has exactly one winner, and the stored state, the audit log,
/// the outbox (the Events API) and the flows tell the same story.
/// </summary>
public abstract class GoCardlessRaceTests(RescindServer server)
{
    private const int Races = 40;

    private async Task<IReadOnlyList<string>> ActionsAsync(Tenant t, string id) =>
        (await t.EventsAsync(id)).Select(e => e.GetProperty("action").GetString()!).ToList();

    [Fact]
    public async Task Cancel_versus_fulfil_has_exactly_one_winner_every_time()
    {
        var t = await Tenant.CreateAsync(server);
        var ids = new List<string>();
        for (var i = 0; i < Races; i++)
        {
            ids.Add(await t.ReadyRequestAsync());
        }

        var races = await Task.WhenAll(ids.Select(async id =>
        {
            var cancel = Task.Run(() => t.BrCancelAsync(id));
            var fulfil = Task.Run(() => t.BrActAsync(id, "fulfil"));
            return (Id: id, Cancel: await cancel, Fulfil: await fulfil);
        }));

        var cancelWins = 0;
        foreach (var (id, cancel, fulfil) in races)
        {
            var status = await t.StatusAsync(id);
            var events = await ActionsAsync(t, id);
            if (cancel.Code == 200)
            {
                cancelWins++;
                fulfil.IsGcError(422, "invalid_state", "billing_request_not_ready_to_fulfil");
                Assert.Equal("cancelled", status);
                Assert.Contains("cancelled", events);
                Assert.DoesNotContain("fulfilled", events);
                Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
                Assert.Equal(0, await Audit.ActionCountAsync(server, id, "fulfil"));
                Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM gc_mandates WHERE billing_request_id = @id", new { id })); // the loser created nothing
            }
            else
            {
                cancel.IsGcError(422, "invalid_state", "cancellation_failed");
                Assert.Equal(200, fulfil.Code);
                Assert.Equal("fulfilled", status);
                Assert.Contains("fulfilled", events);
                Assert.DoesNotContain("cancelled", events);
                Assert.Equal(0, await Audit.ActionCountAsync(server, id, "cancel"));
                Assert.Equal(1, await Audit.ActionCountAsync(server, id, "fulfil"));
                Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_mandates WHERE billing_request_id = @id", new { id })); // one mandate, once
            }
        }
        Assert.Equal(Races, await server.CountAsync(
            "SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND action IN ('cancel', 'fulfil')", new { t.AccountId }));
        Assert.Equal(cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM gc_billing_requests WHERE account_id = @AccountId AND status = 'cancelled'", new { t.AccountId }));
    }

    /// <summary>Fulfilled requests (a mandate and a payment each), their mandate and payment ids.</summary>
    private static async Task<List<(string Mandate, string Payment)>> FulfilledAsync(Tenant t, int count)
    {
        var list = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var links = (await t.FulfilledRequestAsync()).GetProperty("links");
            list.Add((links.GetProperty("mandate_request_mandate").GetString()!, links.GetProperty("payment_request_payment").GetString()!));
        }
        return list;
    }

    private static async Task<string> StateAsync(Tenant t, string kind, string id) =>
        (await t.Gc(HttpMethod.Get, $"/{kind}/{id}")).Json.GetProperty(kind).GetProperty("status").GetString()!;

    private static async Task<List<string>> ResourceEventsAsync(Tenant t, string filter, string id) =>
        (await t.Gc(HttpMethod.Get, $"/events?{filter}={id}")).Json.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()!).ToList();

    private static Task<Answer> CancelAsync(Tenant t, string kind, string id) => t.Gc(HttpMethod.Post, $"/{kind}/{id}/actions/cancel", new { data = new { } });

    [Fact]
    public async Task Payment_cancel_versus_its_submission_to_the_banks_has_exactly_one_winner_every_time()
    {
        var t = await Tenant.CreateAsync(server);
        var resources = await FulfilledAsync(t, Races);

        var races = await Task.WhenAll(resources.Select(async r =>
        {
            var cancel = Task.Run(() => CancelAsync(t, "payments", r.Payment));
            var submit = Task.Run(() => t.SimulateAsync($"payments/{r.Payment}/submit"));
            return (r.Payment, Cancel: await cancel, Submit: await submit);
        }));

        foreach (var (pm, cancel, submit) in races)
        {
            var (winner, loser, state) = cancel.Code == 200 ? (cancel, submit, "cancelled") : (submit, cancel, "submitted");
            Assert.True(winner.Code == 200, winner.Body);
            loser.IsGcError(422, "invalid_state", cancel.Code == 200 ? "invalid_state_transition" : "cancellation_failed");
            Assert.Equal(state, await StateAsync(t, "payments", pm));
            Assert.Equal([state, "created"], await ResourceEventsAsync(t, "payment", pm));
            Assert.Equal((cancel.Code == 200 ? 1 : 0, cancel.Code == 200 ? 0 : 1), (await Audit.ActionCountAsync(server, pm, "cancel"), await Audit.ActionCountAsync(server, pm, "submit")));
        }
    }

    [Fact]
    public async Task Mandate_cancel_versus_its_failure_has_exactly_one_winner_and_only_the_cancel_takes_the_payment()
    {
        var t = await Tenant.CreateAsync(server);
        var resources = await FulfilledAsync(t, Races);

        var races = await Task.WhenAll(resources.Select(async r =>
        {
            var cancel = Task.Run(() => CancelAsync(t, "mandates", r.Mandate));
            var fail = Task.Run(() => t.SimulateAsync($"mandates/{r.Mandate}/fail"));
            return (r.Mandate, r.Payment, Cancel: await cancel, Fail: await fail);
        }));

        foreach (var (md, pm, cancel, fail) in races)
        {
            var cancelWon = cancel.Code == 200;
            Assert.True((cancelWon ? cancel : fail).Code == 200, (cancelWon ? cancel : fail).Body);
            (cancelWon ? fail : cancel).IsGcError(422, "invalid_state", cancelWon ? "invalid_state_transition" : "cancellation_failed");
            Assert.Equal(cancelWon ? "cancelled" : "failed", await StateAsync(t, "mandates", md));
            Assert.Equal([cancelWon ? "cancelled" : "failed", "created"], await ResourceEventsAsync(t, "mandate", md));
            Assert.Equal(cancelWon ? "cancelled" : "pending_submission", await StateAsync(t, "payments", pm));
            Assert.Equal(cancelWon ? 1 : 0, await Audit.ActionCountAsync(server, pm, "cancel"));
        }
    }

    [Fact]
    public async Task Mandate_cancel_versus_its_payment_submission_leaves_the_payment_either_cancelled_or_submitted_never_both()
    {
        var t = await Tenant.CreateAsync(server);
        var resources = await FulfilledAsync(t, Races);

        var races = await Task.WhenAll(resources.Select(async r =>
        {
            var cancel = Task.Run(() => CancelAsync(t, "mandates", r.Mandate));
            var submit = Task.Run(() => t.SimulateAsync($"payments/{r.Payment}/submit"));
            return (r.Mandate, r.Payment, Cancel: await cancel, Submit: await submit);
        }));

        foreach (var (md, pm, cancel, submit) in races)
        {
            Assert.True(cancel.Code == 200, cancel.Body); // the mandate cancels either way
            Assert.Equal("cancelled", await StateAsync(t, "mandates", md));
            var state = await StateAsync(t, "payments", pm);
            if (submit.Code == 200)
            {
                Assert.Equal("submitted", state); // submitted first: already with the banks, the cancel left it
                Assert.Equal(0, await Audit.ActionCountAsync(server, pm, "cancel"));
            }
            else
            {
                submit.IsGcError(422, "invalid_state", "invalid_state_transition");
                Assert.Equal("cancelled", state);
                Assert.Equal(1, await Audit.ActionCountAsync(server, pm, "cancel"));
            }
            Assert.Equal([state, "created"], await ResourceEventsAsync(t, "payment", pm));
        }
    }

    [Fact]
    public async Task Parallel_cancels_of_one_request_cancel_it_once_and_the_rest_get_cancellation_failed()
    {
        var t = await Tenant.CreateAsync(server);
        for (var round = 0; round < 10; round++)
        {
            var id = await t.CreateBillingRequestAsync();
            await t.CreateFlowAsync(id);

            var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => t.BrCancelAsync(id))));

            Assert.Single(answers, a => a.Code == 200);
            Assert.All(answers.Where(a => a.Code != 200), a => a.IsGcError(422, "invalid_state", "cancellation_failed"));
            Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
            Assert.Equal(1, (await ActionsAsync(t, id)).Count(a => a == "cancelled"));
            Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE billing_request_id = @id AND state = 'expired'", new { id }));
        }
    }

    [Fact]
    public async Task Cancel_versus_a_payer_completing_the_last_action_with_auto_fulfil_has_exactly_one_winner()
    {
        var t = await Tenant.CreateAsync(server);
        var setups = new List<(string Id, string Flow)>();
        for (var i = 0; i < Races; i++)
        {
            var id = await t.CreateBillingRequestAsync();
            var (flow, _) = await t.CreateFlowAsync(id, autoFulfil: true);
            Assert.Equal(200, (await t.PageActAsync(flow, "collect_customer_details")).Code);
            Assert.Equal(200, (await t.PageActAsync(flow, "collect_bank_account")).Code);
            setups.Add((id, flow));
        }

        var races = await Task.WhenAll(setups.Select(async s =>
        {
            var cancel = Task.Run(() => t.BrCancelAsync(s.Id));
            var payer = Task.Run(() => t.PageActAsync(s.Flow, "confirm_payer_details"));
            return (s.Id, s.Flow, Cancel: await cancel, Payer: await payer);
        }));

        foreach (var (id, flow, cancel, payer) in races)
        {
            var status = await t.StatusAsync(id);
            var events = await ActionsAsync(t, id);
            if (cancel.Code == 200)
            {
                payer.IsGcError(410, "invalid_state", "billing_request_flow_expired");
                Assert.Equal("cancelled", status);
                Assert.DoesNotContain("payer_details_confirmed", events);
                Assert.DoesNotContain("fulfilled", events);
                Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE id = @flow AND state = 'expired'", new { flow }));
            }
            else
            {
                cancel.IsGcError(422, "invalid_state", "cancellation_failed");
                Assert.Equal("fulfilled", payer.BillingRequest().GetProperty("status").GetString());
                Assert.Equal("fulfilled", status);
                Assert.Contains("payer_details_confirmed", events);
                Assert.DoesNotContain("cancelled", events);
                Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_flows WHERE id = @flow AND state = 'active'", new { flow }));
            }
            Assert.Equal(cancel.Code == 200 ? 1 : 0, await Audit.ActionCountAsync(server, id, "cancel"));
            Assert.Equal(cancel.Code == 200 ? 0 : 1, await Audit.ActionCountAsync(server, id, "confirm_payer_details"));
        }
    }

    [Fact]
    public async Task Parallel_cancels_with_one_Idempotency_Key_act_once_and_all_get_the_first_answer()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.CreateBillingRequestAsync();
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "cancel-" + Guid.NewGuid() };

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => t.BrActAsync(id, "cancel", null, headers: key))));

        Assert.All(answers, a => Assert.Equal(200, a.Code));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, id, "billing_requests.cancelled"));
    }

    [Fact]
    public async Task Parallel_creates_with_one_Idempotency_Key_create_one_request_and_the_rest_conflict_naming_it()
    {
        var t = await Tenant.CreateAsync(server);
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "race-" + Guid.NewGuid() };
        var body = new { billing_requests = new { payment_request = new { amount = 100, currency = "GBP" } } };

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => t.Gc(HttpMethod.Post, "/billing_requests", body, key))));

        var created = Assert.Single(answers, a => a.Code == 201);
        var id = created.BillingRequest().GetProperty("id").GetString();
        Assert.All(answers.Where(a => a.Code != 201), a => Assert.Equal(id,
            a.IsGcError(409, "invalid_state", "idempotent_creation_conflict").GetProperty("links").GetProperty("conflicting_resource_id").GetString()));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM gc_billing_requests WHERE account_id = @AccountId", new { t.AccountId }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND resource_type = 'billing_requests' AND action = 'create'", new { t.AccountId }));
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessRaceTests_Sqlite(SqliteServer server) : GoCardlessRaceTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessRaceTests_Postgres(PostgresServer server) : GoCardlessRaceTests(server), IClassFixture<PostgresServer>;
