using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Options;
using Rescind.Core.Accounts;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;
using Rescind.Server.Hosting;
using Rescind.Server.Http;

namespace Rescind.Server.DigiCert;

public sealed class UserRow
{
    public long Id { get; set; }

    public string AccountId { get; set; } = "";

    public string Username { get; set; } = "";

    public string FirstName { get; set; } = "";

    public string LastName { get; set; } = "";

    public string Email { get; set; } = "";

    public string? JobTitle { get; set; }

    public string? Telephone { get; set; }

    public int AccessRoleId { get; set; }

    public string Status { get; set; } = "";

    public int IsApiOnly { get; set; }

    public long DateCreated { get; set; }

    /// <summary>The calling key's restriction (API key role), when read for a key; 0 is none.</summary>
    public int RestrictedToRoleId { get; set; }
}

/// <summary>
/// CertCentral users [doc: Users; Glossary – Access roles]. Every API key acts as a user: the keys Rescind issues
/// with an account are its administrator's (a user made for the key on its first call), and an administrator adds
/// users (<c>POST /user</c>) and gives them keys (<c>POST /key/user/{user_id}</c>). Requests name their requester and
/// processor as these users.
/// <code>
/// GET  /services/v2/user                   list users (administrator, manager)
/// POST /services/v2/user                   add a user, or a service user with its key (administrator)
/// GET  /services/v2/user/{user_id}         user info; me is the key's own user
/// PUT  /services/v2/user/{user_id}/role    change a user's access role (administrator)
/// POST /services/v2/key/user/{user_id}     create an API key for a user (administrator, or the user)
/// </code>
/// </summary>
public static partial class DigiCertUsers
{
    /// <summary>The access roles [doc: Glossary – Access roles].</summary>
    public static IReadOnlyDictionary<int, string> AccessRoles { get; } = new Dictionary<int, string>
    {
        [Administrator] = "Administrator",
        [2] = "Limited user",
        [3] = "Finance manager",
        [Manager] = "Manager",
        [5] = "Standard user",
    };

    public const int Administrator = 1;
    public const int Manager = 4;

    /// <summary>The API key roles a key can be restricted to [doc: Glossary – API key roles]: 0 none, 100 orders,
    /// requests and certificates, 101 the same with organizations and domains, 102 GET only, 103 users.</summary>
    public static IReadOnlySet<int> KeyRoles { get; } = new HashSet<int> { 0, 100, 101, 102, 103 };

    /// <summary>Who may approve or reject a request [doc: "create and approve requests" is the manager's, and the
    /// administrator has full access; a standard user's changes "require approval by a manager or administrator"].</summary>
    public static bool MayApprove(int accessRoleId) => accessRoleId is Administrator or Manager;

    /// <summary>Who may skip the approval step when ordering [ours: whoever may approve]: a standard user's orders
    /// "require approval", so theirs is refused rather than silently ignored.</summary>
    public static bool MaySkipApproval(int accessRoleId) => MayApprove(accessRoleId);

    /// <summary>Who may read other users [doc: the manager can "view and edit users"].</summary>
    public static bool MayViewUsers(int accessRoleId) => accessRoleId is Administrator or Manager;

    /// <summary>What an API key role allows, by the route's family and method [doc: Glossary – API key roles].</summary>
    public static bool KeyAllows(int restriction, string method, string path)
    {
        var users = path.StartsWith("/services/v2/user", StringComparison.Ordinal) || path.StartsWith("/services/v2/key", StringComparison.Ordinal);
        return restriction switch
        {
            0 => true,
            100 or 101 => !users,
            102 => method == HttpMethods.Get,
            103 => users,
            _ => false,
        };
    }

    public const string MissingPermission = "access_denied|missing_permission";

    public static StoredResponse Forbidden(string message) => DigiCertEnvelope.Fail(403, MissingPermission, message);

    private const string UserColumns =
        """
        u.id, u.account_id, u.username, u.first_name, u.last_name, u.email, u.job_title, u.telephone,
        u.access_role_id, u.status, u.is_api_only, u.date_created
        """;

    private const string ItemKey = "digicert.user";

    /// <summary>The calling key's user, as <see cref="Filter"/> resolved it.</summary>
    public static UserRow Of(HttpContext http) =>
        http.Items[ItemKey] as UserRow ?? throw new InvalidOperationException("the DigiCert user filter did not run");

