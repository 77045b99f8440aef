using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Rescind.Server.GoCardless;
using Rescind.Server.Tests.DigiCert;
using Rescind.Server.Tests.GoCardless;
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

    /// <summary>A string or number in the JSON answer, by its path (e.g. "billing_requests", "id"); null if absent.</summary>
    public string? Field(params string[] path)
    {
        try
        {
            var v = JsonDocument.Parse(Body!).RootElement;
            foreach (var name in path)
            {
                if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty(name, out v))
                {
                    return null;
                }
            }
            return v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null };
        }
        catch (Exception e) when (e is JsonException or ArgumentNullException)
        {
            return null;
        }
    }
}

/// <summary>The credentials the load uses: one account's key or token for each API (Circle's only for probes), and the operator's.</summary>
public sealed record LoadCredentials(string AccountId, string NumeralKey, string CrissCrossToken, string GoCardlessToken, string DigiCertKey, string CircleKey, string OperatorToken);

/// <summary>
/// Concurrent mixed load from many clients across the nodes, recording every request and response: Numeral
/// requests created, submitted, cancelled, accepted and rejected; CrissCross sessions created and paid (card and
/// mobile money), cancelled (with cascades and pending cancellations) and completed or failed by the provider;
/// GoCardless billing requests created, completed by the payer, cancelled and fulfilled by GoCardless; DigiCert
/// orders placed (some through an approval request the load approves), cancelled with a note and issued by the CA.
/// Every write that the API allows one for carries an idempotency key (DigiCert documents none); a request
/// without an answer (or a 503) is retried with the same key on the next node, and some keys are replayed on purpose.
/// </summary>
public sealed class MixedLoad(IReadOnlyList<ServerNode> nodes, LoadCredentials creds, int seed)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Call> calls = new();
    private readonly List<string> numeral = [];
    private readonly List<(string Session, string Tx)> crisscross = [];
    private readonly List<string> gocardless = [];
    private readonly List<string> digicert = [];
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
            if (roll < 9 || Count(numeral) < 4)
            {
                await CreateNumeralAsync(client, home, rnd);
            }
            else if (roll < 18 || Count(crisscross) < 4)
            {
                await CreateCrissCrossAsync(client, home, rnd);
            }
            else if (roll < 25 || Count(gocardless) < 4)
            {
                await CreateGoCardlessAsync(client, home, rnd);
            }
            else if (roll < 32 || Count(digicert) < 4)
            {
                await CreateDigiCertAsync(client, home, rnd);
            }
            else if (roll < 44)
            {
                var id = Pick(numeral, rnd);
                await WriteAsync(client, home, "numeral", "cancel", id, KeyFor(rnd, "cancel", id), HttpMethod.Delete, "/tax/certificate-requests/" + id, null);
            }
            else if (roll < 52)
            {
                var id = Pick(numeral, rnd);
                var action = rnd.Next(3) == 0 ? "reject" : "accept";
                await WriteAsync(client, home, "operator", action, id, null, HttpMethod.Post, $"/operator/numeral/certificate-requests/{id}/{action}", null);
            }
            else if (roll < 64)
            {
                var (session, _) = Pick(crisscross, rnd);
                await WriteAsync(client, home, "crisscross", "cancel", session, KeyFor(rnd, "cancel", session), HttpMethod.Post, "/v1/checkout/session/cancel",
                    JsonSerializer.Serialize(new { sessionId = session }));
            }
            else if (roll < 72)
            {
                var (_, tx) = Pick(crisscross, rnd);
                var action = rnd.Next(4) == 0 ? "fail" : "complete";
                await WriteAsync(client, home, "operator", action, tx, null, HttpMethod.Post, $"/operator/crisscross/transactions/{tx}/{action}", null);
            }
            else if (roll < 79)
            {
                var id = Pick(gocardless, rnd);
                await WriteAsync(client, home, "gocardless", "cancel", id, KeyFor(rnd, "cancel", id), HttpMethod.Post, $"/billing_requests/{id}/actions/cancel",
                    JsonSerializer.Serialize(new { data = new { metadata = new { reason = "customer changed their mind" } } }));
            }
            else if (roll < 86)
            {
                var id = Pick(gocardless, rnd);
                await WriteAsync(client, home, "operator", "fulfil", id, null, HttpMethod.Post, $"/operator/gocardless/billing_requests/{id}/fulfil", null);
            }
            else if (roll < 94)
            {
                var id = Pick(digicert, rnd);
                await WriteAsync(client, home, "digicert", "cancel", id, null, HttpMethod.Put, $"/services/v2/order/certificate/{id}/status",
                    JsonSerializer.Serialize(new { status = "canceled", note = "the customer no longer needs it" }));
            }
            else
            {
                var id = Pick(digicert, rnd);
                await WriteAsync(client, home, "operator", "validate", id, null, HttpMethod.Post, $"/operator/digicert/orders/{id}/validate", null);
            }
        }
    }

    /// <summary>A mandate request; three in four are completed by the payer (ready to fulfil), the rest stay pending.</summary>
    private async Task CreateGoCardlessAsync(int client, int home, Random rnd)
    {
        var created = await WriteAsync(client, home, "gocardless", "create", "", NewKey(), HttpMethod.Post, "/billing_requests",
            JsonSerializer.Serialize(new { billing_requests = new { mandate_request = new { currency = "GBP", scheme = "bacs" } } }));
        var id = created.Status == 201 ? created.Field("billing_requests", "id") : null;
        if (id is null)
        {
            return;
        }
        if (rnd.Next(4) != 0)
        {
            foreach (var action in new[] { GoCardlessRules.CollectCustomerDetails, GoCardlessRules.CollectBankAccount, GoCardlessRules.ConfirmPayerDetails })
            {
                await WriteAsync(client, home, "operator", "payer", id, null, HttpMethod.Post, $"/operator/gocardless/billing_requests/{id}/actions/{action}", null);
            }
        }
        Add(gocardless, id);
    }

    /// <summary>A TLS order; one in three waits for approval, which the load gives through the order's request.</summary>
    private async Task CreateDigiCertAsync(int client, int home, Random rnd)
    {
        var approval = rnd.Next(3) == 0;
        var created = await WriteAsync(client, home, "digicert", "create", "", null, HttpMethod.Post, "/services/v2/order/certificate/ssl_basic",
            JsonSerializer.Serialize(new { certificate = new { common_name = $"shop{client}.example.com", csr = DigiCertClient.Csr }, skip_approval = !approval }));
        var id = created.Status == 201 ? created.Field("id") : null;
        if (id is null)
        {
            return;
        }
        if (approval)
        {
            var request = JsonDocument.Parse(created.Body!).RootElement.GetProperty("requests")[0].GetProperty("id").GetRawText();
            await WriteAsync(client, home, "digicert", "approve", request, null, HttpMethod.Put, $"/services/v2/request/{request}/status",
                JsonSerializer.Serialize(new { status = "approved", processor_comment = "fine" }));
        }
        Add(digicert, id);
    }

    private async Task CreateNumeralAsync(int client, int home, Random rnd)
    {
        var customer = await WriteAsync(client, home, "numeral", "create-customer", "", NewKey(), HttpMethod.Post, "/tax/customers",
            JsonSerializer.Serialize(new { name = "Buyer " + client, email = "buyer@example.com" }));
        if (customer.Status != 200)
        {
            return;
        }
        var created = await WriteAsync(client, home, "numeral", "create", "", NewKey(), HttpMethod.Post, "/tax/certificate-requests",
            JsonSerializer.Serialize(new { customer_id = customer.Field("id"), certificate_type_id = "US-CA-CDTFA-230", jurisdictions = new[] { "US-CA" } }));
        if (created.Status != 201)
        {
            return;
        }
        var id = created.Field("id")!;
        if (rnd.Next(4) != 0)
        {
            await WriteAsync(client, home, "operator", "submit", id, null, HttpMethod.Post, $"/operator/numeral/certificate-requests/{id}/submit", null);
        }
        Add(numeral, id);
    }

    private async Task CreateCrissCrossAsync(int client, int home, Random rnd)
    {
        var session = await WriteAsync(client, home, "crisscross", "create", "", NewKey(), HttpMethod.Post, "/v1/checkout/session",
            JsonSerializer.Serialize(new { merchantId = creds.AccountId, merchantReference = "order-" + Guid.NewGuid().ToString("N")[..8], amount = 1500, currency = "KES", integrationType = "hosted", payerDetails = new { name = "Amina", phone = "+254700000001" } }));
        if (session.Status != 201)
        {
            return;
        }
        var id = session.Field("sessionId")!;
        var provider = rnd.Next(3) == 0 ? "mobile_money" : "card";
        var paid = await WriteAsync(client, home, "crisscross", "pay", id, NewKey(), HttpMethod.Post, "/v1/payment",
            JsonSerializer.Serialize(new { sessionId = id, provider, paymentMethod = new { type = provider } }));
        if (paid.Status == 201)
        {
            Add(crisscross, (id, paid.Field("transactionId")!));
        }
    }

    /// <summary>One read on one node, recorded with the history (kind "probe"), e.g. to see each API's answer during an outage.</summary>
    public Task<Call> ProbeAsync(int node, string api, string path) => SendAsync(-1, node, api, "probe", path, null, HttpMethod.Get, path, null);

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
        if (api == "digicert")
        {
            request.Headers.Add("X-DC-DEVKEY", creds.DigiCertKey);
        }
        else
        {
            var bearer = api switch { "numeral" => creds.NumeralKey, "crisscross" => creds.CrissCrossToken, "gocardless" => creds.GoCardlessToken, "circle" => creds.CircleKey, _ => creds.OperatorToken };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (api == "numeral")
        {
            request.Headers.Add("X-API-Version", Tenant.NumeralVersion);
        }
        if (api == "gocardless")
        {
            request.Headers.Add("GoCardless-Version", GoCardlessClient.Version);
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
