using System.Data.Common;
using System.Reflection;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Npgsql;
using Rescind.Core.Coordination;

namespace Rescind.MicroBench;

/// <summary>
/// What the pre-commit batch's caches save per cancel: building the audit, outbox and state-write commands of one
/// PostgreSQL cancel with the statement text rewritten once (positional <c>$n</c>) and the argument accessors kept,
/// against rewriting the text and reflecting over the arguments on every commit. No database is needed: building
/// the batch is the client-side work; sending it is the same round trip either way.
/// </summary>
[MemoryDiagnoser]
public partial class PreCommitBatchBench
{
    private const string Update = "UPDATE numeral_requests SET status = @Status, updated_at = @UpdatedAt, version = @Version WHERE id = @Id AND version = @Expected";

    private const string Audit =
        """
        INSERT INTO audit_log (account_id, api, resource_type, resource_id, action, from_state, to_state,
                               actor_kind, actor_id, request_id, idempotency_key, reason, at)
        VALUES (@AccountId, @Api, @ResourceType, @ResourceId, @Action, @From, @To,
                @ActorKind, @ActorId, @RequestId, @Key, @Reason, @At)
        """;

    private const string Outbox =
        """
        INSERT INTO outbox (event_id, account_id, api, event_type, resource_type, resource_id, payload, created_at)
        VALUES (@EventId, @AccountId, @Api, @EventType, @ResourceType, @ResourceId, @Payload, @At)
        """;

    private readonly NpgsqlConnection connection = new();

    private readonly object state = new { Status = "canceled", UpdatedAt = 1_760_000_000_000L, Version = 2L, Id = "cert_req_1", Expected = 1L };

    private readonly object record = new
    {
        AccountId = "acct_1", Api = "numeral", ResourceType = "certificate_request", ResourceId = "cert_req_1", Action = "cancel",
        From = "pending", To = "canceled", ActorKind = "credential", ActorId = "cred_1", RequestId = "req_1", Key = (string?)null,
        Reason = (string?)null, At = 1_760_000_000_000L, EventId = "evt_1", EventType = "certificate_request.canceled", Payload = "{}",
    };

    [Benchmark(Baseline = true, Description = "rewrite and reflect on every commit")]
    public int Uncached()
    {
        using var batch = connection.CreateBatch();
        foreach (var (sql, args) in new[] { (Update, state), (Audit, record), (Outbox, record) })
        {
            var names = new List<string>();
            var text = Name().Replace(sql, m =>
            {
                var i = names.IndexOf(m.Groups[1].Value);
                if (i < 0)
                {
                    names.Add(m.Groups[1].Value);
                    i = names.Count - 1;
                }
                return "$" + (i + 1);
            });
            var command = batch.CreateBatchCommand();
            command.CommandText = text;
            foreach (var name in names)
            {
                var property = args.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)!;
                var parameter = command.CreateParameter();
                parameter.Value = property.GetValue(args) ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }
            batch.BatchCommands.Add(command);
        }
        return batch.BatchCommands.Count;
    }

    [Benchmark(Description = "PreCommitBatch (cached text and accessors)")]
    public int Cached()
    {
        var pending = new PreCommitBatch();
        pending.Add(Update, state, 1);
        pending.Add(Audit, record, null);
        pending.Add(Outbox, record, null);
        using DbBatch batch = pending.Build(connection, null, []);
        return batch.BatchCommands.Count;
    }

    [GeneratedRegex(@"@(\w+)")]
    private static partial Regex Name();
}
