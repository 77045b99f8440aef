using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary><c>rescind verify</c> reports a resource whose audit rows or events are stamped earlier than the ones
/// committed before them (on a database of this class's own, repaired after each change).</summary>
public abstract class TimeOrderVerifyTests(RescindServer server)
{
    private const string AuditOrder = "a resource's audit times never go backwards in commit order";
    private const string EventOrder = "a resource's event times never go backwards in commit order";

    [Fact]
    public async Task A_row_stamped_before_the_one_committed_ahead_of_it_is_reported_naming_it()
    {
        var t = await Tenant.CreateAsync(server);
        var id = await t.PendingRequestAsync();
        Assert.Equal(200, (await t.CancelAsync(id)).Code);
        await Audit.AssertVerifiedAsync(server);
        Assert.Empty(await Audit.ViolationsAsync(server, AuditOrder));
        Assert.Empty(await Audit.ViolationsAsync(server, EventOrder));

        var last = await server.CountAsync("SELECT MAX(id) FROM audit_log WHERE resource_id = @id", new { id });
        var at = await server.CountAsync("SELECT at FROM audit_log WHERE id = @last", new { last });
        await Audit.TamperAsync(server, "UPDATE audit_log SET at = at - 60000 WHERE id = @last", new { last });
        var violation = Assert.Single(await Audit.ViolationsAsync(server, AuditOrder));
        Assert.StartsWith($"audit row {last} of {id} is stamped {at - 60000}", violation, StringComparison.Ordinal);
        await Audit.TamperAsync(server, "UPDATE audit_log SET at = @at WHERE id = @last", new { at, last });

        var lastEvent = await server.CountAsync("SELECT MAX(id) FROM outbox WHERE resource_id = @id", new { id });
        await Audit.TamperAsync(server, "UPDATE outbox SET created_at = created_at - 60000 WHERE id = @lastEvent", new { lastEvent });
        Assert.Contains($"of {id} is stamped", Assert.Single(await Audit.ViolationsAsync(server, EventOrder)), StringComparison.Ordinal);
        await Audit.TamperAsync(server, "UPDATE outbox SET created_at = created_at + 60000 WHERE id = @lastEvent", new { lastEvent });
        await Audit.AssertVerifiedAsync(server);
    }
}

[Trait("Category", "Sqlite")]
public sealed class TimeOrderVerifyTests_Sqlite(SqliteServer server) : TimeOrderVerifyTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class TimeOrderVerifyTests_Postgres(PostgresServer server) : TimeOrderVerifyTests(server), IClassFixture<PostgresServer>;
