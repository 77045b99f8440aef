using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Core.Accounts;

public sealed record Account(string Id, string Name, long CreatedAt);

public sealed record CredentialInfo(string Id, string? AccountId, string Api, string Mode, string Hint, long CreatedAt, long? RevokedAt);

public sealed record CreatedAccount(Account Account, IReadOnlyList<IssuedCredential> Credentials);

/// <summary>Accounts (tenants) and their credentials, which are kept only as SHA-256 hashes.</summary>
public sealed class AccountStore(Database db, Coordinator coordinator, CredentialKinds kinds, TimeProvider clock)
{
    public const string OperatorApi = "operator";

    public Task<CreatedAccount> CreateAccountAsync(string name, Actor actor, CancellationToken ct) =>
        coordinator.RunAsync(new OperationContext(null, "rescind", actor, null), async (uow, _) =>
        {
            var account = new Account(Ids.New("acct_", clock), name, uow.NowMs);
            await uow.ExecuteAsync("INSERT INTO accounts (id, name, created_at) VALUES (@Id, @Name, @CreatedAt)", account);
            await uow.RecordAsync(new Change("rescind", "account", account.Id, "account.created", null, "active"));
            var issued = new List<IssuedCredential>();
            foreach (var kind in kinds.All)
            {
                issued.Add(await InsertCredentialAsync(uow, account.Id, kind));
            }
            return new CreatedAccount(account, issued);
        }, ct);

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<AccountRow>(new CommandDefinition("SELECT id, name, created_at FROM accounts ORDER BY created_at, id", null, cancellationToken: ct));
        return rows.Select(r => new Account(r.Id, r.Name, r.CreatedAt)).ToList();
    }

    public async Task<Account?> FindAccountAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var r = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            "SELECT id, name, created_at FROM accounts WHERE id = @id", new { id }, cancellationToken: ct));
        return r is null ? null : new Account(r.Id, r.Name, r.CreatedAt);
    }

    /// <summary>Issues a further credential of a registered kind, or null when the account or kind is unknown.</summary>
    public async Task<IssuedCredential?> CreateCredentialAsync(string accountId, string api, string mode, Actor actor, CancellationToken ct)
    {
        var kind = kinds.Find(api, mode);
        if (kind is null || await FindAccountAsync(accountId, ct) is null)
        {
            return null;
        }
        return await coordinator.RunAsync(
            new OperationContext(accountId, "rescind", actor, null),
            (uow, _) => InsertCredentialAsync(uow, accountId, kind),
            ct);
    }

    /// <summary>Issues a credential of a registered kind inside the caller's transaction, so that an API can link the
    /// new key to its own records in the same commit (DigiCert's keys belong to a user).</summary>
    public Task<IssuedCredential> IssueCredentialAsync(UnitOfWork uow, string accountId, string api, string mode) =>
        InsertCredentialAsync(uow, accountId, kinds.Find(api, mode) ?? throw new InvalidOperationException($"no credential kind {api} {mode}"));

    /// <summary>Issues an operator credential (reaches every account through the operator API and console).</summary>
    public Task<IssuedCredential> CreateOperatorCredentialAsync(Actor actor, CancellationToken ct) =>
        coordinator.RunAsync(
            new OperationContext(null, "rescind", actor, null),
            (uow, _) => InsertCredentialAsync(uow, null, new CredentialKind(OperatorApi, "live", "op_", 40)),
            ct);

    /// <summary>Makes sure a configured operator secret is accepted (idempotent; the secret itself is not stored).</summary>
    public async Task EnsureOperatorSecretAsync(string secret, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO credentials (id, account_id, api, mode, hash, hint, created_at)
            VALUES (@Id, NULL, 'operator', 'live', @Hash, 'configured', @Now)
            ON CONFLICT (hash) DO NOTHING
            """, new { Id = Ids.New("cred_", clock), Hash = Ids.Sha256Hex(secret), Now = Time.ToUnixMs(clock.GetUtcNow()) }, cancellationToken: ct));
    }

    public async Task<bool> AnyOperatorCredentialAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM credentials WHERE api = 'operator' AND revoked_at IS NULL", null, cancellationToken: ct)) > 0;
    }

    public Task<bool> RevokeCredentialAsync(string credentialId, Actor actor, CancellationToken ct) =>
        coordinator.RunAsync(new OperationContext(null, "rescind", actor, null), async (uow, _) =>
        {
            var owner = await uow.QuerySingleOrDefaultAsync<string>(
                "SELECT COALESCE(account_id, '') FROM credentials WHERE id = @credentialId AND revoked_at IS NULL" + uow.Db.ForUpdate,
                new { credentialId });
            if (owner is null)
            {
                return false;
            }
            await uow.ExecuteExpectingAsync(1, "UPDATE credentials SET revoked_at = @Now WHERE id = @credentialId AND revoked_at IS NULL",
                new { credentialId, Now = uow.NowMs });
            await uow.RecordAsync(new Change("rescind", "credential", credentialId, "credential.revoked", "active", "revoked",
                Reason: owner.Length == 0 ? "operator credential" : $"account {owner}"));
            return true;
        }, ct);

    public async Task<IReadOnlyList<CredentialInfo>> ListCredentialsAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<CredentialRow>(new CommandDefinition(
            """
            SELECT id, account_id, api, mode, hint,
                   created_at, revoked_at
            FROM credentials WHERE account_id = @accountId ORDER BY created_at, id
            """, new { accountId }, cancellationToken: ct));
        return rows.Select(r => new CredentialInfo(r.Id, r.AccountId, r.Api, r.Mode, r.Hint, r.CreatedAt, r.RevokedAt)).ToList();
    }

    /// <summary>Resolves a presented secret for one API; null for unknown, revoked or another API's secret.</summary>
    public async Task<Principal?> AuthenticateAsync(string api, string secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 512)
        {
            return null;
        }
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CredentialRow>(new CommandDefinition(
            """
            SELECT id, account_id, api, mode, hint,
                   created_at, revoked_at
            FROM credentials WHERE hash = @Hash AND api = @api AND revoked_at IS NULL
            """, new { Hash = Ids.Sha256Hex(secret), api }, cancellationToken: ct));
        return row is null ? null : new Principal(row.Id, row.AccountId, row.Api, row.Mode);
    }

    private async Task<IssuedCredential> InsertCredentialAsync(UnitOfWork uow, string? accountId, CredentialKind kind)
    {
        var (api, mode, prefix) = (kind.Api, kind.Mode, kind.Prefix);
        var secret = kind.NewSecret();
        var id = Ids.New("cred_", clock);
        await uow.ExecuteAsync(
            """
            INSERT INTO credentials (id, account_id, api, mode, hash, hint, created_at)
            VALUES (@id, @accountId, @api, @mode, @Hash, @Hint, @Now)
            """,
            new { id, accountId, api, mode, Hash = Ids.Sha256Hex(secret), Hint = prefix + "…" + secret[^4..], Now = uow.NowMs });
        await uow.RecordAsync(new Change("rescind", "credential", id, "credential.created", null, "active", Reason: $"{api} {mode}"));
        return new IssuedCredential(id, api, mode, secret);
    }

    private sealed class AccountRow
    {
        public string Id { get; set; } = "";

        public string Name { get; set; } = "";

        public long CreatedAt { get; set; }
    }

    private sealed class CredentialRow
    {
        public string Id { get; set; } = "";

        public string? AccountId { get; set; }

        public string Api { get; set; } = "";

        public string Mode { get; set; } = "";

        public string Hint { get; set; } = "";

        public long CreatedAt { get; set; }

        public long? RevokedAt { get; set; }
    }
}
