using System.Text.Json;
using Rescind.Client;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.CrissCross;
using Rescind.Server.Tests.DigiCert;
using Rescind.Server.Tests.GoCardless;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Cancellations;

/// <summary>Rescind's own cancellation API through the typed client: bulk, dry runs, idempotency, schedules,
/// deferred outcomes, isolation, reports and the event stream.</summary>
public abstract class CancellationsApiTests(RescindServer server)
{
    private static RescindClient Client(Tenant t, string mode = "live") => new(t.Server.Client, t.Credential("rescind", mode).Secret);

    private static string Key() => "key-" + Guid.NewGuid().ToString("N");

    private static string S(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_bulk_of_1000_resources_gets_one_outcome_each_in_one_call()
    {
        var t = await Tenant.CreateAsync(server);
        var customer = await t.CreateCustomerAsync();
        var ids = new List<string>();
        for (var batch = 0; batch < 996 / 12; batch++)
        {
            ids.AddRange(await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => t.CreateRequestAsync(customer))));
        }
        Assert.Equal(200, (await t.CancelAsync(ids[0])).Code);
        await t.SimulateAsync(ids[1], "submit");
        await t.SimulateAsync(ids[1], "accept");
        var resources = ids.Concat(Enumerable.Range(0, 4).Select(_ => "cert_req_" + Guid.CreateVersion7())).ToList();

        var c = await Client(t).CreateCancellationAsync(new CancellationRequest(resources, Key(), "bulk cleanup"));