    /// <summary>Resolves (and on a key's first call creates) the key's user, and applies the key's API role.</summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var principal = http.Caller();
        var db = http.RequestServices.GetRequiredService<Database>();
        var accounts = http.RequestServices.GetRequiredService<AccountStore>();
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
        var user = await UserOfKeyAsync(db, accounts, principal, now, http.RequestAborted);
        if (!KeyAllows(user.RestrictedToRoleId, http.Request.Method, http.Request.Path.Value ?? ""))
        {
            return DigiCertApi.Answer(Forbidden($"This API key is restricted (API key role {user.RestrictedToRoleId}) and cannot make this request."));
        }
        http.Items[ItemKey] = user;
        return await next(context);
    }

    /// <summary>The user a key acts as. A key Rescind issued outside DigiCert's API (with the account, or by the
    /// operator) has no user until its first call, which makes it the account's administrator [ours]: both
    /// statements are idempotent, so concurrent first calls agree on one user.</summary>
    public static async Task<UserRow> UserOfKeyAsync(Database db, AccountStore accounts, Principal principal, long now, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var found = await FindByKeyAsync(connection, principal.CredentialId, ct);
        if (found is not null)
        {
            return found;
        }
        var account = await accounts.FindAccountAsync(principal.AccountId!, ct);
        var userId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("INSERT INTO digicert_ids (kind) VALUES ('user') RETURNING id", cancellationToken: ct));
        var keyId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("INSERT INTO digicert_ids (kind) VALUES ('key') RETURNING id", cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO digicert_users (id, account_id, username, first_name, last_name, email, access_role_id, status, is_api_only, date_created, root_credential_id)
            VALUES (@userId, @AccountId, @CredentialId, @FirstName, 'Administrator', @Email, 1, 'active', 1, @now, @CredentialId)
            ON CONFLICT (root_credential_id) DO NOTHING
            """,
            new { userId, principal.AccountId, principal.CredentialId, FirstName = Cut(account?.Name ?? "Account", 128), Email = principal.CredentialId + "@api-key.invalid", now },
            cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO digicert_keys (credential_id, id, account_id, user_id, name, restricted_to_role_id, date_created)
            SELECT @CredentialId, @keyId, @AccountId, id, 'Account key', 0, @now FROM digicert_users WHERE root_credential_id = @CredentialId
            ON CONFLICT (credential_id) DO NOTHING
            """,
            new { principal.CredentialId, keyId, principal.AccountId, now }, cancellationToken: ct));
        return await FindByKeyAsync(connection, principal.CredentialId, ct)
            ?? throw new InvalidOperationException($"the key {principal.CredentialId} has no user after creating it");
    }

    private static Task<UserRow?> FindByKeyAsync(System.Data.Common.DbConnection connection, string credentialId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns}, k.restricted_to_role_id FROM digicert_keys k JOIN digicert_users u ON u.id = k.user_id WHERE k.credential_id = @credentialId",
            new { credentialId }, cancellationToken: ct));

    public static void Map(RouteGroupBuilder v2)
    {
        v2.MapGet("/user", ListAsync)
            .Parameters(ParameterDoc.Query("offset", "integer"), ParameterDoc.Query("limit", "integer"))
            .Produces<UserList>(200).WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403));
        v2.MapPost("/user", CreateAsync)
            .Accepts<NewUserBody>("application/json").Produces<CreatedKey>(201).WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403), DigiCertApi.Error(413));
        v2.MapGet("/user/{user_id}", GetAsync).Produces<UserObject>(200).WithMetadata(DigiCertApi.Error(403), DigiCertApi.Error(404));
        v2.MapPut("/user/{user_id}/role", ChangeRoleAsync)
            .Accepts<UserRoleBody>("application/json").Produces(204).WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403), DigiCertApi.Error(404), DigiCertApi.Error(413));
        v2.MapPost("/key/user/{user_id}", CreateKeyAsync)
            .Accepts<NewKeyBody>("application/json").Produces<CreatedKey>(201).WithMetadata(DigiCertApi.Error(400), DigiCertApi.Error(403), DigiCertApi.Error(404), DigiCertApi.Error(413));
    }

    public static UserObject Json(UserRow u) => new(
        u.Id, u.Username, u.FirstName, u.LastName, u.Email, u.JobTitle, u.Telephone, u.Status,
        [new AccessRole(u.AccessRoleId, AccessRoles.GetValueOrDefault(u.AccessRoleId, "Unknown"))],
        u.IsApiOnly != 0 ? "api_only" : "standard", Rescind.Core.Time.Iso(u.DateCreated)!);

    private static async Task<IResult> ListAsync(HttpContext http, Database db, CancellationToken ct)
    {
        var me = Of(http);
        if (!MayViewUsers(me.AccessRoleId))
        {
            return DigiCertApi.Answer(Forbidden("Only an administrator or a manager can list users."));
        }
        var q = http.Request.Query;
        var offset = 0;
        var limit = 1000;
        if (!StrictQuery.TryInteger(q["offset"].LastOrDefault(), 0, int.MaxValue, ref offset))
        {
            return DigiCertApi.Answer(DigiCertEnvelope.InvalidParam("offset", "offset must be a non-negative integer."));
        }
        if (!StrictQuery.TryInteger(q["limit"].LastOrDefault(), 1, 1000, ref limit))
        {
            return DigiCertApi.Answer(DigiCertEnvelope.InvalidParam("limit", "limit must be an integer from 1 to 1000."));
        }
        await using var connection = await db.OpenAsync(ct);
        var args = new { me.AccountId, offset, limit };
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM digicert_users WHERE account_id = @AccountId", args, cancellationToken: ct));
        var rows = await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM digicert_users u WHERE u.account_id = @AccountId ORDER BY u.id LIMIT @limit OFFSET @offset", args, cancellationToken: ct));
        return DigiCertApi.Answer(new StoredResponse(200, DigiCertJson.Serialize(new UserList([.. rows.Select(Json)], new Page(total, limit, offset)))));
    }

    private static async Task<IResult> GetAsync(string user_id, HttpContext http, Database db, CancellationToken ct)
    {
        var me = Of(http);
        if (user_id == "me")
        {
            return DigiCertApi.Answer(new StoredResponse(200, DigiCertJson.Serialize(Json(me))));
        }
        var user = DigiCertApi.TryId(user_id, out var id) ? await FindAsync(db, me.AccountId, id, ct) : null;
        if (user is null)
        {
            return DigiCertApi.Answer(UserMissing(user_id));
        }
        return user.Id == me.Id || MayViewUsers(me.AccessRoleId)
            ? DigiCertApi.Answer(new StoredResponse(200, DigiCertJson.Serialize(Json(user))))
            : DigiCertApi.Answer(Forbidden("Only an administrator or a manager can view other users."));
    }

    private static async Task<UserRow?> FindAsync(Database db, string accountId, long id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM digicert_users u WHERE u.id = @id AND u.account_id = @accountId", new { id, accountId }, cancellationToken: ct));
    }

    /// <summary>No user of the account with that id [ours: the code, after not_found|order].</summary>
    public const string UserNotFound = "not_found|user";

    private static StoredResponse UserMissing(string id) =>
        DigiCertEnvelope.Fail(404, UserNotFound, $"User '{(id.Length > 40 ? id[..40] + "…" : id)}' was not found.");

    /// <summary>A new user as the body describes it: a user (username, names, email, access_roles) or, with
    /// <c>is_api_only</c>, a service user (email, api_name) created with its key [doc: Add user, Add service user].</summary>
    private sealed record NewUser(string Username, string FirstName, string LastName, string Email, string? JobTitle, string? Telephone, int Role, bool ApiOnly,
        string? KeyName, int KeyRole);

    private static (NewUser? User, StoredResponse? Error) ParseUser(JsonElement root, UserRow me)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, NotAnObject);
        }
        var apiOnly = root.TryGetProperty("is_api_only", out var flag) && flag.ValueKind == JsonValueKind.True;
        if (root.TryGetProperty("is_api_only", out flag) && flag.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            return (null, DigiCertEnvelope.InvalidParam("is_api_only", "is_api_only must be a boolean."));
        }
        var (email, e1) = DigiCertOrderBody.Str(root, "email", "email", 255, required: true);
        if (e1 is not null)
        {
            return (null, e1);
        }
        if (!Email().IsMatch(email!))
        {
            return (null, DigiCertEnvelope.InvalidParam("email", "email must be a valid email address."));
        }
        var (jobTitle, e2) = DigiCertOrderBody.Str(root, "job_title", "job_title", 64, required: false);
        var (telephone, e3) = DigiCertOrderBody.Str(root, "telephone", "telephone", 64, required: false);
        if ((e2 ?? e3) is { } e23)
        {
            return (null, e23);
        }
        if (apiOnly)
        {
            // A service user acts with the permissions of the administrator who creates it [doc].
            var (keyName, e4) = DigiCertOrderBody.Str(root, "api_name", "api_name", 128, required: true);
            if (e4 is not null)
            {
                return (null, e4);
            }
            var (keyRole, e5) = KeyRole(root);
            return e5 is not null ? (null, e5) : (new NewUser(email!, "Service", "User", email!, jobTitle, telephone, me.AccessRoleId, true, keyName, keyRole), null);
        }
        var (username, e6) = DigiCertOrderBody.Str(root, "username", "username", 128, required: true);
        var (first, e7) = DigiCertOrderBody.Str(root, "first_name", "first_name", 128, required: true);
        var (last, e8) = DigiCertOrderBody.Str(root, "last_name", "last_name", 128, required: true);
        if ((e6 ?? e7 ?? e8) is { } e678)
        {
            return (null, e678);
        }
        if (!Username().IsMatch(username!))
        {
            return (null, DigiCertEnvelope.InvalidParam("username", "username may contain only a–z, A–Z, 0–9, @, -, _, + and ."));
        }
        var (role, e9) = AccessRoleOf(root);
        return e9 is not null ? (null, e9) : (new NewUser(username!, first!, last!, email!, jobTitle, telephone, role, false, null, 0), null);
    }

    /// <summary>The body of a request only an administrator may make, or the answer refusing it (403 before the body
    /// is read).</summary>
    private static async Task<(System.Text.Json.JsonDocument? Doc, IResult? Failure)> AdministratorsBodyAsync(HttpContext http, IOptions<RescindOptions> options,
        string refusal, CancellationToken ct) =>
        Of(http).AccessRoleId != Administrator ? (null, DigiCertApi.Answer(Forbidden(refusal))) : await DigiCertApi.ReadBodyAsync(http, options, ct);

    /// <summary>The one access role of <c>access_roles: [{"id": …}]</c> [doc: Add user, Change user role].</summary>
    private static (int Role, StoredResponse? Error) AccessRoleOf(JsonElement root)
    {
        if (!root.TryGetProperty("access_roles", out var roles) || roles.ValueKind == JsonValueKind.Null)
        {
            return (0, DigiCertEnvelope.Missing("access_roles"));
        }
        return roles.ValueKind == JsonValueKind.Array && roles.GetArrayLength() == 1 && roles[0].ValueKind == JsonValueKind.Object
            && roles[0].TryGetProperty("id", out var roleId) && roleId.ValueKind == JsonValueKind.Number && roleId.TryGetInt32(out var role) && AccessRoles.ContainsKey(role)
            ? (role, null)
            : (0, DigiCertEnvelope.InvalidParam("access_roles", $"access_roles must hold one access role {{\"id\": …}}, one of {string.Join(", ", AccessRoles.Keys)}."));
    }

    /// <summary>Changes a user's access role [doc: Change user role]: the administrator's; 204.</summary>
    private static async Task<IResult> ChangeRoleAsync(string user_id, HttpContext http, Coordinator coordinator, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var me = Of(http);
        var (doc, failure) = await AdministratorsBodyAsync(http, options, "Only an administrator can change a user's access role.", ct);
        using var body = doc;
        if (doc is null)
        {
            return failure!;
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            return DigiCertApi.Answer(NotAnObject);
        }
        var (role, error) = AccessRoleOf(doc.RootElement);
        if (error is not null)
        {
            return DigiCertApi.Answer(error);
        }
        if (UserIdOf(user_id, me) is not { } userId)
        {
            return DigiCertApi.Answer(UserMissing(user_id));
        }
        return DigiCertApi.Answer(await coordinator.ExecuteAsync(Context(http), async (uow, _) =>
        {
            var from = await uow.QuerySingleOrDefaultAsync<int?>(
                "SELECT access_role_id FROM digicert_users WHERE id = @userId AND account_id = @AccountId" + uow.Db.ForUpdate, new { userId, me.AccountId });
            if (from is null)
            {
                return Outcome<bool>.Missing(user_id, "user");
            }
            await uow.ExecuteExpectingAsync(1, "UPDATE digicert_users SET access_role_id = @role WHERE id = @userId", new { role, userId });
            await uow.RecordAsync(new Change(DigiCertStore.Api, "user", DigiCertCommands.Rid(userId), "change_role",
                from.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), role.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return Outcome.Done(true);
        }, o => o is Outcome<bool>.Done ? DigiCertEnvelope.NoContent : UserMissing(user_id), ct));
    }

    private static StoredResponse NotAnObject => DigiCertEnvelope.Fail(400, DigiCertEnvelope.BadRequestFormat, "The body must be a JSON object.");

    /// <summary>The user a path names: <c>me</c> (the caller) or a numeric id; null when it is neither.</summary>
    private static long? UserIdOf(string userId, UserRow me) => userId == "me" ? me.Id : DigiCertApi.TryId(userId, out var id) ? id : null;

    private static (int Role, StoredResponse? Error) KeyRole(JsonElement root)
    {
        if (!root.TryGetProperty("restricted_to_role_id", out var r) || r.ValueKind == JsonValueKind.Null)
        {
            return (0, null);
        }
        return r.ValueKind == JsonValueKind.Number && r.TryGetInt32(out var role) && KeyRoles.Contains(role)
            ? (role, null)
            : (0, DigiCertEnvelope.InvalidParam("restricted_to_role_id", $"restricted_to_role_id must be one of {string.Join(", ", KeyRoles)}."));
    }

    private static async Task<IResult> CreateAsync(HttpContext http, Coordinator coordinator, AccountStore accounts, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var me = Of(http);
        var (doc, failure) = await AdministratorsBodyAsync(http, options, "Only an administrator can add users.", ct);
        using var body = doc;
        if (doc is null)
        {
            return failure!;
        }
        var (input, error) = ParseUser(doc.RootElement, me);
        if (input is null)
        {
            return DigiCertApi.Answer(error!);
        }
        return DigiCertApi.Answer(await coordinator.ExecuteAsync(Context(http), async (uow, _) =>
        {
            if (await uow.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM digicert_users WHERE account_id = @AccountId AND username = @Username",
                    new { me.AccountId, input.Username }) > 0)
            {
                return new Outcome<CreatedKey>.Refused(new Refusal("duplicate_error", null, "user"));
            }
            var user = new UserRow
            {
                Id = await DigiCertStore.NextIdAsync(uow, "user"),
                AccountId = me.AccountId,
                Username = input.Username,
                FirstName = input.FirstName,
                LastName = input.LastName,
                Email = input.Email,
                JobTitle = input.JobTitle,
                Telephone = input.Telephone,
                AccessRoleId = input.Role,
                Status = "active",
                IsApiOnly = input.ApiOnly ? 1 : 0,
                DateCreated = uow.NowMs,
            };
            await uow.ExecuteAsync(
                """
                INSERT INTO digicert_users (id, account_id, username, first_name, last_name, email, job_title, telephone, access_role_id, status, is_api_only, date_created)
                VALUES (@Id, @AccountId, @Username, @FirstName, @LastName, @Email, @JobTitle, @Telephone, @AccessRoleId, @Status, @IsApiOnly, @DateCreated)
                """, user);
            await uow.RecordAsync(new Change(DigiCertStore.Api, "user", DigiCertCommands.Rid(user.Id), "create", null, user.Status,
                Reason: JsonSerializer.Serialize(new { access_role_id = user.AccessRoleId, is_api_only = input.ApiOnly })));
            // A service user is answered with its key's secret [doc: {id, api_key}, the id being the user's].
            return Outcome.Done(input.ApiOnly ? (await InsertKeyAsync(uow, accounts, user, input.KeyName!, input.KeyRole)) with { Id = user.Id } : new CreatedKey(user.Id, null)); // written as {id}: absent values are omitted
        }, o => o switch
        {
            Outcome<CreatedKey>.Done { Value: var k } => new StoredResponse(201, DigiCertJson.Serialize(k)),
            _ => DigiCertEnvelope.Fail(400, "duplicate_error", $"Username {input.Username} already exists. Enter a different username."),
        }, ct));
    }

    private static async Task<IResult> CreateKeyAsync(string user_id, HttpContext http, Coordinator coordinator, AccountStore accounts, IOptions<RescindOptions> options, CancellationToken ct)
    {
        var me = Of(http);
        var (doc, failure) = await DigiCertApi.ReadBodyAsync(http, options, ct);
        using var _ = doc;
        if (doc is null)
        {
            return failure!;
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            return DigiCertApi.Answer(NotAnObject);
        }
        var (name, e1) = DigiCertOrderBody.Str(doc.RootElement, "name", "name", 128, required: true);
        var (role, e2) = KeyRole(doc.RootElement);
        if ((e1 ?? e2) is { } e)
        {
            return DigiCertApi.Answer(e);
        }
        if (UserIdOf(user_id, me) is not { } userId)
        {
            return DigiCertApi.Answer(UserMissing(user_id));
        }
        return DigiCertApi.Answer(await coordinator.ExecuteAsync(Context(http), async (uow, _) =>
        {
            var user = await uow.QuerySingleOrDefaultAsync<UserRow>(
                $"SELECT {UserColumns} FROM digicert_users u WHERE u.id = @userId AND u.account_id = @AccountId", new { userId, me.AccountId });
            if (user is null)
            {
                return Outcome<CreatedKey>.Missing(user_id, "user");
            }
            // Users issue their own keys; an administrator issues anyone's [ours, after the user guide].
            if (user.Id != me.Id && me.AccessRoleId != Administrator)
            {
                return new Outcome<CreatedKey>.Refused(new Refusal(MissingPermission, null, "key"));
            }
            return Outcome.Done(await InsertKeyAsync(uow, accounts, user, name!, role));
        }, o => o switch
        {
            Outcome<CreatedKey>.Done { Value: var k } => new StoredResponse(201, DigiCertJson.Serialize(k)),
            Outcome<CreatedKey>.NotFound => UserMissing(user_id),
            _ => Forbidden("Only an administrator can create API keys for other users."),
        }, ct));
    }

    private static async Task<CreatedKey> InsertKeyAsync(UnitOfWork uow, AccountStore accounts, UserRow user, string name, int role)
    {
        var credential = await accounts.IssueCredentialAsync(uow, user.AccountId, DigiCertStore.Api, "live");
        var keyId = await DigiCertStore.NextIdAsync(uow, "key");
        await uow.ExecuteAsync(
            """
            INSERT INTO digicert_keys (credential_id, id, account_id, user_id, name, restricted_to_role_id, date_created)
            VALUES (@Id, @keyId, @AccountId, @userId, @name, @role, @Now)
            """, new { credential.Id, keyId, user.AccountId, userId = user.Id, name, role, Now = uow.NowMs });
        await uow.RecordAsync(new Change(DigiCertStore.Api, "key", DigiCertCommands.Rid(keyId), "create", null, "active",
            Reason: JsonSerializer.Serialize(new { user_id = user.Id, credential_id = credential.Id, restricted_to_role_id = role })));
        return new CreatedKey(keyId, credential.Secret);
    }

    private static OperationContext Context(HttpContext http) =>
        new(http.Caller().AccountId, DigiCertStore.Api, Actor.Credential(http.Caller().CredentialId), RequestIds.Of(http));

    private static string Cut(string s, int max) => s.Length > max ? s[..max] : s;

    [GeneratedRegex(@"^[A-Za-z0-9@\-_+.]+$")]
    private static partial Regex Username();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex Email();
}

public sealed record AccessRole(int Id, string Name);

/// <summary>A user as user info shows it [doc: User info; a subset].</summary>
public sealed record UserObject(long Id, string Username, string FirstName, string LastName, string Email, string? JobTitle, string? Telephone,
    string Status, IReadOnlyList<AccessRole> AccessRoles, string Type, string DateCreated);

public sealed record UserList(IReadOnlyList<UserObject> Users, Page Page);

/// <summary>A created user <c>{id}</c>, or a created key or service user <c>{id, api_key}</c> [doc].</summary>
public sealed record CreatedKey(long Id, string? ApiKey);

public sealed record NewUserRole(int Id);

public sealed record NewUserBody(string? Username, string? FirstName, string? LastName, string Email, string? JobTitle, string? Telephone,
    IReadOnlyList<NewUserRole>? AccessRoles, bool? IsApiOnly, string? ApiName, int? RestrictedToRoleId);

public sealed record NewKeyBody(string Name, int? RestrictedToRoleId);

public sealed record UserRoleBody(IReadOnlyList<NewUserRole> AccessRoles);
