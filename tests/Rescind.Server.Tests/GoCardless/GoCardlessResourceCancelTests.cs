using System.Text.Json;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.GoCardless;

/// <summary>Cancelling a mandate (and with it its payments still pending submission) and a payment, as GoCardless
/// documents them: the states they are refused from, the metadata kept on the event, idempotency, 404s, and the
/// simulation that moves them on.</summary>
public abstract class GoCardlessResourceCancelTests(RescindServer server)
{
    private static string Str(JsonElement e, params string[] path) => path.Aggregate(e, (x, p) => x.GetProperty(p)).GetString()!;

    private static async Task<(string Mandate, string Payment)> FulfilledAsync(Tenant t)
    {
        var links = (await t.FulfilledRequestAsync()).GetProperty("links");
        return (Str(links, "mandate_request_mandate"), Str(links, "payment_request_payment"));
    }

    private static Task<Answer> CancelAsync(Tenant t, string path, object? metadata = null, Dictionary<string, string?>? headers = null) =>
        t.Gc(HttpMethod.Post, path + "/actions/cancel", new { data = metadata is null ? new { } : (object)new { metadata } }, headers);

    private static async Task<string> StateAsync(Tenant t, string kind, string id) =>
        Str((await t.Gc(HttpMethod.Get, $"/{kind}/{id}")).Json, kind, "status");

    private static async Task<List<JsonElement>> EventsAsync(Tenant t, string filter)
    {
        var a = await t.Gc(HttpMethod.Get, "/events?" + filter);
        Assert.True(a.Code == 200, a.Body);
        return a.Json.GetProperty("events").EnumerateArray().ToList();
    }

    [Fact]
    public async Task Cancelling_a_mandate_cancels_it_and_its_pending_payment_in_one_go_with_an_event_each()
    {
        var t = await Tenant.CreateAsync(server);
        var (md, pm) = await FulfilledAsync(t);
        var key = new Dictionary<string, string?> { ["Idempotency-Key"] = "cancel-" + md };

        var first = await CancelAsync(t, "/mandates/" + md, new { reason = "moved away" }, key);
        Assert.True(first.Code == 200, first.Body);
        Assert.Equal("cancelled", Str(first.Json, "mandates", "status"));
        Assert.Equal("cancelled", await StateAsync(t, "mandates", md));
        Assert.Equal("cancelled", await StateAsync(t, "payments", pm));

        var mandateEvent = Assert.Single(await EventsAsync(t, "mandate=" + md + "&action=cancelled"));
        Assert.Equal(("mandates", "cancelled", "api", "mandate_cancelled"),
            (Str(mandateEvent, "resource_type"), Str(mandateEvent, "action"), Str(mandateEvent, "details", "origin"), Str(mandateEvent, "details", "cause")));
        Assert.Equal(md, Str(mandateEvent, "links", "mandate"));
        Assert.Equal("moved away", Str(mandateEvent, "metadata", "reason")); // the cancel's metadata goes on its event [doc]
        var paymentEvent = Assert.Single(await EventsAsync(t, "payment=" + pm + "&action=cancelled"));
        Assert.Equal(("payments", "cancelled", "mandate_cancelled", md), (Str(paymentEvent, "resource_type"), Str(paymentEvent, "action"), Str(paymentEvent, "details", "cause"), Str(paymentEvent, "links", "mandate")));
        Assert.Single(await EventsAsync(t, "resource_type=mandates&action=cancelled"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, md, "cancel"));
        Assert.Equal(1, await Audit.ActionCountAsync(server, pm, "cancel"));

        // The same key answers as the first time; without it, a cancelled mandate refuses.
        var again = await CancelAsync(t, "/mandates/" + md, new { reason = "moved away" }, key);
        Assert.Equal((200, first.Body), (again.Code, again.Body));
        (await CancelAsync(t, "/mandates/" + md)).IsGcError(422, "invalid_state", "cancellation_failed");
        (await CancelAsync(t, "/payments/" + pm)).IsGcError(422, "invalid_state", "cancellation_failed");
        Assert.Equal(1, await Audit.ActionCountAsync(server, md, "cancel"));
    }

