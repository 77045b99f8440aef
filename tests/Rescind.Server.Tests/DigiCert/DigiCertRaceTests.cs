using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>
/// Concurrency: whatever the interleaving, each race has one winner, and the stored order, its requests, the audit
/// log and the outbox tell the same story.
/// </summary>
public abstract class DigiCertRaceTests(RescindServer server)
{
    private const int Races = 60;

    [Fact]
    public async Task Thirty_parallel_cancels_of_one_order_make_one_204_one_audit_row_and_one_event()
    {
        var t = await Tenant.CreateAsync(server);
        var o = await t.OrderAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Task.Run(() => t.CancelAsync(o.Id))));

        Assert.Single(answers, a => a.Code == 204);
        Assert.All(answers.Where(a => a.Code != 204), a => a.IsDigiCertError(400, "invalid_status|order"));
        Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, o.Id, "cancel"));
        Assert.Equal(1, await DigiCertClient.EventCountAsync(server, o.Id, "order_canceled"));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM digicert_orders WHERE id = @Id AND status = 'canceled' AND version = 2", new { o.Id }));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Sixty_cancel_versus_issuance_races_each_have_exactly_one_winner()
    {
        var t = await Tenant.CreateAsync(server);
        var ids = new List<long>();
        for (var i = 0; i < Races; i++)
        {
            // Half TLS (the CA validates), half client certificates emailed to the recipient (who generates).
            ids.Add(i % 2 == 0 ? (await t.OrderAsync()).Id : (await t.OrderAsync("client_premium", csr: false)).Id);
        }

        var races = await Task.WhenAll(ids.Select(async (id, i) =>
        {
            var cancel = Task.Run(() => t.CancelAsync(id));
            var issue = Task.Run(() => t.SimulateAsync(id, i % 2 == 0 ? "validate" : "generate"));
            return (Id: id, Cancel: await cancel, Issue: await issue);
        }));

        var cancelWins = 0;
        foreach (var (id, cancel, issue) in races)
        {
            var order = (await t.GetOrderAsync(id)).Json;
            var events = await DigiCertClient.EventTypesAsync(server, id);
            if (cancel.Code == 204)
            {
                cancelWins++;
                issue.IsDigiCertError(400, "invalid_status|order");
                Assert.Equal("canceled", order.GetProperty("status").GetString());
                Assert.False(order.GetProperty("certificate").TryGetProperty("id", out _));
                Assert.True(order.GetProperty("refund_required").GetBoolean());
                Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, id, "cancel"));
                Assert.Contains("order_canceled", events);
                Assert.DoesNotContain("certificate_issued", events);
            }
            else
            {
                cancel.IsDigiCertError(400, "invalid_status|order");
                Assert.Equal(200, issue.Code);
                Assert.Equal("issued", order.GetProperty("status").GetString());
                Assert.True(order.GetProperty("certificate").GetProperty("id").GetInt64() > 0);
                Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, id, "cancel"));
                Assert.Contains("certificate_issued", events);
                Assert.DoesNotContain("order_canceled", events);
            }
        }
        Assert.Equal(Races, await server.CountAsync(
            "SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND resource_type = 'order' AND action IN ('cancel', 'validate', 'generate')", new { t.AccountId }));
        Assert.Equal(cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM digicert_orders WHERE account_id = @AccountId AND status = 'canceled'", new { t.AccountId }));
        Assert.Equal(Races - cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM digicert_orders WHERE account_id = @AccountId AND status = 'issued' AND certificate_id IS NOT NULL", new { t.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Sixty_cancel_versus_approval_races_never_cancel_an_unplaced_order_and_agree_everywhere()
    {
        var t = await Tenant.CreateAsync(server);
        var orders = new List<PlacedOrder>();
        for (var i = 0; i < Races; i++)
        {
            orders.Add(await t.OrderAsync(i % 2 == 0 ? "ssl_basic" : "client_premium", csr: i % 4 != 1, skipApproval: false));
        }

        var races = await Task.WhenAll(orders.Select(async o =>
        {
            var cancel = Task.Run(() => t.CancelAsync(o.Id));
            var approve = Task.Run(() => t.ProcessAsync(o.RequestId, "approved"));
            return (Order: o, Cancel: await cancel, Approve: await approve);
        }));

        foreach (var (o, cancel, approve) in races)
        {
            // The approval always goes through; the cancel wins only if it saw the placed order.
            Assert.Equal(204, approve.Code);
            Assert.Equal("approved", (await t.GetRequestAsync(o.RequestId)).Str("status"));
            var status = await t.StatusAsync(o.Id);
            var log = (await t.AuditLogAsync(o.Id)).Where(e => e.GetProperty("resource_type").GetString() == "order")
                .Select(e => e.GetProperty("action").GetString()).ToList();
            var events = await DigiCertClient.EventTypesAsync(server, o.Id);
            if (cancel.Code == 204)
            {
                Assert.Equal("canceled", status);
                Assert.Equal(["create", "approve", "cancel"], log);
                Assert.Equal(["order_created", "order_approved", "order_canceled"], events);
            }
            else
            {
                cancel.IsDigiCertError(400, "invalid_status|order");
                Assert.Contains("needs_approval", cancel.Message(), StringComparison.Ordinal);
                Assert.True(status is "pending" or "waiting_pickup", status);
                Assert.Equal(["create", "approve"], log);
                Assert.Equal(["order_created", "order_approved"], events);
            }
        }
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Sixty_reissue_cancel_versus_recipient_generation_races_each_have_exactly_one_winner()
    {
        var t = await Tenant.CreateAsync(server);
        var reissues = new List<(long Order, long Request, long Certificate)>();
        for (var i = 0; i < Races; i++)
        {
            var id = await t.IssuedOrderAsync("client_premium", csr: false);
            var certificate = (await t.GetOrderAsync(id)).Json.GetProperty("certificate").GetProperty("id").GetInt64();
            var r = await t.DigiCertAsync(HttpMethod.Post, $"/services/v2/order/certificate/{id}/reissue");
            Assert.True(r.Code == 201, r.Body);
            reissues.Add((id, r.Json.GetProperty("requests")[0].GetProperty("id").GetInt64(), certificate));
        }

        var races = await Task.WhenAll(reissues.Select(async x =>
        {
            var cancel = Task.Run(() => t.CancelAsync(x.Order, "reissue not needed"));
            var generate = Task.Run(() => t.SimulateAsync(x.Order, "generate"));
            return (x.Order, x.Request, x.Certificate, Cancel: await cancel, Generate: await generate);
        }));

        var cancelWins = 0;
        foreach (var (id, requestId, certificate, cancel, generate) in races)
        {
            var order = (await t.GetOrderAsync(id)).Json;
            Assert.Equal("issued", order.GetProperty("status").GetString()); // either way
            var request = (await t.GetRequestAsync(requestId)).Json;
            var issuedEvents = await DigiCertClient.EventCountAsync(server, id, "certificate_issued");
            if (cancel.Code == 204)
            {
                cancelWins++;
                generate.IsDigiCertError(400, "invalid_status|order");
                Assert.Equal(certificate, order.GetProperty("certificate").GetProperty("id").GetInt64());
                Assert.Equal("rejected", request.GetProperty("status").GetString());
                Assert.Equal("reissue not needed", request.GetProperty("processor_comment").GetString());
                Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, id, "cancel"));
                Assert.Equal(1, await DigiCertClient.EventCountAsync(server, id, "order_canceled"));
                Assert.Equal(1, issuedEvents); // the first issuance only
            }
            else
            {
                cancel.IsDigiCertError(400, "invalid_status|order");
                Assert.Equal(200, generate.Code);
                Assert.NotEqual(certificate, order.GetProperty("certificate").GetProperty("id").GetInt64());
                Assert.Equal("approved", request.GetProperty("status").GetString());
                Assert.Equal(0, await DigiCertClient.ActionCountAsync(server, id, "cancel"));
                Assert.Equal(0, await DigiCertClient.EventCountAsync(server, id, "order_canceled"));
                Assert.Equal(2, issuedEvents);
            }
            Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM digicert_requests WHERE order_id = @id AND type = 'reissue' AND status <> 'pending'", new { id }));
        }
        Assert.Equal(cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM digicert_requests WHERE account_id = @AccountId AND type = 'reissue' AND status = 'rejected'", new { t.AccountId }));
        Assert.Equal(Races - cancelWins, await server.CountAsync(
            "SELECT COUNT(*) FROM digicert_requests WHERE account_id = @AccountId AND type = 'reissue' AND status = 'approved'", new { t.AccountId }));
        Assert.Equal(Races, await server.CountAsync(
            "SELECT COUNT(*) FROM audit_log WHERE account_id = @AccountId AND resource_type = 'request' AND action IN ('approve', 'reject') AND from_state = 'pending'",
            new { t.AccountId }));
        await Audit.AssertVerifiedAsync(server);
    }

    [Fact]
    public async Task Two_nodes_on_one_database_cancel_each_order_exactly_once()
    {
        var t = await Tenant.CreateAsync(server);
        var other = t.On(server.StartAnotherNode());
        var ids = new List<long>();
        for (var i = 0; i < 15; i++)
        {
            ids.Add((await t.OrderAsync()).Id);
        }

        var answers = await Task.WhenAll(ids.SelectMany(id => Enumerable.Range(0, 4).Select(n =>
            Task.Run(async () => (Id: id, Answer: await (n % 2 == 0 ? t : other).CancelAsync(id))))));

        foreach (var group in answers.GroupBy(a => a.Id))
        {
            Assert.Single(group, a => a.Answer.Code == 204);
            Assert.Equal(1, await DigiCertClient.ActionCountAsync(server, group.Key, "cancel"));
            Assert.Equal(1, await DigiCertClient.EventCountAsync(server, group.Key, "order_canceled"));
        }
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertRaceTests_Sqlite(SqliteServer server) : DigiCertRaceTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertRaceTests_Postgres(PostgresServer server) : DigiCertRaceTests(server), IClassFixture<PostgresServer>;
