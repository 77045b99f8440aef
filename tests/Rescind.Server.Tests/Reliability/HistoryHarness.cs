using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Rescind.Core.Lifecycles;
using Rescind.Server.CrissCross;
using Rescind.Server.Numeral;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>One <c>rescind serve</c> process on a fixed port that a test can kill (SIGKILL) and start again.</summary>
public sealed class ServerNode(int index, Func<string[]> storageArgs, string operatorToken) : IAsyncDisposable
{
    private readonly int port = RescindProcess.FreePort();
    private Process? process;

    public int Index => index;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(20) };

    public Uri BaseAddress => new($"http://127.0.0.1:{port}");

    public async Task StartAsync()
    {
        process = RescindProcess.Start(
        [
            "serve", "--urls", BaseAddress.ToString().TrimEnd('/'), .. storageArgs(), "--Rescind:OperatorToken=" + operatorToken,
            "--Rescind:Jobs:Enabled=false", "--Rescind:RateLimit:PermitsPerSecond=0", "--Logging:LogLevel:Default=Warning",
        ]);
        await RescindProcess.WaitHealthyAsync(Http, BaseAddress);
    }

    /// <summary>SIGKILL: no graceful shutdown, open transactions and connections simply vanish.</summary>
    public async Task KillAsync()
    {
        if (process is null)
        {
            return;
        }
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Http.Dispose();
    }
}

/// <summary>One request of the history: who sent what to which node, and what came back (null: no answer).</summary>
public sealed record Call(int Client, int Node, string Api, string Kind, string Resource, string? Key, long StartMs, long EndMs, int? Status, string? Body, string? RetryAfter)
{
    public bool Acknowledged => Status is >= 200 and < 300;

