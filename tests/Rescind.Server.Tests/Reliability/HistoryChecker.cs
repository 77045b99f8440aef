using System.Text.Json;
using Rescind.Core.Lifecycles;
using Rescind.Server.CrissCross;
using Rescind.Server.DigiCert;
using Rescind.Server.GoCardless;
using Rescind.Server.Numeral;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>The history's figures, for the test output and docs/reliability.md.</summary>
public sealed record HistoryFigures(int Operations, int Acknowledged, int Refused, int Unavailable, int NoAnswer, int Resources, int Faults, int Violations)
{
    public override string ToString() =>
        $"operations={Operations} acknowledged={Acknowledged} refused(4xx)={Refused} 503={Unavailable} no-answer={NoAnswer} resources={Resources} faults={Faults} violations={Violations}";
}

/// <summary>One audit row of the account, as the checker reads it.</summary>
public sealed record AuditRow(long Id, string ResourceId, string Action, string? FromState, string? ToState, string? IdempotencyKey);

/// <summary>One stored resource: the table it lives in (which names its lifecycle), its id and its status.</summary>
public sealed record StateRow(string Table, string Id, string Status);

/// <summary>What the database holds for one account at the end of a run: every resource's state and the audit log in
/// commit order. Read from a real database by <see cref="HistoryChecker.LoadAsync"/>, or written by hand to prove the
/// checker fails.</summary>
public sealed record HistorySnapshot(IReadOnlyList<StateRow> States, IReadOnlyList<AuditRow> Audit);

/// <summary>What the scenario allowed: how many faults it injected, and whether they may explain 503s and requests
/// without an answer.</summary>
public sealed record HistoryFaults(int Injected, bool Allow503, bool AllowNoAnswer)
{
    public static HistoryFaults None { get; } = new(0, false, false);
}

/// <summary>
/// Checks a recorded history against what the database holds at the end:
/// each resource's state is explained by one unbroken chain of audit rows with exactly one winning (terminal)
/// transition; every acknowledged write is present in the final state and the audit log; no idempotency key took
/// effect twice, and its replays answered the same; nothing answered 500; 503s (only where a fault allows them)
/// came fast, in the API's envelope, with Retry-After.
/// </summary>
public static class HistoryChecker
{
    /// <summary>The longest a 503 may take to come back: failing fast is the point of it.</summary>
    public const int Fast503Ms = 5000;

    /// <summary>Every table of resources the load touches, with the lifecycle its status follows.</summary>
    public static readonly IReadOnlyDictionary<string, Lifecycle> Kinds = new Dictionary<string, Lifecycle>(StringComparer.Ordinal)
    {
        ["numeral_requests"] = NumeralRules.Requests,
        ["crisscross_sessions"] = CrissCrossRules.Sessions,
        ["crisscross_transactions"] = CrissCrossRules.Transactions,
        ["gc_billing_requests"] = GoCardlessRules.Requests,
        ["digicert_orders"] = DigiCertRules.Orders,
        ["digicert_requests"] = DigiCertRules.Requests,
    };

    public static async Task<HistorySnapshot> LoadAsync(ProcessStorage store, string accountId)
    {
        var account = accountId.Replace("'", "", StringComparison.Ordinal);
        var audit = await store.QueryAsync<AuditRow>(
            $"SELECT id AS Id, resource_id AS ResourceId, action AS Action, from_state AS FromState, to_state AS ToState, idempotency_key AS IdempotencyKey FROM audit_log WHERE account_id = '{account}' ORDER BY id");
        var states = new List<StateRow>();
        foreach (var table in Kinds.Keys)
        {
            // CAST: DigiCert's ids are integers; the audit log names every resource by its id as text.
            states.AddRange(await store.QueryAsync<StateRow>($"SELECT '{table}' AS \"Table\", CAST(id AS TEXT) AS Id, status AS Status FROM {table} WHERE account_id = '{account}'"));
        }
        return new HistorySnapshot(states, audit);
    }

    public static async Task<(HistoryFigures Figures, IReadOnlyList<string> Violations)> CheckAsync(
        ProcessStorage store, string accountId, IReadOnlyCollection<Call> calls, HistoryFaults faults) =>
        Check(await LoadAsync(store, accountId), calls, faults);

