using System.Globalization;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Jobs;
using Rescind.Core.Mail;
using Rescind.Core.Storage;
using Rescind.Server.Http;
using Rescind.Server.Webhooks;

namespace Rescind.Server.Operator;

/// <summary>
/// The operator API, behind the operator credential, in RFC 9457 problem details.
/// <code>
/// GET    /operator/accounts                          list accounts
/// POST   /operator/accounts                          create an account with every API's credentials (shown once)
/// GET    /operator/accounts/{id}/credentials         list an account's credentials (hints only)
/// POST   /operator/accounts/{id}/credentials         issue a credential {api, mode}
/// DELETE /operator/credentials/{id}                  revoke a credential
/// GET    /operator/audit                             audit log across accounts (account_id, resource_id, api, action, after, limit)
/// GET    /operator/events                            outbox events (account_id, resource_id, after, limit)
/// GET    /operator/mail                              the mail sink (account_id, resource_id, limit)
/// POST   /operator/jobs/run                          run every background job once, now
/// GET    /operator/verify                            check every invariant of the database (as `rescind verify`)
/// …      /operator/webhook-endpoints, /operator/webhook-deliveries   see WebhooksOperatorApi
/// …      /operator/{api}/…                           each API's simulation of its outside world (ApiModule.MapSimulation)
/// </code>
/// </summary>
public static class OperatorApi
{
    public static IEndpointRouteBuilder MapOperator(this IEndpointRouteBuilder app)
    {
        var op = app.MapGroup("/operator").WithGroupName("operator").RequireCaller(Credentials).ProducesProblems(401);
        op.MapGet("/accounts", ListAccountsAsync).Produces<AccountList>(200);
        op.MapPost("/accounts", CreateAccountAsync)
            .Accepts<NewAccountBody>("application/json").Produces<CreatedAccountObject>(201).ProducesProblems(400, 413);
        op.MapGet("/accounts/{id}/credentials", ListCredentialsAsync).Produces<CredentialList>(200).ProducesProblems(404);
        op.MapPost("/accounts/{id}/credentials", CreateCredentialAsync)
            .Accepts<NewCredentialBody>("application/json").Produces<IssuedCredentialObject>(201).ProducesProblems(400, 404, 413);
        op.MapDelete("/credentials/{id}", RevokeCredentialAsync).Produces<RevokedCredential>(200).ProducesProblems(404);
        op.MapGet("/audit", AuditAsync)
            .Parameters(Query("account_id"), Query("resource_id"), Query("api"), Query("action"), After, Limit)
            .Produces<AuditList>(200).ProducesProblems(400);
        op.MapGet("/events", EventsAsync)
            .Parameters(Query("account_id"), Query("resource_id"), After, Limit).Produces<EventList>(200).ProducesProblems(400);
        op.MapGet("/mail", MailAsync).Parameters(Query("account_id"), Query("resource_id"), Limit).Produces<MailList>(200).ProducesProblems(400);
        op.MapPost("/jobs/run", RunJobsAsync).AcceptsNoFields().Produces<JobsRun>(200);
        op.MapGet("/verify", VerifyAsync).Produces<VerifyObject>(200);
        op.MapWebhooks();
        foreach (var module in Hosting.ApiModules.All)
        {
            module.MapSimulation(op.MapGroup("/" + module.Name));
        }
        return app;
    }

    /// <summary>The paging parameters of the operator's lists (<see cref="TryPaging"/>).</summary>
    public static ParameterDoc After { get; } = ParameterDoc.Query("after", "integer", "Rows after this id.");

    public static ParameterDoc Limit { get; } = ParameterDoc.Query("limit", "integer", "1 to 1000, default 100.");

    public static ParameterDoc Query(string name) => ParameterDoc.Query(name);

    public static Actor Actor(HttpContext http) => Core.Coordination.Actor.Operator(http.Caller().CredentialId);

    /// <summary>An operator credential (<c>Authorization: Bearer op_…</c>); anything else is 401 in problem details.</summary>
    public static CredentialScheme Credentials { get; } = new(
        AccountStore.OperatorApi,
        http => CredentialSchemes.BearerKeyAsync(http, AccountStore.OperatorApi),
        _ => ProblemEnvelope.Instance.Error(401, "unauthorized", "An operator credential is required: Authorization: Bearer op_…"),
        "application/problem+json");

    public static IResult Problem(int status, string code, string detail) =>
        ProblemEnvelope.Instance.Error(status, code, detail).ToResult("application/problem+json");

    private static async Task<IResult> ListAccountsAsync(AccountStore accounts, CancellationToken ct) =>
        OperatorJson.Result(new AccountList([.. (await accounts.ListAccountsAsync(ct)).Select(OperatorJson.Account)]));