    public string? Str(string name)
    {
        try
        {
            return JsonDocument.Parse(Body!).RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The credentials the load uses: one account's Numeral key and CrissCross token, and the operator's.</summary>
public sealed record LoadCredentials(string AccountId, string NumeralKey, string CrissCrossToken, string OperatorToken);

/// <summary>
/// Concurrent mixed load from many clients across the nodes, recording every request and response: Numeral
/// requests created, submitted, cancelled, accepted and rejected; CrissCross sessions created and paid (card and
/// mobile money), cancelled (with cascades and pending cancellations) and completed or failed by the provider.
/// Every write carries an idempotency key; a request without an answer (or a 503) is retried with the same key on
/// the next node, and some keys are replayed on purpose.
/// </summary>
public sealed class MixedLoad(IReadOnlyList<ServerNode> nodes, LoadCredentials creds, int seed)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Call> calls = new();
    private readonly List<string> numeral = [];
    private readonly List<(string Session, string Tx)> crisscross = [];
    private readonly ConcurrentDictionary<string, string> keys = new();

    public IReadOnlyCollection<Call> Calls => calls;

    public long NowMs => clock.ElapsedMilliseconds;

    public Task RunAsync(int clients, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, stop), CancellationToken.None)));

    private async Task ClientAsync(int client, CancellationToken stop)
    {
        var rnd = new Random(seed * 1000 + client);
        var home = client % nodes.Count;
        while (!stop.IsCancellationRequested)
        {
            var roll = rnd.Next(100);
            if (roll < 14 || Count(numeral) < 4)
            {
                await CreateNumeralAsync(client, home, rnd);
            }
            else if (roll < 28 || Count(crisscross) < 4)
            {
                await CreateCrissCrossAsync(client, home, rnd);
            }
            else if (roll < 48)
            {
                var id = Pick(numeral, rnd);
                await WriteAsync(client, home, "numeral", "cancel", id, KeyFor(rnd, "cancel", id), HttpMethod.Delete, "/tax/certificate-requests/" + id, null);
            }
            else if (roll < 62)
            {
                var id = Pick(numeral, rnd);
                var action = rnd.Next(3) == 0 ? "reject" : "accept";
                await WriteAsync(client, home, "operator", action, id, null, HttpMethod.Post, $"/operator/numeral/certificate-requests/{id}/{action}", null);
            }
            else if (roll < 82)
            {
                var (session, _) = Pick(crisscross, rnd);
                await WriteAsync(client, home, "crisscross", "cancel", session, KeyFor(rnd, "cancel", session), HttpMethod.Post, "/v1/checkout/session/cancel",
                    JsonSerializer.Serialize(new { sessionId = session }));
            }
            else
            {
                var (_, tx) = Pick(crisscross, rnd);
                var action = rnd.Next(4) == 0 ? "fail" : "complete";
                await WriteAsync(client, home, "operator", action, tx, null, HttpMethod.Post, $"/operator/crisscross/transactions/{tx}/{action}", null);
            }
        }
    }

    private async Task CreateNumeralAsync(int client, int home, Random rnd)
    {
        var customer = await WriteAsync(client, home, "numeral", "create-customer", "", NewKey(), HttpMethod.Post, "/tax/customers",
            JsonSerializer.Serialize(new { name = "Buyer " + client, email = "buyer@example.com" }));
        if (customer.Status != 201)
        {
            return;
        }
        var created = await WriteAsync(client, home, "numeral", "create", "", NewKey(), HttpMethod.Post, "/tax/certificate-requests",
            JsonSerializer.Serialize(new { customer_id = customer.Str("id"), certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } }));
        if (created.Status != 201)
        {
            return;
        }
        var id = created.Str("id")!;
        if (rnd.Next(4) != 0)
        {
            await WriteAsync(client, home, "operator", "submit", id, null, HttpMethod.Post, $"/operator/numeral/certificate-requests/{id}/submit", null);
        }
        Add(numeral, id);
    }

    private async Task CreateCrissCrossAsync(int client, int home, Random rnd)
    {
        var session = await WriteAsync(client, home, "crisscross", "create", "", NewKey(), HttpMethod.Post, "/v1/checkout/session",
            JsonSerializer.Serialize(new { merchantReference = "order-" + Guid.NewGuid().ToString("N")[..8], amount = 1500, currency = "KES", payerDetails = new { name = "Amina", phone = "+254700000001" } }));
        if (session.Status != 201)
        {
            return;
        }
        var id = session.Str("sessionId")!;
        var provider = rnd.Next(3) == 0 ? "mobile_money" : "card";
        var paid = await WriteAsync(client, home, "crisscross", "pay", id, NewKey(), HttpMethod.Post, "/v1/payment",
            JsonSerializer.Serialize(new { sessionId = id, provider, paymentMethod = new { type = provider } }));
        if (paid.Status == 201)
        {
            Add(crisscross, (id, paid.Str("transactionId")!));
        }
    }

    /// <summary>A write, retried with the same idempotency key on the next node while it gets no answer or a 503.</summary>
    private async Task<Call> WriteAsync(int client, int home, string api, string kind, string resource, string? key, HttpMethod method, string path, string? body)
    {
        Call call = null!;
        for (var attempt = 0; attempt < 6; attempt++)
        {
            call = await SendAsync(client, (home + attempt) % nodes.Count, api, kind, resource, key, method, path, body);
            if (call.Status is not null and not 503)
            {
                break;
            }
            await Task.Delay(150 * (attempt + 1));
        }
        return call;
    }

    private async Task<Call> SendAsync(int client, int node, string api, string kind, string resource, string? key, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(nodes[node].BaseAddress, path));
        var bearer = api switch { "numeral" => creds.NumeralKey, "crisscross" => creds.CrissCrossToken, _ => creds.OperatorToken };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (api == "numeral")
        {
            request.Headers.Add("X-API-Version", Tenant.NumeralVersion);
        }
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        var start = NowMs;
        Call call;
        try
        {
            using var response = await nodes[node].Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            call = new Call(client, node, api, kind, resource, key, start, NowMs, (int)response.StatusCode, text, response.Headers.RetryAfter?.ToString());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            call = new Call(client, node, api, kind, resource, key, start, NowMs, null, null, null);
        }
        calls.Enqueue(call);
        return call;
    }

    private static string NewKey() => Guid.NewGuid().ToString(); // a v4 UUID: the form CrissCross requires

    /// <summary>Half the time a key used before for the same action on the same resource: a client's retry.</summary>
    private string KeyFor(Random rnd, string action, string resource)
    {
        var slot = action + ":" + resource;
        return rnd.Next(2) == 0 && keys.TryGetValue(slot, out var old) ? old : keys[slot] = NewKey();
    }

    private static int Count<T>(List<T> pool)
    {
        lock (pool)
        {
            return pool.Count;
        }
    }

    private static void Add<T>(List<T> pool, T item)
    {
        lock (pool)
        {
            pool.Add(item);
        }
    }

    /// <summary>Mostly among the newest resources, so that clients collide on them.</summary>
    private static T Pick<T>(List<T> pool, Random rnd)
    {
        lock (pool)
        {
            var window = Math.Min(pool.Count, 12);
            return pool[pool.Count - 1 - rnd.Next(window)];
        }
    }
}