        Assert.Equal(("completed", 1000), (c.Status, c.Outcomes.Count));
        Assert.Equal(new CancellationSummary(1000, 994, 1, 0, 1, 4), c.Summary);
        Assert.Equal(resources, c.Outcomes.Select(o => o.Resource));
        Assert.Equal("REQUEST_ALREADY_FULFILLED", c.Outcomes[1].Error!.Code);
        Assert.Equal("canceled", (await t.GetAsync(ids[500])).Str("status"));
        Assert.Equal(1000, (await Client(t).GetCancellationAsync(c.Id)).Outcomes.Count);
    }

    [Fact]
    public async Task A_dry_run_then_the_real_cancel_report_the_same_outcomes_and_the_dry_run_writes_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var numeral = await t.PendingRequestAsync();
        var order = await t.OrderAsync(payment: "balance");
        var issued = await t.IssuedOrderAsync();
        var billing = await t.CreateBillingRequestAsync();
        await t.CreateFlowAsync(billing);
        string[] resources = [numeral, "digicert:" + S(order.Id), S(issued), billing, "cert_req_" + Guid.CreateVersion7()];
        var key = Key();
        var auditBefore = await Audit.RowsAsync(server, numeral);

        var dry = await Client(t).CreateCancellationAsync(new CancellationRequest(resources, key, "duplicate order", DryRun: true));

        Assert.True(dry.DryRun);
        Assert.Equal("pending", (await t.GetAsync(numeral)).Str("status"));
        Assert.Equal("pending", await t.StatusAsync(order.Id));
        Assert.Equal(auditBefore.Count, (await Audit.RowsAsync(server, numeral)).Count);
        var notStored = await Assert.ThrowsAsync<RescindApiException>(() => Client(t).GetCancellationAsync(dry.Id));
        Assert.Equal(404, notStored.Status);

        var real = await Client(t).CreateCancellationAsync(new CancellationRequest(resources, key, "duplicate order"));

        Assert.Equal(JsonSerializer.Serialize(dry.Outcomes), JsonSerializer.Serialize(real.Outcomes));
        Assert.Equal(dry.Summary, real.Summary);
        Assert.Equal(new CancellationSummary(5, 3, 0, 0, 1, 1), real.Summary);
        Assert.Equal("invalid_status|order", real.Outcomes[2].Error!.Code);
        Assert.Contains(real.Outcomes[3].Notes!, n => n.Contains("expires", StringComparison.Ordinal));
        Assert.Equal("canceled", await t.StatusAsync(order.Id));
    }

    [Fact]
    public async Task A_repeated_key_answers_the_same_cancellation_and_a_different_payload_is_422()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var key = Key();

        var first = await Client(t).CreateCancellationAsync(new CancellationRequest([id], key, "moved"));
        var again = await Client(t).CreateCancellationAsync(new CancellationRequest([id], key, "moved"));
        var other = await Assert.ThrowsAsync<RescindApiException>(() => Client(t).CreateCancellationAsync(new CancellationRequest([id], key, "another reason")));

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(JsonSerializer.Serialize(first.Outcomes), JsonSerializer.Serialize(again.Outcomes));
        Assert.Equal((422, "idempotency_key_reused"), (other.Status, other.Code));
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
    }

    [Fact]
    public async Task Two_cancellations_racing_with_one_key_make_exactly_one_effect()
    {
        var t = await Tenant.CreateAsync(server);
        var ids = new[] { await t.PendingRequestAsync(), await t.PendingRequestAsync() };
        var key = Key();

        var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            try
            {
                return (await Client(t).CreateCancellationAsync(new CancellationRequest(ids, key))).Id;
            }
            catch (RescindApiException e) when (e.Code == "idempotency_key_in_flight")
            {
                return null;
            }
        }));

        Assert.Single(answers.Where(a => a is not null).Distinct());
        foreach (var id in ids)
        {
            Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        }
        var page = await Client(t).ListCancellationsAsync();
        Assert.Single(page.Data);
    }

    [Fact]
    public async Task A_scheduled_cancel_runs_on_the_clock_and_a_canceled_schedule_never_runs()
    {
        var t = await Tenant.CreateAsync(server);
        var (kept, canceled) = (await t.PendingRequestAsync(), await t.PendingRequestAsync());
        var at = server.Clock.GetUtcNow().AddHours(1);

        var scheduled = await Client(t).CreateCancellationAsync(new CancellationRequest([canceled], Key(), "end of trial", CancelAt: at));
        var withdrawn = await Client(t).CreateCancellationAsync(new CancellationRequest([kept], Key(), CancelAt: at));
        Assert.Equal(("scheduled", "scheduled"), (scheduled.Status, withdrawn.Status));
        Assert.Equal("canceled", (await Client(t).CancelScheduledAsync(withdrawn.Id)).Status);
        var again = await Assert.ThrowsAsync<RescindApiException>(() => Client(t).CancelScheduledAsync(scheduled.Id + "x"));
        Assert.Equal(404, again.Status);

        await CrissCrossMerchant.RunJobsAsync(server);
        Assert.Equal("scheduled", (await Client(t).GetCancellationAsync(scheduled.Id)).Status);
        server.Clock.Advance(TimeSpan.FromHours(1));
        await CrissCrossMerchant.RunJobsAsync(server);

        var done = await Client(t).GetCancellationAsync(scheduled.Id);
        Assert.Equal(("completed", "canceled"), (done.Status, done.Outcomes.Single().Outcome));
        Assert.Equal("canceled", (await t.GetAsync(canceled)).Str("status"));
        Assert.Equal("pending", (await t.GetAsync(kept)).Str("status"));
        Assert.Equal("canceled", (await Client(t).GetCancellationAsync(withdrawn.Id)).Status);
        var late = await Assert.ThrowsAsync<RescindApiException>(() => Client(t).CancelScheduledAsync(scheduled.Id));
        Assert.Equal((409, "not_scheduled"), (late.Status, late.Code));
    }

    [Fact]
    public async Task A_deferred_CrissCross_outcome_is_followed_to_the_end()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var session = await m.SessionAsync();
        var prompt = await m.TransactionAsync(session, "mobile_money");
        var client = Client(m.Tenant);

        var c = await client.CreateCancellationAsync(new CancellationRequest([session], Key(), "customer left"));

        Assert.Equal(("pending", "pending_cancellation"), (c.Status, c.Outcomes[0].Outcome));
        Assert.Equal([prompt], c.Outcomes[0].Unstoppable!.Select(u => u.Id));
        Assert.Equal("pending", (await client.GetCancellationAsync(c.Id)).Status);
        Assert.Equal(200, (await m.ProviderAsync(prompt, "fail")).Code);
        var settled = await client.GetCancellationAsync(c.Id);
        Assert.Equal(("completed", "canceled", "CANCELLED"), (settled.Status, settled.Outcomes[0].Outcome, settled.Outcomes[0].State));
        Assert.Equal(new CancellationSummary(1, 1, 0, 0, 0, 0), settled.Summary);
    }

    /// <summary>A broadcast (SENT) Circle transfer and a cancellation of it through Rescind's API, pending while its
    /// replacement races the original.</summary>
    private async Task<(CircleClient C, JsonElement To, string Id, RescindClient Client, Cancellation Created)> CanceledCircleTransferAsync()
    {
        var c = await CircleClient.CreateAsync(server);
        var (from, to) = await c.WalletPairAsync();
        var id = await c.TransferAsync(from, to, "2");
        await c.MineUntilAsync(id, "SENT");
        var client = Client(c.Tenant, "test"); // Circle's simulated chains are test-mode resources

        var created = await client.CreateCancellationAsync(new CancellationRequest([id], Key(), "wrong wallet"));

        Assert.Equal(("pending", "pending_cancellation", "SENT"), (created.Status, created.Outcomes[0].Outcome, created.Outcomes[0].State));
        Assert.Equal([id], created.Outcomes[0].Unstoppable!.Select(u => u.Id));
        Assert.Equal(new CancellationSummary(1, 0, 0, 1, 0, 0), created.Summary);
        return (c, to, id, client, created);
    }

    [Fact]
    public async Task A_deferred_Circle_outcome_is_followed_until_the_replacement_is_mined_and_settles_as_canceled()
    {
        var (c, _, id, client, created) = await CanceledCircleTransferAsync();
        Assert.Equal("pending", (await client.GetCancellationAsync(created.Id)).Status); // no block yet: still racing
        await c.MineAsync();

        var settled = await client.GetCancellationAsync(created.Id);
        Assert.Equal(("completed", "canceled", "CANCELLED"), (settled.Status, settled.Outcomes[0].Outcome, settled.Outcomes[0].State));
        Assert.Null(settled.Outcomes[0].Unstoppable);
        Assert.Equal(new CancellationSummary(1, 1, 0, 0, 0, 0), settled.Summary);
        Assert.Equal(JsonSerializer.Serialize(settled.Outcomes), JsonSerializer.Serialize((await client.GetCancellationAsync(created.Id)).Outcomes));
        Assert.Equal("CANCELLED", (await client.GetResourceAsync(id)).State);
        Assert.Equal(1, await Audit.ActionCountAsync(server, id, "cancel"));
        Assert.Equal(1, await Audit.EventCountAsync(server, created.Id, "cancellation.completed"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task A_deferred_Circle_outcome_settles_as_refused_with_155215_when_the_original_is_mined_first()
    {
        var (c, to, id, client, created) = await CanceledCircleTransferAsync();

        var mined = await Tenant.Operator(server, HttpMethod.Post, $"/operator/circle/transactions/{id}/mine");
        Assert.True(mined.Code == 200, mined.Body);
        await c.MineUntilAsync(id, "COMPLETE");

        var settled = await client.GetCancellationAsync(created.Id);
        Assert.Equal(("completed", "refused"), (settled.Status, settled.Outcomes[0].Outcome));
        Assert.Equal((400, "155215"), (settled.Outcomes[0].Error!.Status, settled.Outcomes[0].Error!.Code));
        Assert.Equal(new CancellationSummary(1, 0, 0, 0, 1, 0), settled.Summary);
        Assert.Equal("COMPLETE", (await client.GetResourceAsync(id)).State);
        Assert.Equal("2", (await c.BalancesAsync(to.GetProperty("id").GetString()!))["USDC"]); // the transfer went through
        Assert.Equal(JsonSerializer.Serialize(settled.Outcomes), JsonSerializer.Serialize((await client.GetCancellationAsync(created.Id)).Outcomes));
        Assert.Equal(1, await Audit.EventCountAsync(server, created.Id, "cancellation.completed"));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Keys_see_their_own_account_and_mode_only()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server, "Other");
        var id = await t.PendingRequestAsync();
        var mine = await Client(t).CreateCancellationAsync(new CancellationRequest([id], Key(), DryRun: true));
        Assert.Equal("canceled", mine.Outcomes[0].Outcome);

        var theirs = await Client(other).CreateCancellationAsync(new CancellationRequest([id], Key()));
        var test = await Client(t, "test").CreateCancellationAsync(new CancellationRequest([id], Key()));
        var real = await Client(t).CreateCancellationAsync(new CancellationRequest([id], Key()));

        Assert.Equal("not_found", theirs.Outcomes[0].Outcome);
        Assert.Equal("not_found", test.Outcomes[0].Outcome);
        Assert.Equal(404, (await Assert.ThrowsAsync<RescindApiException>(() => Client(other).GetCancellationAsync(real.Id))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<RescindApiException>(() => Client(other).GetResourceAsync(id))).Status);
        Assert.Equal(("numeral", "canceled"), ((await Client(t).GetResourceAsync(id)).Api, (await Client(t).GetResourceAsync(id)).State));
        var sandbox = await t.CreateBillingRequestAsync(mode: "sandbox");
        Assert.Equal("test", (await Client(t, "test").GetResourceAsync(sandbox)).Mode);
        Assert.Equal(404, (await Assert.ThrowsAsync<RescindApiException>(() => Client(t).GetResourceAsync(sandbox))).Status);
    }

    [Fact]
    public async Task The_report_route_answers_a_Rescind_key_with_Rescinds_report_and_Collects_token_with_Collects()
    {
        var m = await CrissCrossMerchant.CreateAsync(server);
        var session = await m.SessionAsync();
        await Client(m.Tenant).CreateCancellationAsync(new CancellationRequest([session, "cert_req_" + Guid.CreateVersion7()], Key(), "customer left"));

        var ours = await Client(m.Tenant).GetReportAsync(server.Clock.GetUtcNow().AddDays(-1), server.Clock.GetUtcNow().AddDays(1));
        var collect = await m.SendAsync(HttpMethod.Get, "/v1/reports/cancellations");

        Assert.Contains(ours.Data, l => (l.Api, l.Reason, l.Outcome, l.Count) == ("crisscross", "customer left", "canceled", 1));
        Assert.Contains(ours.Data, l => (l.Api, l.Outcome, l.Count) == (null, "not_found", 1));
        Assert.True(collect.Code == 200, collect.Body);
        Assert.False(collect.Json.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Array && d.GetArrayLength() > 0
            && d[0].TryGetProperty("outcome", out _));
        var unauthorised = await m.SendAsync(HttpMethod.Get, "/v1/reports/cancellations", bearer: "nope");
        unauthorised.IsCollectError(401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Errors_are_problem_details_and_the_OpenAPI_document_lists_every_route()
    {
        var t = await Tenant.CreateAsync(server);
        var none = await t.SendAsync(HttpMethod.Get, "/v1/cancellations", null, []);
        var unknown = await t.SendAsync(HttpMethod.Get, "/v1/cancellations/x/y/z", null, new() { ["Authorization"] = "Bearer " + t.Credential("rescind", "live").Secret });
        var tooMany = await Assert.ThrowsAsync<RescindApiException>(() => Client(t).CreateCancellationAsync(
            new CancellationRequest([.. Enumerable.Range(0, 1001).Select(i => "r" + i)], Key())));
        var doc = await t.SendAsync(HttpMethod.Get, "/openapi/rescind.json", null, []);

        Assert.Equal((401, "application/problem+json"), (none.Code, none.Message.Content.Headers.ContentType!.MediaType));
        Assert.Equal("unauthorized", none.Str("title"));
        Assert.Equal((404, "not_found"), (unknown.Code, unknown.Str("title")));
        Assert.Equal((400, "invalid_request"), (tooMany.Status, tooMany.Code));
        Assert.True(doc.Code == 200, doc.Body);
        foreach (var path in new[] { "/v1/resources/{id}", "/v1/cancellations", "/v1/cancellations/{id}", "/v1/cancellations/{id}/cancel", "/v1/reports/cancellations", "/v1/events/stream" })
        {
            Assert.True(doc.Json.GetProperty("paths").TryGetProperty(path, out _), path);
        }
    }

    [Fact]
    public async Task A_reason_with_a_NUL_character_is_400_invalid_request_and_cancels_nothing()
    {
        // Found by VendorHostileInputTests on PostgreSQL (seed 9P9Hs-hd6hZ7), whose text type cannot hold NUL.
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        var bad = await Assert.ThrowsAsync<RescindApiException>(() => Client(t).CreateCancellationAsync(
            new CancellationRequest([id], Key()) { Reason = "a\u0000b" }));

        Assert.Equal((400, "invalid_request"), (bad.Status, bad.Code));
        Assert.Equal("pending", (await t.GetAsync(id)).Str("status"));
    }

    [Fact]
    public async Task The_event_stream_delivers_cancellation_events_live_and_resumes_after_the_last_event_id()
    {
        var t = await Tenant.CreateAsync(server);
        var client = Client(t);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = client.StreamEventsAsync(ct: cts.Token).GetAsyncEnumerator(cts.Token);
        var next = events.MoveNextAsync().AsTask();

        var c = await client.CreateCancellationAsync(new CancellationRequest([await t.PendingRequestAsync()], Key()));

        Assert.True(await next);
        Assert.Equal("cancellation.completed", events.Current.Type);
        Assert.Equal(c.Id, JsonDocument.Parse(events.Current.Data).RootElement.GetProperty("id").GetString());
        var after = events.Current.Id;
        var second = await client.CreateCancellationAsync(new CancellationRequest([await t.PendingRequestAsync()], Key()));
        await using var resumed = client.StreamEventsAsync(after, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await resumed.MoveNextAsync());
        Assert.Equal(second.Id, JsonDocument.Parse(resumed.Current.Data).RootElement.GetProperty("id").GetString());
        await cts.CancelAsync();
    }

    [Fact]
    public async Task An_account_holds_at_most_four_open_event_streams_and_a_closed_one_frees_its_slot()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        async Task<HttpResponseMessage> OpenAsync(Tenant who)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events/stream");
            request.Headers.Add("Authorization", "Bearer " + who.Credential("rescind", "live").Secret);
            return await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        }
        var open = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            open.Add(await OpenAsync(t));
            Assert.Equal(200, (int)open[^1].StatusCode);
        }
        using (var fifth = await OpenAsync(t))
        {
            Assert.Equal((429, "application/problem+json"), ((int)fifth.StatusCode, fifth.Content.Headers.ContentType!.MediaType));
            Assert.Equal("too_many_streams", JsonDocument.Parse(await fifth.Content.ReadAsStringAsync(cts.Token)).RootElement.GetProperty("title").GetString());
            Assert.NotNull(fifth.Headers.RetryAfter);
        }
        using (var others = await OpenAsync(other))
        {
            Assert.Equal(200, (int)others.StatusCode); // another account's limit is its own
        }
        open[0].Dispose();
        HttpResponseMessage? again = null;
        for (var i = 0; i < 100 && again is not { StatusCode: System.Net.HttpStatusCode.OK }; i++)
        {
            again?.Dispose();
            await Task.Delay(50, cts.Token); // the server notices the client went away at its next poll
            again = await OpenAsync(t);
        }
        Assert.Equal(200, (int)again!.StatusCode);
        again.Dispose();
        open.ForEach(r => r.Dispose());
        await cts.CancelAsync();
    }
}


[Trait("Category", "Sqlite")]
public sealed class CancellationsApiTests_Sqlite(SqliteServer server) : CancellationsApiTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class CancellationsApiTests_Postgres(PostgresServer server) : CancellationsApiTests(server), IClassFixture<PostgresServer>;