    private static async Task<IResult> CreateAccountAsync(HttpContext http, AccountStore accounts, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, 16 * 1024, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return Problem(read.Failure == SharedFailure.PayloadTooLarge ? 413 : 400, "invalid_request", read.Message!);
        }
        var f = new JsonFields(doc.RootElement).Allow("name");
        var name = f.String("name", required: true, 200);
        if (!f.Ok)
        {
            return Problem(400, "invalid_request", f.Error!.Message);
        }
        var created = await accounts.CreateAccountAsync(name!, Actor(http), ct);
        return OperatorJson.Result(OperatorJson.Created(created), 201);
    }

    private static async Task<IResult> ListCredentialsAsync(string id, AccountStore accounts, CancellationToken ct)
    {
        if (await accounts.FindAccountAsync(id, ct) is null)
        {
            return Problem(404, "not_found", "No such account.");
        }
        return OperatorJson.Result(new CredentialList([.. (await accounts.ListCredentialsAsync(id, ct))
            .Select(c => new CredentialObject(c.Id, c.Api, c.Mode, c.Hint, Time.Iso(c.CreatedAt), Time.Iso(c.RevokedAt)))]));
    }

    private static async Task<IResult> CreateCredentialAsync(string id, HttpContext http, AccountStore accounts, CredentialKinds kinds, CancellationToken ct)
    {
        var read = await JsonBody.ReadAsync(http.Request, 16 * 1024, ct);
        using var doc = read.Document;
        if (doc is null)
        {
            return Problem(read.Failure == SharedFailure.PayloadTooLarge ? 413 : 400, "invalid_request", read.Message!);
        }
        var f = new JsonFields(doc.RootElement).Allow("api", "mode");
        var api = f.String("api", required: true, 32);
        var mode = f.String("mode", required: true, 8, m => m is "live" or "test", "live or test");
        if (!f.Ok)
        {
            return Problem(400, "invalid_request", f.Error!.Message);
        }
        if (kinds.Find(api!, mode!) is null)
        {
            return Problem(400, "invalid_request", $"No credential kind {api} {mode}; known: {string.Join(", ", kinds.All.Select(k => k.Name))}.");
        }
        var issued = await accounts.CreateCredentialAsync(id, api!, mode!, Actor(http), ct);
        return issued is null
            ? Problem(404, "not_found", "No such account.")
            : OperatorJson.Result(OperatorJson.Credential(issued), 201);
    }

    private static async Task<IResult> RevokeCredentialAsync(string id, HttpContext http, AccountStore accounts, CancellationToken ct) =>
        await accounts.RevokeCredentialAsync(id, Actor(http), ct)
            ? OperatorJson.Result(new RevokedCredential(id, true))
            : Problem(404, "not_found", "No such active credential.");

    private static async Task<IResult> AuditAsync(HttpContext http, Database db, CancellationToken ct)
    {
        if (!TryPaging(http, out var limit, out var after))
        {
            return Problem(400, "invalid_request", "limit must be 1 to 1000 and after an audit row id.");
        }
        var rows = await AuditLog.QueryAsync(db, new AuditQuery(Opt(http, "account_id"), Opt(http, "resource_id"), Opt(http, "api"), Opt(http, "action"), after, limit), ct);
        return OperatorJson.Result(new AuditList([.. rows.Select(a => new AuditObject(a.Id, a.AccountId, a.Api, a.ResourceType, a.ResourceId,
            a.Action, a.FromState, a.ToState, new AuditActor(a.ActorKind, a.ActorId), a.RequestId, a.IdempotencyKey, a.Reason, Time.Iso(a.At)))]));
    }

    private static async Task<IResult> EventsAsync(HttpContext http, Database db, CancellationToken ct)
    {
        if (!TryPaging(http, out var limit, out var after))
        {
            return Problem(400, "invalid_request", "limit must be 1 to 1000 and after an event row id.");
        }
        var rows = await AuditLog.EventsAsync(db, Opt(http, "account_id"), Opt(http, "resource_id"), after, limit, ct);
        return OperatorJson.Result(new EventList([.. rows.Select(e => new EventObject(e.Id, e.EventId, e.AccountId, e.Api, e.EventType,
            e.ResourceType, e.ResourceId, System.Text.Json.JsonDocument.Parse(e.Payload).RootElement, Time.Iso(e.CreatedAt), Time.Iso(e.DispatchedAt)))]));
    }

    private static async Task<IResult> MailAsync(HttpContext http, Database db, CancellationToken ct)
    {
        if (!TryPaging(http, out var limit, out _))
        {
            return Problem(400, "invalid_request", "limit must be 1 to 1000.");
        }
        var mail = await MailSink.ListAsync(db, Opt(http, "account_id"), Opt(http, "resource_id"), limit, ct);
        return OperatorJson.Result(new MailList([.. mail.Select(m => new MailObject(m.Id, m.AccountId, m.To, m.Subject, m.Body, m.ResourceId, Time.Iso(m.CreatedAt)))]));
    }

    private static async Task<IResult> VerifyAsync(Verifier verifier, CancellationToken ct)
    {
        var result = await verifier.VerifyAsync(ct);
        return OperatorJson.Result(new VerifyObject(result.Ok, [.. result.Results.Select(r => new InvariantObject(r.Invariant, r.Violations))]));
    }

    private static async Task<IResult> RunJobsAsync(JobRunner jobs, CancellationToken ct) =>
        OperatorJson.Result(new JobsRun(await jobs.RunAllOnceAsync(ct)));

    // The command line prints the same objects as the operator API (its --json output).
    public static object AccountJson(Account a) => System.Text.Json.JsonSerializer.SerializeToElement(OperatorJson.Account(a), OperatorJson.Options);

    public static object CredentialJson(IssuedCredential c) => System.Text.Json.JsonSerializer.SerializeToElement(OperatorJson.Credential(c), OperatorJson.Options);

    public static object CreatedJson(CreatedAccount created) => System.Text.Json.JsonSerializer.SerializeToElement(OperatorJson.Created(created), OperatorJson.Options);

    /// <summary>A query parameter given exactly once and non-empty, else null.</summary>
    internal static string? Opt(HttpContext http, string name) =>
        http.Request.Query.TryGetValue(name, out var v) && v.Count == 1 && v[0]!.Length > 0 ? v[0] : null;

    /// <summary>The operator API's paging: <c>limit</c> 1 to 1000 (default 100) and <c>after</c> a row id.</summary>
    internal static bool TryPaging(HttpContext http, out int limit, out long? after)
    {
        limit = 100;
        after = null;
        if (!StrictQuery.TryInteger(Opt(http, "limit"), 1, 1000, ref limit))
        {
            return false;
        }
        if (Opt(http, "after") is { } a)
        {
            if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }
            after = n;
        }
        return true;
    }
}
