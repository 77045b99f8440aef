using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.DigiCert;

/// <summary>The DigiCert invariants catch tampering (each check on a database of its own class, then repaired).</summary>
public abstract class DigiCertVerifyTests(RescindServer server)
{
    private Task<IReadOnlyList<string>> ViolationsAsync(string invariant) => Audit.ViolationsAsync(server, invariant);

    private Task ExecAsync(string sql, object args) => Audit.TamperAsync(server, sql, args);

    [Fact]
    public async Task Each_DigiCert_invariant_reports_the_row_that_breaks_it()
    {
        var t = await Tenant.CreateAsync(server);
        var pending = await t.OrderAsync();
        var waiting = await t.OrderAsync(skipApproval: false);
        await Audit.AssertVerifiedAsync(server);

        // An unaudited status change (and a certificate-less issued order).
        await ExecAsync("UPDATE digicert_orders SET status = 'issued' WHERE id = @Id", new { pending.Id });
        Assert.Contains($"order {pending.Id} is issued but its audit log ends in pending", await ViolationsAsync("digicert: each order's status is its last audited status"));
        Assert.Contains($"order {pending.Id} is issued without a certificate", await ViolationsAsync("digicert: a certificate exactly when the order was issued"));
        await ExecAsync("UPDATE digicert_orders SET status = 'pending' WHERE id = @Id", new { pending.Id });

        // A refund flag on an order that was not canceled.
        await ExecAsync("UPDATE digicert_orders SET refund_required = 1 WHERE id = @Id", new { pending.Id });
        Assert.Single(await ViolationsAsync("digicert: refund_required only on canceled orders paid from the balance"));
        await ExecAsync("UPDATE digicert_orders SET refund_required = 0 WHERE id = @Id", new { pending.Id });

        // An order waiting for approval whose request was processed behind its back.
        await ExecAsync("UPDATE digicert_requests SET status = 'approved' WHERE id = @RequestId", new { waiting.RequestId });
        Assert.Single(await ViolationsAsync("digicert: an open request exactly while the order waits for it"));
        Assert.Single(await ViolationsAsync("digicert: each request's status is its last audited status"));
        await ExecAsync("UPDATE digicert_requests SET status = 'pending' WHERE id = @RequestId", new { waiting.RequestId });

        // A lost event.
        await ExecAsync("DELETE FROM outbox WHERE resource_id = @Id", new { Id = pending.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Contains($"order {pending.Id} has 1 audit rows but 0 events", await ViolationsAsync("digicert: one event per audited order change"));
    }
}

[Trait("Category", "Sqlite")]
public sealed class DigiCertVerifyTests_Sqlite(SqliteServer server) : DigiCertVerifyTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class DigiCertVerifyTests_Postgres(PostgresServer server) : DigiCertVerifyTests(server), IClassFixture<PostgresServer>;