    /// <summary>Pure: the violations of a recorded history against a snapshot of the final database.</summary>
    public static (HistoryFigures Figures, IReadOnlyList<string> Violations) Check(HistorySnapshot snapshot, IReadOnlyCollection<Call> calls, HistoryFaults faults)
    {
        var violations = new List<string>();
        var audit = snapshot.Audit.GroupBy(r => r.ResourceId).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Id).ToList());
        var states = new Dictionary<string, string>();
        foreach (var row in snapshot.States)
        {
            states[row.Id] = row.Status;
            ExplainedByOneWinner(row, Kinds[row.Table], audit.GetValueOrDefault(row.Id) ?? [], violations);
        }

        foreach (var c in calls)
        {
            if (c.Status is >= 500 and not 503)
            {
                violations.Add($"{c.Api} {c.Kind} {c.Resource} answered {c.Status}: {c.Body}");
            }
            if (c.Status == 503)
            {
                if (!faults.Allow503)
                {
                    violations.Add($"{c.Api} {c.Kind} {c.Resource} answered 503 with no fault injected: {c.Body}");
                }
                InEnvelope(c, violations);
                if (c.EndMs - c.StartMs > Fast503Ms)
                {
                    violations.Add($"{c.Api} {c.Kind} {c.Resource}: the 503 took {c.EndMs - c.StartMs} ms (not fast)");
                }
            }
            if (c.Status is null && !faults.AllowNoAnswer)
            {
                violations.Add($"{c.Api} {c.Kind} {c.Resource} got no answer with no fault injected");
            }
            if (c.Acknowledged)
            {
                AcknowledgedIsPresent(c, states, audit, violations);
            }
        }

        // No key took effect twice: per key, at most one audit row per resource and action; and every acknowledged
        // answer under one key is the same answer.
        foreach (var twice in snapshot.Audit.Where(r => r.IdempotencyKey is not null)
            .GroupBy(r => (r.IdempotencyKey, r.ResourceId, r.Action)).Where(g => g.Count() > 1))
        {
            violations.Add($"key {twice.Key.IdempotencyKey} applied {twice.Count()} times to {twice.Key.ResourceId} ({twice.Key.Action})");
        }
        foreach (var replays in calls.Where(c => c.Key is not null && c.Acknowledged).GroupBy(c => c.Key).Where(g => g.Select(c => c.Body).Distinct().Count() > 1))
        {
            violations.Add($"key {replays.Key} answered differently: {string.Join(" | ", replays.Select(c => c.Body).Distinct())}");
        }

        var figures = new HistoryFigures(calls.Count, calls.Count(c => c.Acknowledged), calls.Count(c => c.Status is >= 400 and < 500),
            calls.Count(c => c.Status == 503), calls.Count(c => c.Status is null), states.Count, faults.Injected, violations.Count);
        return (figures, violations);
    }

    /// <summary>The audit rows of one resource form one unbroken chain that ends in its stored state, with exactly one
    /// winning transition into a terminal state when it is terminal (none when it is not). A resource created
    /// terminal (a DigiCert request approved on placement) wins with its creation.</summary>
    private static void ExplainedByOneWinner(StateRow row, Lifecycle lifecycle, List<AuditRow> rows, List<string> violations)
    {
        string? at = null;
        var winners = 0;
        foreach (var r in rows.Where(r => r.ToState is not null && lifecycle.States.Contains(r.ToState)))
        {
            if (at is not null && r.FromState != at)
            {
                violations.Add($"{row.Id}: audit row {r.Id} ({r.Action}) starts from {r.FromState}, but the resource was {at}");
            }
            if ((r.FromState is null || !lifecycle.IsTerminal(r.FromState)) && lifecycle.IsTerminal(r.ToState!))
            {
                winners++;
            }
            at = r.ToState;
        }
        if (at != row.Status)
        {
            violations.Add($"{row.Id}: stored {row.Status}, but its audit log ends at {at ?? "nothing"}");
        }
        if (winners != (lifecycle.IsTerminal(row.Status) ? 1 : 0))
        {
            violations.Add($"{row.Id}: {row.Status} explained by {winners} winning transitions");
        }
    }

    private static void AcknowledgedIsPresent(Call c, Dictionary<string, string> states, Dictionary<string, List<AuditRow>> audit, List<string> violations)
    {
        string? Expect(string resource, params string[] allowed)
        {
            var state = states.GetValueOrDefault(resource);
            return state is not null && allowed.Contains(state) ? null : $"acknowledged {c.Api} {c.Kind} of {resource}, but it is {state ?? "missing"}";
        }
        string? Exists(string? resource) => resource is not null && states.ContainsKey(resource) ? null : $"acknowledged {c.Api} {c.Kind} created {resource}, but it is missing";
        string? Audited(string resource, string action) =>
            audit.GetValueOrDefault(resource)?.Any(r => r.Action == action) == true ? null : $"acknowledged {c.Api} {c.Kind} of {resource} has no {action} audit row";

        var problem = (c.Api, c.Kind) switch
        {
            ("numeral", "create") => Exists(c.Field("id")),
            ("numeral", "cancel") => Expect(c.Resource, NumeralRules.Canceled) ?? Audited(c.Resource, "cancel"),
            ("operator", "accept") => Expect(c.Resource, NumeralRules.Fulfilled),
            ("operator", "reject") => Expect(c.Resource, NumeralRules.Failed),
            ("crisscross", "create") => Exists(c.Field("sessionId")),
            ("crisscross", "pay") => Exists(c.Field("transactionId")),
            ("crisscross", "cancel") when c.Field("status") == CrissCrossRules.Cancelled =>
                Expect(c.Resource, CrissCrossRules.Cancelled) ?? Audited(c.Resource, "cancel"),
            ("crisscross", "cancel") =>
                Expect(c.Resource, CrissCrossRules.PendingCancellation, CrissCrossRules.Cancelled) ?? Audited(c.Resource, "cancel"),
            ("operator", "complete") => Expect(c.Resource, CrissCrossRules.Completed),
            ("operator", "fail") => Expect(c.Resource, CrissCrossRules.Failed),
            ("gocardless", "create") => Exists(c.Field("billing_requests", "id")),
            ("gocardless", "cancel") => Expect(c.Resource, GoCardlessRules.Cancelled) ?? Audited(c.Resource, "cancel"),
            ("operator", "fulfil") => Expect(c.Resource, GoCardlessRules.Fulfilled),
            ("digicert", "create") => Exists(c.Field("id")),
            ("digicert", "cancel") => Expect(c.Resource, DigiCertRules.Canceled) ?? Audited(c.Resource, "cancel"),
            ("digicert", "approve") => Expect(c.Resource, DigiCertRules.Approved),
            // Issued is where the load leaves a validated order: nothing in the mix reissues, revokes or expires it.
            ("operator", "validate") => Expect(c.Resource, DigiCertRules.Issued),
            _ => null,
        };
        if (problem is not null)
        {
            violations.Add(problem);
        }
    }

    /// <summary>A 503 is in the envelope of the API the path belongs to, and says when to retry.</summary>
    private static void InEnvelope(Call c, List<string> violations)
    {
        try
        {
            var json = JsonDocument.Parse(c.Body!).RootElement;
            var ok = c.Api switch
            {
                "numeral" => json.GetProperty("code").GetInt32() == 503 && json.GetProperty("type").GetString() == "SERVICE_UNAVAILABLE" && json.EnumerateObject().Count() == 3,
                "crisscross" => json.GetProperty("statusCode").GetInt32() == 503 && json.EnumerateObject().Count() == 3,
                "gocardless" => json.GetProperty("error").GetProperty("code").GetInt32() == 503 && json.EnumerateObject().Count() == 1,
                "digicert" => json.GetProperty("errors")[0].GetProperty("code").GetString() == "service_unavailable" && json.EnumerateObject().Count() == 1,
                "circle" => json.GetProperty("code").GetInt32() == 503 && json.GetProperty("message").GetString() is { Length: > 0 },
                _ => json.GetProperty("status").GetInt32() == 503,
            };
            if (!ok || c.RetryAfter is null)
            {
                violations.Add($"{c.Api} {c.Kind}: 503 outside its envelope or without Retry-After: {c.Body}");
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or ArgumentNullException)
        {
            violations.Add($"{c.Api} {c.Kind}: 503 body is not the API's envelope: {c.Body}");
        }
    }
}