/// <summary>The history's figures, for the test output and docs/reliability.md.</summary>
public sealed record HistoryFigures(int Operations, int Acknowledged, int Refused, int Unavailable, int NoAnswer, int Resources, int Faults, int Violations)
{
    public override string ToString() =>
        $"operations={Operations} acknowledged={Acknowledged} refused(4xx)={Refused} 503={Unavailable} no-answer={NoAnswer} resources={Resources} faults={Faults} violations={Violations}";
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
    private sealed record AuditRow(long Id, string ResourceId, string Action, string? FromState, string? ToState, string? IdempotencyKey);

    private sealed record StateRow(string Id, string Status);

    public static async Task<(HistoryFigures Figures, IReadOnlyList<string> Violations)> CheckAsync(
        ProcessStorage store, string accountId, IReadOnlyCollection<Call> calls, int faults, bool faultsAllow503, bool faultsAllowNoAnswer)
    {
        var violations = new List<string>();
        var account = accountId.Replace("'", "", StringComparison.Ordinal);
        var audit = (await store.QueryAsync<AuditRow>(
            $"SELECT id AS Id, resource_id AS ResourceId, action AS Action, from_state AS FromState, to_state AS ToState, idempotency_key AS IdempotencyKey FROM audit_log WHERE account_id = '{account}' ORDER BY id"))
            .GroupBy(r => r.ResourceId).ToDictionary(g => g.Key, g => g.ToList());
        var kinds = new (string Table, Lifecycle Lifecycle)[]
        {
            ("numeral_requests", NumeralRules.Requests), ("crisscross_sessions", CrissCrossRules.Sessions), ("crisscross_transactions", CrissCrossRules.Transactions),
        };
        var states = new Dictionary<string, string>();
        foreach (var (table, lifecycle) in kinds)
        {
            foreach (var row in await store.QueryAsync<StateRow>($"SELECT id AS Id, status AS Status FROM {table} WHERE account_id = '{account}'"))
            {
                states[row.Id] = row.Status;
                ExplainedByOneWinner(row, lifecycle, audit.GetValueOrDefault(row.Id) ?? [], violations);
            }
        }

        foreach (var c in calls)
        {
            if (c.Status is >= 500 and not 503)
            {
                violations.Add($"{c.Api} {c.Kind} {c.Resource} answered {c.Status}: {c.Body}");
            }
            if (c.Status == 503)
            {
                if (!faultsAllow503)
                {
                    violations.Add($"{c.Api} {c.Kind} {c.Resource} answered 503 with no fault injected: {c.Body}");
                }
                InEnvelope(c, violations);
                if (c.EndMs - c.StartMs > 5000)
                {
                    violations.Add($"{c.Api} {c.Kind} {c.Resource}: the 503 took {c.EndMs - c.StartMs} ms (not fast)");
                }
            }
            if (c.Status is null && !faultsAllowNoAnswer)
            {
                violations.Add($"{c.Api} {c.Kind} {c.Resource} got no answer with no fault injected");
            }
            if (c.Acknowledged)
            {
                AcknowledgedIsPresent(c, states, audit, violations);
            }
        }

        // No key took effect twice: per key, at most one audit row per resource; and every acknowledged answer under
        // one key is the same answer.
        foreach (var twice in audit.Values.SelectMany(r => r).Where(r => r.IdempotencyKey is not null)
            .GroupBy(r => (r.IdempotencyKey, r.ResourceId, r.Action)).Where(g => g.Count() > 1))
        {
            violations.Add($"key {twice.Key.IdempotencyKey} applied {twice.Count()} times to {twice.Key.ResourceId} ({twice.Key.Action})");
        }
        foreach (var replays in calls.Where(c => c.Key is not null && c.Acknowledged).GroupBy(c => c.Key).Where(g => g.Select(c => c.Body).Distinct().Count() > 1))
        {
            violations.Add($"key {replays.Key} answered differently: {string.Join(" | ", replays.Select(c => c.Body).Distinct())}");
        }

        var figures = new HistoryFigures(calls.Count, calls.Count(c => c.Acknowledged), calls.Count(c => c.Status is >= 400 and < 500),
            calls.Count(c => c.Status == 503), calls.Count(c => c.Status is null), states.Count, faults, violations.Count);
        return (figures, violations);
    }

