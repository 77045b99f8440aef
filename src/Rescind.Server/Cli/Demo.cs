using System.Text.Json;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Cancellations;
using Rescind.Server.Operator;

namespace Rescind.Server.Cli;

/// <summary>What a demo resource's cancel does now: that is what it is in the demo for.</summary>
public enum DemoCase
{
    /// <summary>The cancel goes through.</summary>
    Cancellable,

    /// <summary>Already cancelled: the cancel answers as the API answers a repeat.</summary>
    Cancelled,

    /// <summary>The API refuses the cancel in this state, with its code.</summary>
    Refused,

    /// <summary>The cancel is accepted but cannot finish at once (pending cancellation, a replacement racing).</summary>
    Deferred,
}

/// <param name="Ref">The resource as Rescind's own API names it (<c>api:id</c> where the bare id could be another API's).</param>
public sealed record DemoResource(DemoCase Case, string Type, string Id, string State, string Note, string Ref);

/// <summary>One API's demo resources, and how to cancel them with curl (given the server's URL).</summary>
public sealed record DemoApi(string Api, IReadOnlyList<DemoResource> Resources, Func<string, string> Curl);

/// <summary>What an API's demo seed works with: the demo account, the server's URL, the coordinator.</summary>
public sealed record DemoSeed(IServiceProvider Services, CreatedAccount Account, string Url, CancellationToken Ct)
{
    public string AccountId => Account.Account.Id;

    public IssuedCredential Credential(string api, string mode = "live") => Account.Credentials.First(c => c.Api == api && c.Mode == mode);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Runs one command as the API's credential would, in its own transaction (audit, outbox and all);
    /// anything but done, already done or deferred is a bug of the demo. <paramref name="contextApi"/>: the API the
    /// audit names, where a mode has its own (GoCardless sandbox).</summary>
    public async Task<T> RunAsync<T>(string api, string mode, Func<UnitOfWork, Task<Outcome<T>>> work, string? contextApi = null)
    {
        var ctx = new OperationContext(AccountId, contextApi ?? api, Actor.Credential(Credential(api, mode).Id), "demo");
        return Value(await Get<Coordinator>().RunAsync(ctx, (uow, _) => work(uow), Ct));
    }

    /// <summary>Runs what the outside world does (a customer's submission, a provider's answer, a block mined) as
    /// the simulation does it: the system, not the account's credential, is the actor.</summary>
    public async Task<T> WorldAsync<T>(string api, Func<UnitOfWork, Task<Outcome<T>>> work)
    {
        var ctx = new OperationContext(AccountId, api, Actor.System, "demo");
        return Value(await Get<Coordinator>().RunAsync(ctx, (uow, _) => work(uow), Ct));
    }

    public static T Value<T>(Outcome<T> outcome) => outcome switch
    {
        Outcome<T>.Done d => d.Value,
        Outcome<T>.AlreadyDone a => a.Value,
        Outcome<T>.Deferred d => d.Value,
        _ => throw new InvalidOperationException($"demo data: {outcome}"),
    };
}

/// <summary>
/// <c>serve --demo</c> and <c>rescind demo</c>: a demo account whose every API holds a resource in each state that
/// matters to its cancel, made through the APIs' own commands (each in its own transaction, so audit, outbox and
/// <c>rescind verify</c> agree), and the curl lines that cancel each.
/// </summary>
public static class Demo
{
    public sealed record Data(CreatedAccount Account, IssuedCredential Operator, IReadOnlyList<DemoApi> Apis);

    public static async Task<Data> SeedAsync(IServiceProvider services, string url, CancellationToken ct)
    {
        var accounts = services.GetRequiredService<AccountStore>();
        var created = await accounts.CreateAccountAsync("Demo", Actor.System, ct);
        var op = await accounts.CreateOperatorCredentialAsync(Actor.System, ct);
        var seed = new DemoSeed(services, created, url, ct);
        return new Data(created, op,
        [
            await Numeral.NumeralDemo.SeedAsync(seed),
            await DigiCert.DigiCertDemo.SeedAsync(seed),
            await CrissCross.CrissCrossDemo.SeedAsync(seed),
            await Circle.CircleDemo.SeedAsync(seed),
            await GoCardless.GoCardlessDemo.SeedAsync(seed),
        ]);
    }

    private static string Name(DemoCase c) => c switch
    {
        DemoCase.Cancellable => "cancellable",
        DemoCase.Cancelled => "cancelled",
        DemoCase.Refused => "refused",
        _ => "deferred",
    };

    public static object Json(Data d) => new
    {
        account_id = d.Account.Account.Id,
        credentials = d.Account.Credentials.Select(OperatorApi.CredentialJson),
        operator_token = d.Operator.Secret,
        numeral = new { certificate_request_id = d.Apis[0].Resources.First(r => r.Case == DemoCase.Cancellable).Id },
        resources = d.Apis.SelectMany(a => a.Resources.Select(r => new
        {
            api = a.Api, @case = Name(r.Case), type = r.Type, id = r.Id, state = r.State, reference = r.Ref, note = r.Note,
        })),
    };

    public static string Describe(Data d, string url, Database db, bool running = true)
    {
        var rescind = d.Account.Credentials.First(c => c.Api == CancellationStore.Api && c.Mode == "live").Secret;
        var cancellable = d.Apis.Select(a => a.Resources.First(r => r.Case == DemoCase.Cancellable).Ref).ToArray();
        var preview = JsonSerializer.Serialize(new { resources = cancellable, reason = "demo", dry_run = true, idempotency_key = "demo-1" });
        var sections = string.Join("\n", d.Apis.Select(a =>
            $"""
            == {a.Api}
            {string.Join("\n", a.Resources.Select(r => $"  {Name(r.Case),-12} {r.Type} {r.Id}  ({r.State}) {r.Note}"))}
            {a.Curl(url)}

            """));
        return $"""

            {(running ? $"Rescind is running at {url}" : $"Demo data created; start the server with `rescind serve` (same --data/--database) and call it at {url}")} on {(db.Kind == DatabaseKind.Sqlite ? "SQLite" : "PostgreSQL")}.

            Operator console  {url}/console   (sign in with the operator token below)

            Demo account      {d.Account.Account.Id}
              Operator token    {d.Operator.Secret}
            Every API's credentials (shown once; docs/<api>.md shows how to use each):
            {string.Join("\n", d.Account.Credentials.Select(c => $"  {c.Api,-12} {c.Mode,-8} {c.Secret}"))}

            Each API below has a resource in every state that matters to its cancel, and the curl that cancels it.

            {sections}
            == Rescind's own API (docs/api.md): preview the cancel of every API's cancellable resource in one call
              curl -s -X POST {url}/v1/cancellations -H "Authorization: Bearer {rescind}" -H "Content-Type: application/json" \
                -d '{preview}'

            The audit log of any of them (operator):
              curl -s "{url}/operator/audit?resource_id={cancellable[0]}" -H "Authorization: Bearer {d.Operator.Secret}"

            OpenAPI: {url}/openapi/<api>.json    Stop with Ctrl+C.
            """;
    }
}