    [Fact]
    public async Task A_payment_cancels_only_while_pending_submission_and_a_mandate_cancel_leaves_a_submitted_payment_alone()
    {
        var t = await Tenant.CreateAsync(server);
        var (_, pm) = await FulfilledAsync(t);
        var cancelled = await CancelAsync(t, "/payments/" + pm, new { why = "duplicate" });
        Assert.True(cancelled.Code == 200, cancelled.Body);
        Assert.Equal("cancelled", Str(cancelled.Json, "payments", "status"));
        var e = Assert.Single(await EventsAsync(t, "payment=" + pm + "&action=cancelled"));
        Assert.Equal(("payment_cancelled", "duplicate"), (Str(e, "details", "cause"), Str(e, "metadata", "why")));

        var (md2, pm2) = await FulfilledAsync(t);
        var submitted = await t.SimulateAsync($"payments/{pm2}/submit");
        Assert.True(submitted.Code == 200, submitted.Body);
        Assert.Equal("submitted", Str(submitted.Json, "payments", "status"));
        Assert.Equal(("submitted", "gocardless"), (Str((await EventsAsync(t, "payment=" + pm2))[0], "action"), Str((await EventsAsync(t, "payment=" + pm2))[0], "details", "origin")));
        (await CancelAsync(t, "/payments/" + pm2)).IsGcError(422, "invalid_state", "cancellation_failed");
        Assert.Equal(200, (await CancelAsync(t, "/mandates/" + md2)).Code);
        Assert.Equal("submitted", await StateAsync(t, "payments", pm2)); // already with the banks: not the mandate's to stop
        Assert.Equal(0, await Audit.ActionCountAsync(server, pm2, "cancel"));
        Assert.Equal("confirmed", Str((await t.SimulateAsync($"payments/{pm2}/confirm")).Json, "payments", "status"));
    }

    [Fact]
    public async Task A_failed_mandate_refuses_cancel_and_the_simulation_refuses_moves_that_do_not_apply()
    {
        var t = await Tenant.CreateAsync(server);
        var (md, _) = await FulfilledAsync(t);
        Assert.Equal("submitted", Str((await t.SimulateAsync($"mandates/{md}/submit")).Json, "mandates", "status"));
        Assert.Equal("active", Str((await t.SimulateAsync($"mandates/{md}/activate")).Json, "mandates", "status"));
        (await t.SimulateAsync($"mandates/{md}/fail")).IsGcError(422, "invalid_state", "invalid_state_transition");
        Assert.Equal(200, (await CancelAsync(t, "/mandates/" + md)).Code); // an active mandate cancels

        var (md2, _) = await FulfilledAsync(t);
        Assert.Equal("failed", Str((await t.SimulateAsync($"mandates/{md2}/fail")).Json, "mandates", "status"));
        var refused = (await CancelAsync(t, "/mandates/" + md2)).IsGcError(422, "invalid_state", "cancellation_failed");
        Assert.Contains("mandate", refused.GetProperty("message").GetString(), StringComparison.Ordinal);
        (await t.SimulateAsync("mandates/MD0000000000AA/submit")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await t.SimulateAsync($"mandates/{md2}/explode")).IsGcError(404, "invalid_api_usage", "path_not_found");
    }

    [Fact]
    public async Task Unknown_foreign_and_malformed_cancels_answer_in_GoCardless_envelope_and_change_nothing()
    {
        var t = await Tenant.CreateAsync(server);
        var other = await Tenant.CreateAsync(server);
        var (md, pm) = await FulfilledAsync(t);
        foreach (var path in new[] { "/mandates/" + md, "/payments/" + pm })
        {
            (await CancelAsync(other, path)).IsGcError(404, "invalid_api_usage", "resource_not_found");
            (await t.Gc(HttpMethod.Post, path + "/actions/cancel", new { data = new { metadata = new { a = "1", b = "2", c = "3", d = "4" } } }))
                .IsGcError(422, "validation_failed", field: "metadata");
            (await t.Gc(HttpMethod.Post, path + "/actions/cancel", new { data = new { reason = "x" } })).IsGcError(422, "validation_failed", field: "reason");
        }
        (await CancelAsync(t, "/mandates/MD0000000000AA")).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await CancelAsync(t, "/payments/" + md)).IsGcError(404, "invalid_api_usage", "resource_not_found");
        (await t.Gc(HttpMethod.Get, "/events?mandate=" + md + "&payment=" + pm)).IsGcError(422, "validation_failed", field: "payment");
        Assert.Equal("pending_submission", await StateAsync(t, "mandates", md));
        Assert.Equal("pending_submission", await StateAsync(t, "payments", pm));
        var empty = await t.SendAsync(HttpMethod.Post, $"/payments/{pm}/actions/cancel", null, new()
        {
            ["Authorization"] = "Bearer " + t.Credential("gocardless", "live").Secret, ["GoCardless-Version"] = GoCardlessClient.Version,
        });
        Assert.True(empty.Code == 200, empty.Body); // an empty body is {"data": {}}
    }
}

[Trait("Category", "Sqlite")]
public sealed class GoCardlessResourceCancelTests_Sqlite(SqliteServer server) : GoCardlessResourceCancelTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class GoCardlessResourceCancelTests_Postgres(PostgresServer server) : GoCardlessResourceCancelTests(server), IClassFixture<PostgresServer>;
