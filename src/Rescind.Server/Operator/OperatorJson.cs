using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Accounts;

namespace Rescind.Server.Operator;

/// <summary>The operator API's wire objects: snake_case, nulls written, timestamps ISO-8601 UTC.</summary>
public static class OperatorJson
{
    /// <summary>ASP.NET Core's web defaults (what <c>Results.Ok</c> writes) with the snake_case names the operator API uses.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IResult Result<T>(T value, int status = 200) => Results.Json(value, Options, statusCode: status);

    public static AccountObject Account(Account a) => new(a.Id, a.Name, Time.Iso(a.CreatedAt));

    public static IssuedCredentialObject Credential(IssuedCredential c) => new(c.Id, c.Api, c.Mode, c.Secret);

    public static CreatedAccountObject Created(CreatedAccount created) =>
        new(Account(created.Account), [.. created.Credentials.Select(Credential)]);
}

public sealed record NewAccountBody(string Name);

public sealed record NewCredentialBody(string Api, string Mode);

public sealed record AccountObject(string Id, string Name, string CreatedAt);

public sealed record AccountList(IReadOnlyList<AccountObject> Accounts);

/// <summary>A credential as issued: its secret is shown this once.</summary>
public sealed record IssuedCredentialObject(string Id, string Api, string Mode, string Secret);

public sealed record CreatedAccountObject(AccountObject Account, IReadOnlyList<IssuedCredentialObject> Credentials);

/// <summary>A credential as listed: a hint of the secret only.</summary>
public sealed record CredentialObject(string Id, string Api, string Mode, string Hint, string CreatedAt, string? RevokedAt);

public sealed record CredentialList(IReadOnlyList<CredentialObject> Credentials);

public sealed record RevokedCredential(string Id, bool Revoked);

public sealed record AuditActor(string Kind, string? Id);

public sealed record AuditObject(
    long Id, string? AccountId, string Api, string ResourceType, string ResourceId, string Action, string? FromState, string? ToState,
    AuditActor Actor, string? RequestId, string? IdempotencyKey, string? Reason, string At);

public sealed record AuditList(IReadOnlyList<AuditObject> Audit);

public sealed record EventObject(
    long Id, string EventId, string? AccountId, string Api, string Type, string ResourceType, string ResourceId, JsonElement Payload,
    string CreatedAt, string? DispatchedAt);

public sealed record EventList(IReadOnlyList<EventObject> Events);

public sealed record MailObject(long Id, string? AccountId, string To, string Subject, string Body, string? ResourceId, string CreatedAt);

public sealed record MailList(IReadOnlyList<MailObject> Mail);

/// <summary>What each job handled in one run, by job name.</summary>
public sealed record JobsRun(IReadOnlyDictionary<string, int> Handled);

public sealed record InvariantObject(string Name, IReadOnlyList<string> Violations);

public sealed record VerifyObject(bool Ok, IReadOnlyList<InvariantObject> Invariants);
