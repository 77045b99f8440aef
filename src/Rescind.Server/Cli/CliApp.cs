using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Numeral;
using Rescind.Server.Operator;

namespace Rescind.Server.Cli;

/// <summary>The <c>rescind</c> command line. Every verb but <c>serve</c> works on the database directly.</summary>
public static class CliApp
{
    private const string Usage = """
        rescind: runs pending business requests and cancels them correctly.

        Usage: rescind <verb> [options]      (no verb: serve)

          serve      [--data DIR] [--database CS] [--urls URLS] [--demo]   run the HTTP service
          migrate    [--data DIR] [--database CS]                          bring the schema up to date
          demo       [--json]                                              create a demo account with data, print credentials
          accounts   create --name NAME [--json] | list [--json]           manage accounts (tenants)
          keys       create --account ID --api API --mode live|test [--json] | revoke --id CREDENTIAL_ID
          operator   token [--json]                                        issue an operator credential
          simulate   numeral submit|accept|reject --request ID             the Numeral customer's actions
          simulate   numeral outstanding --customer ID                     a customer's outstanding queue
          simulate   digicert validate|generate|expire --order ID          the CA / recipient / clock on a DigiCert order
          simulate   crisscross process|complete|fail|error|expire|settle --transaction ID   a payment provider's event
          circle     entity-secret --account ID --secret HEX64             register a Circle entity secret (the console step)
          circle     mine --account ID --blockchain CHAIN [--count N]      mine blocks of an account's simulated chain
          jobs       run                                                   run every background job once
          audit      [--account ID] [--resource ID] [--limit N] [--json]   read the audit log
          verify     [--json]                                              check every invariant; exit 1 on a violation
          webhooks   add --account ID --api API --url URL [--timeout-ms N] [--json] | list [--account ID]
                     deliveries [--endpoint ID] [--status pending|delivered|dead] | attempts --delivery N
                     redeliver --delivery N | disable --endpoint ID

        Every verb takes --data DIR (default ./data, SQLite) or --database CS (PostgreSQL "Host=…" or postgres://…),
        and --help. The environment variable Rescind__Database works too.
        """;

    private static readonly string[] StorageOptions = ["data", "database"];

