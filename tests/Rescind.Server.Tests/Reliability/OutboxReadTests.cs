using Dapper;
using Rescind.Core.Storage;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// The reads that poll one account's events of one API (Rescind's event stream every 200 ms, GoCardless's
/// <c>/events</c>) go through the outbox's (account, API, id) index, never a walk of every tenant's outbox: eight
/// streams over 500,000 other tenants' events took 1.6 of 2 cores without it.
/// </summary>
public abstract class OutboxReadTests(RescindServer server)
{
    public static readonly TheoryData<string> Reads = new()
    {
        // the event stream, live
        "SELECT o.id, o.event_type, o.payload FROM outbox o JOIN rescind_cancellations r ON r.id = o.resource_id WHERE o.account_id = 'acct_x' AND o.api = 'rescind' AND r.mode = 'live' AND o.id > 5 ORDER BY o.id LIMIT 100",
        // the event stream, from now
        "SELECT MAX(id) FROM outbox WHERE account_id = 'acct_x' AND api = 'rescind'",
        // GoCardless events, newest first
        "SELECT id, payload, created_at FROM outbox WHERE account_id = 'acct_x' AND api = 'gocardless' ORDER BY id DESC LIMIT 51",
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task A_read_of_one_accounts_events_uses_the_account_index(string sql)
    {
        await using var connection = await server.Db.OpenAsync(CancellationToken.None);
        string plan;
        if (server.Db.Kind == DatabaseKind.Postgres)
        {
            // A near-empty table is scanned whatever the indexes; forbid that to see which index the planner can use.
            await using var tx = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("SET LOCAL enable_seqscan = off", transaction: tx);
            plan = string.Join("\n", await connection.QueryAsync<string>("EXPLAIN " + sql, transaction: tx));
        }
        else
        {
            plan = string.Join("\n", (await connection.QueryAsync("EXPLAIN QUERY PLAN " + sql)).Select(r => (string)((IDictionary<string, object>)r)["detail"]));
        }
        Assert.Contains("ix_outbox_account_api", plan);
    }
}

[Trait("Category", "Sqlite")]
public sealed class OutboxReadTests_Sqlite(SqliteServer server) : OutboxReadTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class OutboxReadTests_Postgres(PostgresServer server) : OutboxReadTests(server), IClassFixture<PostgresServer>;
