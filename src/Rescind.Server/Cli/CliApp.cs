using System.CommandLine;
using System.CommandLine.Invocation;
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

/// <summary>
/// The <c>rescind</c> command line, on System.CommandLine. Every verb but <c>serve</c> works on the database
/// directly. Each API module adds its own verbs (<see cref="ApiModule.Commands"/>) and its <c>simulate</c> verb.
/// Exit codes: 0 ok, 1 a failure or a violation, 2 bad arguments (a parse error or a <see cref="UsageException"/>).
/// Shell completion is System.CommandLine's <c>[suggest]</c> directive (what <c>dotnet-suggest</c> calls).
/// </summary>
public static class CliApp
{
    private const string Description = """
        rescind: runs pending business requests and cancels them correctly. With no verb (or only options), serve.
        Every verb takes --data DIR (default ./data, SQLite) or --database CS (PostgreSQL "Host=…" or postgres://…);
        the environment variable Rescind__Database works too.
        """;

    private static readonly string[] ConfigurationSections = ["Rescind", "Logging", "Kestrel", "AllowedHosts"];

    private static readonly string[] HelpTokens = ["--help", "-h", "-?", "/h", "/?", "--version"];

    public static async Task<int> RunAsync(string[] args)
    {
        // No verb is serve, as before: `rescind --data x` serves x; `rescind help` is `rescind --help`.
        if (args.Length == 0 || (args[0].StartsWith('-') && !HelpTokens.Contains(args[0])))
        {
            args = ["serve", .. args];
        }
        else if (args[0] == "help")
        {
            args = [.. args[1..], "--help"];
        }
        var root = BuildRoot();
        if (args[0] is var verb && !verb.StartsWith('-') && !verb.StartsWith('[') && !root.Subcommands.Any(c => c.Name == verb))
        {
            await Console.Error.WriteLineAsync($"rescind: unknown verb '{verb}'\nRun 'rescind --help' for usage.");
            return 2;
        }
        // No response files: an argument starting with @ (an account name) is a value, as it always was.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"rescind: {error.Message}");
            }
            await Console.Error.WriteLineAsync($"Run '{string.Join(' ', CommandPath(parsed))} --help' for usage.");
            return 2;
        }
        try
        {
            // Exceptions other than usage errors crash as before (a stack trace, exit code of the runtime), and the
            // host keeps its own Ctrl+C and SIGTERM handling (graceful shutdown of serve).
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"rescind: {e.Message}\nRun '{string.Join(' ', CommandPath(parsed))} --help' for usage.");
            return 2;
        }
    }

    /// <summary>Every verb; the API modules' own verbs follow <c>simulate</c>.</summary>
    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand(Description)
        {
            Recursive(CliOptions.Value("data", "DIR", "the SQLite data folder (default ./data)")),
            Recursive(CliOptions.Value("database", "CS", "a PostgreSQL connection string (Host=… or postgres://…) instead of SQLite")),
            Serve(),
            Migrate(),
            DemoVerb(),
            Accounts(),
            Keys(),
            OperatorVerb(),
            Simulate(),
        };
        foreach (var command in ApiModules.All.SelectMany(m => m.Commands?.Invoke() ?? []))
        {
            root.Add(command);
        }
        root.Add(Jobs());
        root.Add(Audit());
        root.Add(Webhooks());
        root.Add(Verify());
        root.Add(Coverage.CoverageCli.Command());
        return root;
    }

    private static Option<string> Recursive(Option<string> option)
    {
        option.Recursive = true;
        return option;
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var path = new List<string>();
        for (var r = parsed.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            path.Insert(0, r.Command is RootCommand ? "rescind" : r.Command.Name);
        }
        return path;
    }

    private static int Print(string text, int code)
    {
        Console.WriteLine(text);
        return code;
    }

    // ---- serve -------------------------------------------------------------------------------------------

    private static Command Serve()
    {
        var urls = CliOptions.Value("urls", "URLS", "where to listen (default http://127.0.0.1:5080 unless ASPNETCORE_URLS or URLS is set)");
        var demo = CliOptions.Flag("demo", "create a demo account with data and print how to call it");
        var logFormat = CliOptions.Value("log-format", "FORMAT", "text (default) or json: one JSON object per line, with the trace id (Rescind:Logging:Format)", false, "text", "json");
        var logRequests = CliOptions.Flag("log-requests", "one log line per request at Information (Rescind:Logging:Requests)");
        string[] hostKeys = ["environment", "contentRoot", "applicationName"];
        var serve = new Command("serve", "run the HTTP service (the default verb); any configuration key passes through, e.g. --Rescind:Jobs:Enabled=false")
        {
            urls,
            demo,
            logFormat,
            logRequests,
        };
        // Configuration keys are the host's, not options of ours: ServeAsync passes them through.
        serve.TreatUnmatchedTokensAsErrors = false;
        foreach (var key in hostKeys)
        {
            var option = CliOptions.Value(key, "VALUE", "the web host's " + key);
            option.Hidden = true;
            serve.Add(option);
        }
        return serve.Runs(a => ServeAsync(a, hostKeys));
    }

    private static async Task<int> ServeAsync(CliArgs a, string[] hostKeys)
    {
        var hostArgs = new List<string>();
        if (a.Get("data") is { } data)
        {
            hostArgs.Add("--Rescind:Data=" + data);
        }
        if (a.Get("database") is { } database)
        {
            hostArgs.Add("--Rescind:Database=" + database);
        }
        if (a.Get("urls") is { } urls)
        {
            hostArgs.Add("--urls=" + urls);
        }
        if (a.Get("log-format") is { } format)
        {
            hostArgs.Add("--Rescind:Logging:Format=" + format);
        }
        if (a.Has("log-requests"))
        {
            hostArgs.Add("--Rescind:Logging:Requests=true");
        }
        if (a.Has("demo"))
        {
            // A demo is a local setup: its webhook receivers are on this machine (configuration given below wins).
            hostArgs.Add("--Rescind:Outbound:AllowPrivateNetworks=true");
        }
        hostArgs.AddRange(hostKeys.Where(a.Has).Select(k => $"--{k}={a.Get(k)}"));
        // Any configuration key, e.g. --Rescind:Jobs:Interval=00:00:01 or --Logging:LogLevel:Default Warning (the
        // test host passes its settings so): System.CommandLine leaves them unmatched, in order.
        var rest = a.Parsed.UnmatchedTokens;
        for (var i = 0; i < rest.Count; i++)
        {
            var token = rest[i];
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            var name = token.StartsWith("--", StringComparison.Ordinal) ? (eq > 0 ? token[2..eq] : token[2..]) : null;
            if (name is null || !(name.Contains(':', StringComparison.Ordinal) || ConfigurationSections.Contains(name)))
            {
                throw new UsageException($"serve: unexpected argument '{token}'");
            }
            var value = eq > 0 ? token[(eq + 1)..] : i + 1 < rest.Count ? rest[++i] : throw new UsageException($"--{name} needs a value");
            hostArgs.Add($"--{name}={value}");
        }
        if (a.Get("urls") is null && Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is null && Environment.GetEnvironmentVariable("URLS") is null)
        {
            hostArgs.Add("--urls=http://127.0.0.1:5080");
        }
        var app = ServerApp.Build(hostArgs.ToArray());
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not an outage (the node waits those out, listening): a start that waiting cannot fix, e.g. a database
            // that does not exist, a refused password, a port in use. Said in one line, with a failing exit code.
            await Console.Error.WriteLineAsync("rescind: cannot start: " + e.GetBaseException().Message);
            await app.DisposeAsync();
            return 1;
        }
        // Demo data goes in once the schema is there (at once, unless the database cannot be reached yet).
        if (a.Has("demo") && await OpenedAsync(app.Services.GetRequiredService<SchemaGate>(), app.Lifetime.ApplicationStopping))
        {
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:5080";
            url = url.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
            var seeded = await Demo.SeedAsync(app.Services, url, CancellationToken.None);
            Console.WriteLine(Demo.Describe(seeded, url, app.Services.GetRequiredService<Database>()));
        }
        await app.WaitForShutdownAsync();
        // A host that stopped because a background service failed (the host's default on an unhandled fault) has
        // not been asked to stop: say so with a failing exit code, so a supervisor restarts it.
        var failed = ServerApp.FailedBackgroundServices(app.Services);
        foreach (var line in failed)
        {
            await Console.Error.WriteLineAsync("rescind: " + line);
        }
        return failed.Count == 0 ? 0 : 1;
    }

    private static async Task<bool> OpenedAsync(SchemaGate gate, CancellationToken stopping)
    {
        try
        {
            await gate.WaitAsync(stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false; // asked to stop before the database came back
        }
    }

    // ---- offline verbs -----------------------------------------------------------------------------------

    /// <summary>The core services without the web host, on the database the options name, migrated.</summary>
    public static async Task<ServiceProvider> OpenAsync(CliArgs a)
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

    private static Command Migrate() => new Command("migrate", "bring the schema up to date").Runs(async a =>
    {
        await using var services = await OpenAsync(a);
        return Print($"Schema is up to date ({services.GetRequiredService<Database>().Kind}).", 0);
    });

    private static Command DemoVerb() => new Command("demo",
        "create a demo account with, in every API, a resource in each state that matters to its cancel; print credentials and the curl that cancels each")
    {
        CliOptions.Json("print the account id and every credential as one object"),
    }.Runs(async a =>
    {
        await using var services = await OpenAsync(a);
        var seeded = await Demo.SeedAsync(services, "http://127.0.0.1:5080", CancellationToken.None);
        return Print(a.Has("json") ? Json(Demo.Json(seeded)) : Demo.Describe(seeded, "http://127.0.0.1:5080", services.GetRequiredService<Database>(), running: false), 0);
    });

    private static Command Accounts() => new("accounts", "manage accounts (tenants)")
    {
        new Command("create", "create an account; prints every API credential once")
        {
            CliOptions.Value("name", "NAME", "the account's name", required: true),
            CliOptions.Json(),
        }.Runs(async a =>
        {
            await using var services = await OpenAsync(a);
            var created = await services.GetRequiredService<AccountStore>().CreateAccountAsync(a.Require("name"), Actor.Operator(null), CancellationToken.None);
            return Print(a.Has("json")
                ? Json(OperatorApi.CreatedJson(created))
                : $"Account {created.Account.Id} ({created.Account.Name})\n" + string.Join('\n', created.Credentials.Select(c => $"  {c.Api,-10} {c.Mode,-5} {c.Secret}  ({c.Id})")), 0);
        }),
        new Command("list", "list the accounts") { CliOptions.Json() }.Runs(async a =>
        {
            await using var services = await OpenAsync(a);
            var list = await services.GetRequiredService<AccountStore>().ListAccountsAsync(CancellationToken.None);
            return Print(a.Has("json")
                ? Json(new { accounts = list.Select(OperatorApi.AccountJson) })
                : string.Join('\n', list.Select(x => $"{x.Id}  {Time.Iso(x.CreatedAt)}  {x.Name}")), 0);
        }),
    };

    private static Command Keys()
    {
        var kinds = new CredentialKinds();
        foreach (var module in ApiModules.All)
        {
            module.AddCredentials(kinds);
        }
        var api = CliOptions.Value("api", "API", "the API the credential is for", required: true);
        api.CompletionSources.Add([.. kinds.All.Select(k => k.Api).Distinct()]);
        var mode = CliOptions.Value("mode", "live|test", "the credential's mode (GoCardless: live|sandbox)", required: true);
        mode.CompletionSources.Add([.. kinds.All.Select(k => k.Mode).Distinct()]);
        return new("keys", "manage an account's API credentials (stored only as hashes)")
        {
            new Command("create", "issue a credential; prints its secret once")
            {
                CliOptions.Value("account", "ID", "the account", required: true), api, mode, CliOptions.Json(),
            }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                var (account, apiName, modeName) = (a.Require("account"), a.Require("api"), a.Require("mode"));
                var kinds = services.GetRequiredService<CredentialKinds>();
                if (kinds.Find(apiName, modeName) is null)
                {
                    throw new UsageException($"no credential kind '{apiName}' '{modeName}'; known: {string.Join(", ", kinds.All.Select(k => k.Name))}");
                }
                var issued = await services.GetRequiredService<AccountStore>().CreateCredentialAsync(account, apiName, modeName, Actor.Operator(null), CancellationToken.None);
                if (issued is null)
                {
                    await Console.Error.WriteLineAsync("rescind: no such account");
                    return 1;
                }
                return Print(a.Has("json") ? Json(OperatorApi.CredentialJson(issued)) : $"{issued.Secret}  ({issued.Id}; shown once)", 0);
            }),
            new Command("revoke", "revoke a credential")
            {
                CliOptions.Value("id", "CREDENTIAL_ID", "the credential", required: true), CliOptions.IgnoredJson(),
            }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                if (!await services.GetRequiredService<AccountStore>().RevokeCredentialAsync(a.Require("id"), Actor.Operator(null), CancellationToken.None))
                {
                    await Console.Error.WriteLineAsync("rescind: no such active credential");
                    return 1;
                }
                return Print("Revoked.", 0);
            }),
        };
    }

    private static Command OperatorVerb() => new("operator", "operator credentials")
    {
        new Command("token", "issue an operator credential for the operator API and console") { CliOptions.Json() }.Runs(async a =>
        {
            await using var services = await OpenAsync(a);
            var issued = await services.GetRequiredService<AccountStore>().CreateOperatorCredentialAsync(Actor.Operator(null), CancellationToken.None);
            return Print(a.Has("json") ? Json(OperatorApi.CredentialJson(issued)) : $"{issued.Secret}  ({issued.Id}; shown once)", 0);
        }),
    };

    /// <summary><c>simulate &lt;api&gt; &lt;action&gt;</c>, one verb per module that has a <see cref="SimulateVerb"/>.</summary>
    private static Command Simulate()
    {
        var simulate = new Command("simulate", "an API's outside world (a customer, a CA, a payment provider) acts, as the operator route would");
        foreach (var module in ApiModules.All.Where(m => m.Simulate is not null))
        {
            var verb = module.Simulate!;
            var action = new Argument<string>("action") { Description = "what happens" };
            action.AcceptOnlyFromAmong([.. verb.Actions]);
            var usage = string.Join('\n', verb.Usage.Split('\n').Select(line => line.Trim()));
            var command = new Command(module.Name, usage) { action, CliOptions.IgnoredJson() };
            foreach (var name in verb.Options)
            {
                command.Add(CliOptions.Value(name, "ID", $"the {name} it acts on"));
            }
            simulate.Add(command.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                var simulated = await verb.RunAsync(a.Parsed.GetRequiredValue(action), a, services);
                return Print(simulated.Output, simulated.Succeeded ? 0 : 1);
            }));
        }
        return simulate;
    }

    private static Command Jobs() => new("jobs", "background jobs")
    {
        new Command("run", "run every background job once (expiry, reminders, purges) and print what each handled").Runs(async a =>
        {
            await using var services = await OpenAsync(a);
            var handled = await services.GetRequiredService<JobRunner>().RunAllOnceAsync(CancellationToken.None);
            return Print(Json(handled), 0);
        }),
    };

    private static Command Audit()
    {
        var limit = CliOptions.Number("limit", "N", "at most N rows, newest first", 1, 10_000, message: "--limit must be 1 to 10000");
        return new Command("audit", "read the audit log")
        {
            CliOptions.Value("account", "ID", "only this account's rows"),
            CliOptions.Value("resource", "ID", "only this resource's rows"),
            limit,
            CliOptions.Json(),
        }.Runs(async a =>
        {
            await using var services = await OpenAsync(a);
            var query = new AuditQuery(a.Get("account"), a.Get("resource"), Limit: a.Has("limit") ? (int)a.Parsed.GetValue(limit) : 100);
            var rows = await AuditLog.QueryAsync(services.GetRequiredService<Database>(), query, CancellationToken.None);
            return Print(a.Has("json")
                ? Json(rows)
                : string.Join('\n', rows.Select(r => $"{Time.Iso(r.At)}  {r.Api,-8} {r.ResourceId}  {r.Action,-10} {r.FromState ?? "-"} → {r.ToState ?? "-"}  by {r.ActorKind} {r.ActorId}")), 0);
        });
    }

    private static Command Verify() => new Command("verify", "check the whole database against every invariant; exit code 1 when any is violated")
    {
        CliOptions.Json(),
    }.Runs(async a =>
    {
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
    });

    private static Command Webhooks()
    {
        Option<long> Delivery() => CliOptions.Number("delivery", "N", "the delivery id", 0, long.MaxValue, required: true, message: "--delivery must be a delivery id (a number)");
        return new("webhooks", "webhook endpoints and the delivery log")
        {
            new Command("add", "register an endpoint for an account's events of one API; prints its signing secret once")
            {
                CliOptions.Value("account", "ID", "the account", required: true),
                CliOptions.Value("api", "API", "the API whose events it receives", required: true),
                CliOptions.Value("url", "URL", "where to POST (absolute http or https)", required: true),
                CliOptions.Number("timeout-ms", "N", "the delivery timeout", 100, 60_000),
                CliOptions.Json(),
            }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                var ct = CancellationToken.None;
                var (account, api, url) = (a.Require("account"), a.Require("api"), a.Require("url"));
                int? timeout = a.Get("timeout-ms") is { } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : null;
                if (await services.GetRequiredService<AccountStore>().FindAccountAsync(account, ct) is null)
                {
                    await Console.Error.WriteLineAsync("rescind: no such account");
                    return 1;
                }
                var (endpoint, refusal) = await services.GetRequiredService<Rescind.Core.Webhooks.WebhookStore>().CreateEndpointAsync(account, api, url, timeout, Actor.Operator(null), ct);
                if (endpoint is null)
                {
                    throw new UsageException(refusal switch
                    {
                        Rescind.Core.Webhooks.WebhookStore.Refusal.UnknownApi => $"--api must be one of: {string.Join(", ", services.GetRequiredService<Rescind.Core.Webhooks.WebhookShapes>().Apis)}",
                        Rescind.Core.Webhooks.WebhookStore.Refusal.NotAllowed => "--" + Rescind.Core.Webhooks.WebhookStore.NotAllowedMessage,
                        _ => "--url must be an absolute http or https URL",
                    });
                }
                return Print(a.Has("json")
                    ? Json(new { id = endpoint.Id, account_id = endpoint.AccountId, api = endpoint.Api, url = endpoint.Url, timeout_ms = endpoint.TimeoutMs, secret = endpoint.Secret })
                    : $"{endpoint.Id}  signing secret {endpoint.Secret} (shown once)", 0);
            }),
            new Command("list", "list the endpoints") { CliOptions.Value("account", "ID", "only this account's"), CliOptions.IgnoredJson() }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                foreach (var e in await services.GetRequiredService<Rescind.Core.Webhooks.WebhookStore>().EndpointsAsync(a.Get("account"), CancellationToken.None))
                {
                    Console.WriteLine($"{e.Id}  {e.AccountId}  {e.Api,-10} {(e.DisabledAt is null ? "enabled " : "disabled")}  {e.Url}");
                }
                return 0;
            }),
            new Command("deliveries", "list deliveries, newest first")
            {
                CliOptions.Value("endpoint", "ID", "only this endpoint's"),
                CliOptions.Value("status", "pending|delivered|dead", "only deliveries in this state", choices: ["pending", "delivered", "dead"]),
                CliOptions.Value("account", "ID", "only this account's"),
                CliOptions.Number("limit", "N", "at most N", 1, 10_000),
                CliOptions.IgnoredJson(),
            }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                var limit = a.Get("limit") is { } l ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : 100;
                foreach (var d in await services.GetRequiredService<Rescind.Core.Webhooks.WebhookStore>().DeliveriesAsync(a.Get("endpoint"), null, a.Get("status"), a.Get("account"), null, limit, CancellationToken.None))
                {
                    Console.WriteLine($"{d.Id,8}  {d.Status,-9} attempts {d.Attempts,2}  {d.EventId}  → {d.EndpointId}  {d.LastStatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {d.LastError}");
                }
                return 0;
            }),
            new Command("attempts", "a delivery's attempts") { Delivery(), CliOptions.IgnoredJson() }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                foreach (var x in await services.GetRequiredService<Rescind.Core.Webhooks.WebhookStore>().AttemptsAsync(a.Parsed.GetValue<long>("--delivery"), CancellationToken.None))
                {
                    Console.WriteLine($"#{x.Attempt}  {Time.Iso(x.StartedAt)}  {x.DurationMs} ms  {x.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}  {x.Error ?? x.ResponseExcerpt}");
                }
                return 0;
            }),
            new Command("redeliver", "queue a delivery again, due now") { Delivery(), CliOptions.IgnoredJson() }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                if (!await services.GetRequiredService<Rescind.Core.Webhooks.WebhookStore>().RedeliverAsync(a.Parsed.GetValue<long>("--delivery"), Actor.Operator(null), CancellationToken.None))
                {
                    await Console.Error.WriteLineAsync("rescind: no such delivery");
                    return 1;
                }
                return Print("Queued again, due now.", 0);
            }),
            new Command("disable", "disable an endpoint") { CliOptions.Value("endpoint", "ID", "the endpoint", required: true), CliOptions.IgnoredJson() }.Runs(async a =>
            {
                await using var services = await OpenAsync(a);
                if (!await services.GetRequiredService<Rescind.Core.Webhooks.WebhookStore>().DisableEndpointAsync(a.Require("endpoint"), Actor.Operator(null), CancellationToken.None))
                {
                    await Console.Error.WriteLineAsync("rescind: no such enabled endpoint");
                    return 1;
                }
                return Print("Disabled.", 0);
            }),
        };
    }

    public static string Json(object value) => JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true });
}
