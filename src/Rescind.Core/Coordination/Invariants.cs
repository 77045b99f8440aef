using Dapper;
using Rescind.Core.Storage;

namespace Rescind.Core.Coordination;

/// <summary>One rule the whole database must satisfy, checked by <c>rescind verify</c>.</summary>
public interface IInvariant
{
    string Name { get; }

    /// <summary>A line per violation (empty when the rule holds), each naming the rows at fault.</summary>
    Task<IReadOnlyList<string>> ViolationsAsync(Database db, CancellationToken ct);
}

/// <summary>An invariant written as one query whose rows are the violations (first column: a description).</summary>
public sealed class SqlInvariant(string name, string sql, int limit = 100) : IInvariant
{
    public string Name => name;

    public async Task<IReadOnlyList<string>> ViolationsAsync(Database db, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition($"SELECT * FROM ({sql}) v LIMIT {limit}", null, cancellationToken: ct))).ToList();
    }
}

public sealed record Verification(IReadOnlyList<(string Invariant, IReadOnlyList<string> Violations)> Results)
{
    public bool Ok => Results.All(r => r.Violations.Count == 0);
}

/// <summary>Runs every registered invariant: the core's own and each API's.</summary>
public sealed class Verifier(Database db, IEnumerable<IInvariant> invariants)
{
    public static IEnumerable<IInvariant> Core =>
    [
        new SqlInvariant("idempotency records are complete",
            "SELECT 'idempotency key ' || key || ' of account ' || account_id || ' has no stored response' FROM idempotency WHERE response_status = 0"),
        new SqlInvariant("every outbox event has an audit row for its resource",
            """
            SELECT 'event ' || o.event_id || ' (' || o.event_type || ') on ' || o.resource_id || ' has no audit row'
            FROM outbox o
            WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.resource_id = o.resource_id AND a.api = o.api)
            """),
        // A resource's writes are serialised by its row lock (SQLite: the single writer), so the order of its rows'
        // ids is their commit order; time is read once the locks are held, so their times never go backwards.
        new SqlInvariant("a resource's audit times never go backwards in commit order",
            """
            SELECT 'audit row ' || id || ' of ' || resource_id || ' is stamped ' || at || ', before the row committed ahead of it (' || prev_at || ')'
            FROM (SELECT id, resource_id, at, LAG(at) OVER (PARTITION BY api, resource_id ORDER BY id) AS prev_at FROM audit_log) x
            WHERE at < prev_at
            """),
        new SqlInvariant("a resource's event times never go backwards in commit order",
            """
            SELECT 'event ' || event_id || ' (' || event_type || ') of ' || resource_id || ' is stamped ' || created_at || ', before the event committed ahead of it (' || prev_at || ')'
            FROM (SELECT event_id, event_type, resource_id, created_at, LAG(created_at) OVER (PARTITION BY api, resource_id ORDER BY id) AS prev_at FROM outbox) x
            WHERE created_at < prev_at
            """),
        new SqlInvariant("every webhook delivery belongs to an event and an endpoint",
            """
            SELECT 'delivery ' || d.id || ' points at a missing event or endpoint'
            FROM webhook_deliveries d
            WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = d.outbox_id)
               OR NOT EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id)
            """),
    ];

    public async Task<Verification> VerifyAsync(CancellationToken ct)
    {
        var results = new List<(string, IReadOnlyList<string>)>();
        foreach (var invariant in Core.Concat(invariants))
        {
            results.Add((invariant.Name, await invariant.ViolationsAsync(db, ct)));
        }
        return new Verification(results);
    }
}