    /// <summary>The audit rows of one resource form one unbroken chain that ends in its stored state, with exactly one
    /// winning transition into a terminal state when it is terminal (none when it is not).</summary>
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
            if (r.FromState is not null && !lifecycle.IsTerminal(r.FromState) && lifecycle.IsTerminal(r.ToState!))
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
        bool Audited(string resource, string action) => audit.GetValueOrDefault(resource)?.Any(r => r.Action == action) == true;

        var problem = (c.Api, c.Kind) switch
        {
            ("numeral", "create") => Exists(c.Str("id")),
            ("numeral", "cancel") => Expect(c.Resource, NumeralRules.Canceled) ?? (Audited(c.Resource, "cancel") ? null : $"acknowledged cancel of {c.Resource} has no audit row"),
            ("operator", "accept") => Expect(c.Resource, NumeralRules.Fulfilled),
            ("operator", "reject") => Expect(c.Resource, NumeralRules.Failed),
            ("crisscross", "create") => Exists(c.Str("sessionId")),
            ("crisscross", "pay") => Exists(c.Str("transactionId")),
            ("crisscross", "cancel") when c.Str("status") == CrissCrossRules.Cancelled =>
                Expect(c.Resource, CrissCrossRules.Cancelled) ?? (Audited(c.Resource, "cancel") ? null : $"acknowledged cancel of {c.Resource} has no audit row"),
            ("crisscross", "cancel") =>
                Expect(c.Resource, CrissCrossRules.PendingCancellation, CrissCrossRules.Cancelled) ?? (Audited(c.Resource, "cancel") ? null : $"acknowledged cancel of {c.Resource} has no audit row"),
            ("operator", "complete") => Expect(c.Resource, CrissCrossRules.Completed),
            ("operator", "fail") => Expect(c.Resource, CrissCrossRules.Failed),
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
                _ => json.GetProperty("status").GetInt32() == 503,
            };
            if (!ok || c.RetryAfter is null)
            {
                violations.Add($"{c.Api} {c.Kind}: 503 outside its envelope or without Retry-After: {c.Body}");
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            violations.Add($"{c.Api} {c.Kind}: 503 body is not the API's envelope: {c.Body}");
        }
    }
}
