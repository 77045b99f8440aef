using System.Data.Common;
using Rescind.Core.Storage;

namespace Rescind.Core.Coordination;

/// <summary>
/// The PostgreSQL pre-commit batch of one unit of work: writes that nothing later reads back (audit rows, outbox
/// events, the stored idempotent answer) and state writes of rows the transaction holds locked, queued and sent
/// as one <see cref="DbBatch"/> (one round trip) just before COMMIT, or before the transaction's next statement
/// when a state write is queued (so the transaction reads its own writes). A state write's row count is checked
/// when the batch returns; a miss throws <see cref="ConcurrencyConflictException"/> and the transaction is retried.
/// What its caches save is measured by <c>bench/Rescind.MicroBench</c> (latest: bench/results/2026-12-02-micro-precommit.md).
/// </summary>
public sealed partial class PreCommitBatch
{
    private readonly List<(string Sql, object Args, int? Expected)> deferred = [];

    /// <summary>Whether a queued write has a row count to check (then it must be sent before the next read).</summary>
    public bool HasStateWrites => deferred.Exists(d => d.Expected is not null);

    public int Count => deferred.Count;

    public void Add(string sql, object args, int? expected) => deferred.Add((sql, args, expected));


    /// <summary>
    /// Sends the deferred writes as one <see cref="DbBatch"/> (one round trip). Each statement's <c>@Name</c>
    /// parameters are rewritten once per statement text to positional <c>$n</c> parameters with their types set
    /// from the property types, so the driver neither parses the SQL nor infers a type per value on every commit
    /// (both showed in the CPU profile of a PostgreSQL cancel, see bench/results).
    /// </summary>
    public async Task SendAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct)
    {
        if (deferred.Count == 0)
        {
            return;
        }
        var expectations = new List<(int Index, int Expected)>();
        await using var batch = Build(connection, transaction, expectations);
        deferred.Clear();
        await batch.ExecuteNonQueryAsync(ct);
        foreach (var (index, expected) in expectations)
        {
            var changed = batch.BatchCommands[index].RecordsAffected;
            if (changed != expected)
            {
                throw new ConcurrencyConflictException($"expected {expected} row(s), changed {changed} (deferred)");
            }
        }
    }

    /// <summary>The queued writes as one batch command of <paramref name="connection"/>'s driver, with the
    /// positions of the state writes whose row counts are to be checked.</summary>
    public DbBatch Build(DbConnection connection, DbTransaction? transaction, List<(int Index, int Expected)> expectations)
    {
        var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        foreach (var (sql, args, expected) in deferred)
        {
            if (expected is { } n)
            {
                expectations.Add((batch.BatchCommands.Count, n));
            }
            var statement = Positional.GetOrAdd(sql, ToPositional);
            var properties = Accessors.GetOrAdd(args.GetType(), AccessorsOf);
            var command = batch.CreateBatchCommand();
            command.CommandText = statement.Sql;
            foreach (var name in statement.Names)
            {
                if (!properties.TryGetValue(name, out var property))
                {
                    throw new InvalidOperationException($"deferred write: no value for @{name}");
                }
                var parameter = command.CreateParameter();
                if (property.Type is { } type)
                {
                    parameter.DbType = type;
                }
                parameter.Value = property.Get(args) ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }
            batch.BatchCommands.Add(command);
        }
        return batch;
    }

    /// <summary>Forgets the queued writes (after they were sent, or in a benchmark).</summary>
    public void Clear() => deferred.Clear();

    public sealed record PositionalSql(string Sql, string[] Names);

    private sealed record Accessor(System.Data.DbType? Type, Func<object, object?> Get);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, PositionalSql> Positional = new(StringComparer.Ordinal);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Dictionary<string, Accessor>> Accessors = new();

    /// <summary><c>@A … @B … @A</c> becomes <c>$1 … $2 … $1</c>, with the names in position order.</summary>
    public static PositionalSql ToPositional(string sql)
    {
        var names = new List<string>();
        var text = ParameterName().Replace(sql, m =>
        {
            var name = m.Groups[1].Value;
            var index = names.FindIndex(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                names.Add(name);
                index = names.Count - 1;
            }
            return "$" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        return new PositionalSql(text, [.. names]);
    }

    private static Dictionary<string, Accessor> AccessorsOf(Type t) =>
        t.GetProperties().ToDictionary(
            p => p.Name,
            p => new Accessor(DbTypeOf(p.PropertyType), p.GetValue),
            StringComparer.OrdinalIgnoreCase);

    private static System.Data.DbType? DbTypeOf(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(string) => System.Data.DbType.String,
        var x when x == typeof(long) => System.Data.DbType.Int64,
        var x when x == typeof(int) => System.Data.DbType.Int32,
        var x when x == typeof(bool) => System.Data.DbType.Boolean,
        _ => null,
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"@(\w+)")]
    private static partial System.Text.RegularExpressions.Regex ParameterName();

}