    private static readonly string[] ConfigurationSections = ["Rescind", "Logging", "Kestrel", "AllowedHosts"];

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("--help" or "-h")))
            {
                return await ServeAsync(args);
            }
            var rest = args[1..];
            return args[0] switch
            {
                "serve" => await ServeAsync(rest),
                "--help" or "-h" or "help" => Print(Usage, 0),
                "migrate" => await MigrateAsync(rest),
                "demo" => await DemoAsync(rest),
                "accounts" => await AccountsAsync(rest),
                "keys" => await KeysAsync(rest),
                "operator" => await OperatorAsync(rest),
                "simulate" => await SimulateAsync(rest),
                "circle" => await CircleAsync(rest),
                "jobs" => await JobsAsync(rest),
                "audit" => await AuditAsync(rest),
                "webhooks" => await WebhooksAsync(rest),
                "verify" => await VerifyAsync(rest),
                _ => throw new UsageException($"unknown verb '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"rescind: {e.Message}\nRun 'rescind --help' for usage.");
            return 2;
        }
    }

    private static int Print(string text, int code)
    {
        Console.WriteLine(text);
        return code;
    }

    // ---- serve -------------------------------------------------------------------------------------------

    private static async Task<int> ServeAsync(string[] args)
    {
        var hostArgs = new List<string>();
        var demo = false;
        var urlsGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            var name = a.StartsWith("--", StringComparison.Ordinal) ? (eq > 0 ? a[2..eq] : a[2..]) : null;
            string? Value() => eq > 0 ? a[(eq + 1)..] : i + 1 < args.Length ? args[++i] : throw new UsageException($"--{name} needs a value");
            switch (name)
            {
                case "help":
                    return Print("Usage: rescind serve [--data DIR] [--database CS] [--urls URLS] [--demo]\n  --demo  create a demo account with data and print how to call it", 0);
                case "demo":
                    demo = true;
                    break;
                case "data":
                    hostArgs.Add("--Rescind:Data=" + Value());
                    break;
                case "database":
                    hostArgs.Add("--Rescind:Database=" + Value());
                    break;
                case "urls":
                    urlsGiven = true;
                    hostArgs.Add("--urls=" + Value());
                    break;
                case "environment" or "contentRoot" or "applicationName":
                    hostArgs.Add($"--{name}={Value()}");
                    break;
                case not null when name.Contains(':', StringComparison.Ordinal) || ConfigurationSections.Contains(name):
                    // Any configuration key, e.g. --Rescind:Jobs:Interval=00:00:01 (the test host passes its settings so).
                    hostArgs.Add($"--{name}={(eq > 0 ? a[(eq + 1)..] : Value())}");
                    break;
                default:
                    throw new UsageException($"serve: unexpected argument '{a}'");
            }
        }
        if (!urlsGiven && Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is null && Environment.GetEnvironmentVariable("URLS") is null)
        {
            hostArgs.Add("--urls=http://127.0.0.1:5080");
        }
        var app = ServerApp.Build(hostArgs.ToArray());
        await app.StartAsync();
        if (demo)
        {
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:5080";
            var seeded = await SeedDemoAsync(app.Services, CancellationToken.None);
            Console.WriteLine(DescribeDemo(seeded, url.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal),
                app.Services.GetRequiredService<Database>()));
        }
        await app.WaitForShutdownAsync();
        return 0;
    }

    // ---- offline verbs -----------------------------------------------------------------------------------

    /// <summary>The core services without the web host, on the database the options name, migrated.</summary>
    private static async Task<ServiceProvider> OpenAsync(CliArgs a)
    {
        var overrides = new Dictionary<string, string?>();
        if (a.Get("data") is { } data)
        {
            overrides["Rescind:Data"] = data;
        }
        if (a.Get("database") is { } database)
        {
            overrides["Rescind:Database"] = database;
        }
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(overrides).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
            .AddRescindCore(configuration)
            .BuildServiceProvider();
        await CoreServices.MigrateAsync(services, CancellationToken.None);
        return services;
    }

    private static CliArgs Parse(string[] args, string usage, string[] options, string[]? flags = null)
    {
        var parsed = CliArgs.Parse(args, [.. options, .. StorageOptions], flags ?? []);
        if (parsed.Help)
        {
            Console.WriteLine(usage);
        }
        return parsed;
    }

    private static async Task<int> MigrateAsync(string[] args)
    {
        var a = Parse(args, "Usage: rescind migrate [--data DIR] [--database CS]", []);
        if (a.Help)
        {
            return 0;
        }
        NoPositional(a);
        await using var services = await OpenAsync(a);
        Console.WriteLine($"Schema is up to date ({services.GetRequiredService<Database>().Kind}).");
        return 0;
    }

    private static async Task<int> DemoAsync(string[] args)
    {
        var a = Parse(args, "Usage: rescind demo [--json]\n  Creates a demo account, a customer and a pending certificate request, and an operator credential.", [], ["json"]);
        if (a.Help)
        {
            return 0;
        }
        NoPositional(a);
        await using var services = await OpenAsync(a);
        var seeded = await SeedDemoAsync(services, CancellationToken.None);
        Console.WriteLine(a.Has("json") ? Json(DemoJson(seeded)) : DescribeDemo(seeded, "http://127.0.0.1:5080", services.GetRequiredService<Database>(), running: false));
        return 0;
    }

    private static async Task<int> AccountsAsync(string[] args)
    {
        const string usage = "Usage: rescind accounts create --name NAME [--json]\n       rescind accounts list [--json]";
        var a = Parse(args, usage, ["name"], ["json"]);
        if (a.Help)
        {
            return 0;
        }
        var sub = Sub(a, "create", "list");
        await using var services = await OpenAsync(a);
        var accounts = services.GetRequiredService<AccountStore>();
        if (sub == "create")
        {
            var created = await accounts.CreateAccountAsync(a.Require("name"), Actor.Operator(null), CancellationToken.None);
            Console.WriteLine(a.Has("json")
                ? Json(OperatorApi.CreatedJson(created))
                : $"Account {created.Account.Id} ({created.Account.Name})\n" + string.Join('\n', created.Credentials.Select(c => $"  {c.Api,-10} {c.Mode,-5} {c.Secret}  ({c.Id})")));
            return 0;
        }
        var list = await accounts.ListAccountsAsync(CancellationToken.None);
        Console.WriteLine(a.Has("json")
            ? Json(new { accounts = list.Select(OperatorApi.AccountJson) })
            : string.Join('\n', list.Select(x => $"{x.Id}  {Time.Iso(x.CreatedAt)}  {x.Name}")));
        return 0;
    }

    private static async Task<int> KeysAsync(string[] args)
    {
        const string usage = "Usage: rescind keys create --account ID --api API --mode live|test [--json]\n       rescind keys revoke --id CREDENTIAL_ID";
        var a = Parse(args, usage, ["account", "api", "mode", "id"], ["json"]);
        if (a.Help)
        {
            return 0;
        }
        var sub = Sub(a, "create", "revoke");
        await using var services = await OpenAsync(a);
        var accounts = services.GetRequiredService<AccountStore>();
        if (sub == "revoke")
        {
            if (!await accounts.RevokeCredentialAsync(a.Require("id"), Actor.Operator(null), CancellationToken.None))
            {
                await Console.Error.WriteLineAsync("rescind: no such active credential");
                return 1;
            }
            Console.WriteLine("Revoked.");
            return 0;
        }
        var (account, api, mode) = (a.Require("account"), a.Require("api"), a.Require("mode"));
        var kinds = services.GetRequiredService<CredentialKinds>();
        if (kinds.Find(api, mode) is null)
        {
            throw new UsageException($"no credential kind '{api}' '{mode}'; known: {string.Join(", ", kinds.All.Select(k => k.Name))}");
        }
        var issued = await accounts.CreateCredentialAsync(account, api, mode, Actor.Operator(null), CancellationToken.None);
        if (issued is null)
        {
            await Console.Error.WriteLineAsync("rescind: no such account");
            return 1;
        }
        Console.WriteLine(a.Has("json") ? Json(OperatorApi.CredentialJson(issued)) : $"{issued.Secret}  ({issued.Id}; shown once)");
        return 0;
    }

    private static async Task<int> OperatorAsync(string[] args)
    {
        var a = Parse(args, "Usage: rescind operator token [--json]\n  Issues an operator credential for the operator API and console.", [], ["json"]);
        if (a.Help)
        {
            return 0;
        }
        Sub(a, "token");
        await using var services = await OpenAsync(a);
        var issued = await services.GetRequiredService<AccountStore>().CreateOperatorCredentialAsync(Actor.Operator(null), CancellationToken.None);
        Console.WriteLine(a.Has("json") ? Json(OperatorApi.CredentialJson(issued)) : $"{issued.Secret}  ({issued.Id}; shown once)");
        return 0;
    }

    private static async Task<int> CircleAsync(string[] args)
    {
        const string usage = "Usage: rescind circle entity-secret --account ID --secret HEX64\n       rescind circle mine --account ID --blockchain CHAIN [--count N]";
        var a = Parse(args, usage, ["account", "secret", "blockchain", "count"]);
        if (a.Help)
        {
            return 0;
        }
        var verb = Sub(a, "entity-secret", "mine");
        await using var services = await OpenAsync(a);
        var accountId = a.Require("account");
        if (await services.GetRequiredService<AccountStore>().FindAccountAsync(accountId, CancellationToken.None) is null)
        {
            throw new UsageException($"no account {accountId}");
        }
        if (verb == "entity-secret")
        {
            var ok = await services.GetRequiredService<Circle.CircleEntitySecrets>().RegisterAsync(accountId, a.Require("secret"), Actor.Operator(null), CancellationToken.None);
            return ok ? Print($"entity secret registered for {accountId}", 0) : throw new UsageException("--secret must be 64 hexadecimal characters");
        }
        var blockchain = a.Require("blockchain");
        if (Circle.CircleRules.FindChain(blockchain) is null)
        {
            throw new UsageException($"unknown blockchain {blockchain}");
        }
        var count = int.TryParse(a.Get("count") ?? "1", System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000
            ? n : throw new UsageException("--count must be 1 to 1000");
        var coordinator = services.GetRequiredService<Coordinator>();
        long height = 0;
        for (var i = 0; i < count; i++)
        {
            height = await coordinator.RunAsync(new OperationContext(accountId, Circle.CircleStore.Api, Actor.Operator(null), null),
                (uow, _) => Circle.CircleCommands.MineBlockAsync(uow, accountId, blockchain), CancellationToken.None);
        }
        return Print($"{blockchain} of {accountId} at height {height}", 0);
    }

    private static async Task<int> SimulateAsync(string[] args)
    {
        var verbs = ApiModules.All.Where(m => m.Simulate is not null).ToDictionary(m => m.Name, m => m.Simulate!);
        var usage = "Usage: " + string.Join("\n       ", verbs.Values.Select(v => v.Usage));
        var a = Parse(args, usage, verbs.Values.SelectMany(v => v.Options).Distinct().ToArray(), ["json"]);
        if (a.Help)
        {
            return 0;
        }
        if (a.Positional is not [var api, var action] || !verbs.TryGetValue(api, out var verb))
        {
            throw new UsageException($"simulate needs an API ({string.Join(", ", verbs.Keys)}) and an action, e.g. 'simulate numeral accept --request cert_req_…'");
        }
        if (!verb.Actions.Contains(action))
        {
            throw new UsageException($"unknown {api} action '{action}'; use {string.Join(", ", verb.Actions)}");
        }
        await using var services = await OpenAsync(a);
        var simulated = await verb.RunAsync(action, a, services);
        Console.WriteLine(simulated.Output);
        return simulated.Succeeded ? 0 : 1;
    }

    private static async Task<int> JobsAsync(string[] args)
    {
        var a = Parse(args, "Usage: rescind jobs run\n  Runs every background job once (expiry, reminders, purges) and prints what each handled.", []);
        if (a.Help)
        {
            return 0;
        }
        Sub(a, "run");
        await using var services = await OpenAsync(a);
        var handled = await services.GetRequiredService<JobRunner>().RunAllOnceAsync(CancellationToken.None);
        Console.WriteLine(Json(handled));
        return 0;
    }

    private static async Task<int> AuditAsync(string[] args)
    {
        var a = Parse(args, "Usage: rescind audit [--account ID] [--resource ID] [--limit N] [--json]", ["account", "resource", "limit"], ["json"]);
        if (a.Help)
        {
            return 0;
        }
        NoPositional(a);
        var limit = 100;
        if (a.Get("limit") is { } l && (!int.TryParse(l, out limit) || limit is < 1 or > 10000))
        {
            throw new UsageException("--limit must be 1 to 10000");
        }
        await using var services = await OpenAsync(a);
        var rows = await AuditLog.QueryAsync(services.GetRequiredService<Database>(), new AuditQuery(a.Get("account"), a.Get("resource"), Limit: limit), CancellationToken.None);
        Console.WriteLine(a.Has("json")
            ? Json(rows)
            : string.Join('\n', rows.Select(r => $"{Time.Iso(r.At)}  {r.Api,-8} {r.ResourceId}  {r.Action,-10} {r.FromState ?? "-"} → {r.ToState ?? "-"}  by {r.ActorKind} {r.ActorId}")));
        return 0;
    }

    private static async Task<int> VerifyAsync(string[] args)
    {
        var a = Parse(args, "Usage: rescind verify [--json]\n  Checks the whole database against every invariant; exit code 1 when any is violated.", [], ["json"]);
        if (a.Help)
        {
            return 0;
        }
        NoPositional(a);
        await using var services = await OpenAsync(a);
        var result = await services.GetRequiredService<Verifier>().VerifyAsync(CancellationToken.None);
        if (a.Has("json"))
        {
            Console.WriteLine(Json(new { ok = result.Ok, invariants = result.Results.Select(r => new { name = r.Invariant, violations = r.Violations }) }));
        }
        else
        {
            foreach (var (name, violations) in result.Results)
            {
                Console.WriteLine($"{(violations.Count == 0 ? "ok  " : "FAIL")}  {name}");
                foreach (var v in violations)
                {
                    Console.WriteLine($"        {v}");
                }
            }
        }
        return result.Ok ? 0 : 1;
    }

    private static async Task<int> WebhooksAsync(string[] args)
    {
        const string usage = """
            Usage: rescind webhooks add --account ID --api API --url URL [--timeout-ms N] [--json]
                   rescind webhooks list [--account ID]
                   rescind webhooks deliveries [--endpoint ID] [--status pending|delivered|dead] [--limit N]
                   rescind webhooks attempts --delivery N
                   rescind webhooks redeliver --delivery N
                   rescind webhooks disable --endpoint ID
            """;
        var a = Parse(args, usage, ["account", "api", "url", "timeout-ms", "endpoint", "status", "limit", "delivery"], ["json"]);
        if (a.Help)
        {
            return 0;
        }
        var sub = Sub(a, "add", "list", "deliveries", "attempts", "redeliver", "disable");
        int? Int(string name, int min, int max) =>
            a.Get(name) is not { } v ? null
            : int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
            : throw new UsageException($"--{name} must be a number from {min} to {max}");
        long Delivery() => long.TryParse(a.Require("delivery"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? d : throw new UsageException("--delivery must be a delivery id (a number)");
        var status = a.Get("status");
        if (status is not (null or "pending" or "delivered" or "dead"))
        {
            throw new UsageException("--status must be pending, delivered or dead");
        }
        var timeout = Int("timeout-ms", 100, 60_000);
        var limit = Int("limit", 1, 10_000) ?? 100;
        var delivery = sub is "attempts" or "redeliver" ? Delivery() : 0;
        await using var services = await OpenAsync(a);
        var store = services.GetRequiredService<Rescind.Core.Webhooks.WebhookStore>();
        var ct = CancellationToken.None;
        switch (sub)
        {
            case "add":
                var (account, api, url) = (a.Require("account"), a.Require("api"), a.Require("url"));
                if (await services.GetRequiredService<AccountStore>().FindAccountAsync(account, ct) is null)
                {
                    await Console.Error.WriteLineAsync("rescind: no such account");
                    return 1;
                }
                var (endpoint, refusal) = await store.CreateEndpointAsync(account, api, url, timeout, Actor.Operator(null), ct);
                if (endpoint is null)
                {
                    throw new UsageException(refusal switch
                    {
                        Rescind.Core.Webhooks.WebhookStore.Refusal.UnknownApi => $"--api must be one of: {string.Join(", ", services.GetRequiredService<Rescind.Core.Webhooks.WebhookShapes>().Apis)}",
                        _ => "--url must be an absolute http or https URL",
                    });
                }
                Console.WriteLine(a.Has("json")
                    ? Json(new { id = endpoint.Id, account_id = endpoint.AccountId, api = endpoint.Api, url = endpoint.Url, timeout_ms = endpoint.TimeoutMs, secret = endpoint.Secret })
                    : $"{endpoint.Id}  signing secret {endpoint.Secret} (shown once)");
                return 0;
            case "list":
                foreach (var e in await store.EndpointsAsync(a.Get("account"), ct))
                {
                    Console.WriteLine($"{e.Id}  {e.AccountId}  {e.Api,-10} {(e.DisabledAt is null ? "enabled " : "disabled")}  {e.Url}");
                }
                return 0;
            case "deliveries":
                foreach (var d in await store.DeliveriesAsync(a.Get("endpoint"), null, status, a.Get("account"), null, limit, ct))
                {
                    Console.WriteLine($"{d.Id,8}  {d.Status,-9} attempts {d.Attempts,2}  {d.EventId}  → {d.EndpointId}  {d.LastStatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {d.LastError}");
                }
                return 0;
            case "attempts":
                foreach (var x in await store.AttemptsAsync(delivery, ct))
                {
                    Console.WriteLine($"#{x.Attempt}  {Time.Iso(x.StartedAt)}  {x.DurationMs} ms  {x.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}  {x.Error ?? x.ResponseExcerpt}");
                }
                return 0;
            case "redeliver":
                if (!await store.RedeliverAsync(delivery, Actor.Operator(null), ct))
                {
                    await Console.Error.WriteLineAsync("rescind: no such delivery");
                    return 1;
                }
                Console.WriteLine("Queued again, due now.");
                return 0;
            default:
                if (!await store.DisableEndpointAsync(a.Require("endpoint"), Actor.Operator(null), ct))
                {
                    await Console.Error.WriteLineAsync("rescind: no such enabled endpoint");
                    return 1;
                }
                Console.WriteLine("Disabled.");
                return 0;
        }
    }

    // ---- demo --------------------------------------------------------------------------------------------

    private sealed record DemoData(CreatedAccount Account, IssuedCredential Operator, string CustomerId, string RequestId);

    /// <summary>A demo account with a customer and a pending certificate request, made through the same code paths
    /// as the API.</summary>
    private static async Task<DemoData> SeedDemoAsync(IServiceProvider services, CancellationToken ct)
    {
        var accounts = services.GetRequiredService<AccountStore>();
        var coordinator = services.GetRequiredService<Coordinator>();
        var clock = services.GetRequiredService<TimeProvider>();
        var numeral = services.GetRequiredService<IOptions<NumeralOptions>>().Value;
        var created = await accounts.CreateAccountAsync("Demo", Actor.System, ct);
        var op = await accounts.CreateOperatorCredentialAsync(Actor.System, ct);
        var live = created.Credentials.First(c => c.Api == NumeralStore.Api && c.Mode == "live");
        var ctx = new OperationContext(created.Account.Id, NumeralStore.Api, Actor.Credential(live.Id), "demo");
        var customer = await coordinator.RunAsync(ctx, (uow, _) => NumeralCommands.CreateCustomerAsync(uow, "live",
            new NewCustomer("demo-buyer-1", "Demo Buyer Inc.", "buyer@example.com")), ct);
        var customerId = ((Outcome<CustomerRow>.Done)customer).Value.Id;
        var request = await coordinator.RunAsync(ctx, (uow, _) => NumeralCommands.CreateRequestAsync(uow,
            new NewRequest(customerId, "US-CA-CDTFA-230", ["US-CA"], clock.GetUtcNow().AddDays(30)), numeral), ct);
        var requestId = ((Outcome<NumeralCommands.RequestAt>.Done)request).Value.Row.Id;
        return new DemoData(created, op, customerId, requestId);
    }

    private static object DemoJson(DemoData d) => new
    {
        account_id = d.Account.Account.Id,
        credentials = d.Account.Credentials.Select(OperatorApi.CredentialJson),
        operator_token = d.Operator.Secret,
        numeral = new { customer_id = d.CustomerId, certificate_request_id = d.RequestId },
    };

    private static string DescribeDemo(DemoData d, string url, Database db, bool running = true)
    {
        var live = d.Account.Credentials.First(c => c.Api == NumeralStore.Api && c.Mode == "live").Secret;
        var test = d.Account.Credentials.First(c => c.Api == NumeralStore.Api && c.Mode == "test").Secret;
        var rescind = d.Account.Credentials.First(c => c.Api == Cancellations.CancellationStore.Api && c.Mode == "live").Secret;
        var preview = JsonSerializer.Serialize(new { resources = new[] { d.RequestId }, reason = "demo", dry_run = true, idempotency_key = "demo-1" });
        return $"""

            {(running ? $"Rescind is running at {url}" : $"Demo data created; start the server with `rescind serve` (same --data/--database) and call it at {url}")} on {(db.Kind == DatabaseKind.Sqlite ? "SQLite" : "PostgreSQL")}.

            Operator console  {url}/console   (sign in with the operator token below)

            Demo account      {d.Account.Account.Id}
              Numeral live key  {live}
              Numeral test key  {test}   (certificate requests are live-only: this one gets 403 TESTMODE_NOT_SUPPORTED)
              Operator token    {d.Operator.Secret}
            Every API's credentials (shown once; docs/<api>.md shows how to use each):
            {string.Join("\n", d.Account.Credentials.Select(c => $"  {c.Api,-12} {c.Mode,-8} {c.Secret}"))}
            A pending certificate request {d.RequestId} for customer {d.CustomerId}.

            Cancel it (run it twice: the second answer is the same 200 body):
              curl -s -X DELETE {url}/tax/certificate-requests/{d.RequestId} \
                -H "Authorization: Bearer {live}" -H "X-API-Version: {NumeralModule.Version}"

            Or preview the cancel through Rescind's own API (docs/api.md), any API's resources in one call:
              curl -s -X POST {url}/v1/cancellations -H "Authorization: Bearer {rescind}" -H "Content-Type: application/json" \
                -d '{preview}'

            List requests:
              curl -s "{url}/tax/certificate-requests?limit=10" -H "Authorization: Bearer {live}" -H "X-API-Version: {NumeralModule.Version}"

            The audit log (operator):
              curl -s "{url}/operator/audit?resource_id={d.RequestId}" -H "Authorization: Bearer {d.Operator.Secret}"

            OpenAPI: {url}/openapi/numeral.json    Stop with Ctrl+C.
            """;
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true });

    private static string Sub(CliArgs a, params string[] allowed)
    {
        if (a.Positional.Count != 1 || !allowed.Contains(a.Positional[0]))
        {
            throw new UsageException($"expected one of: {string.Join(", ", allowed)}");
        }
        return a.Positional[0];
    }

    private static void NoPositional(CliArgs a)
    {
        if (a.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        }
    }
}
