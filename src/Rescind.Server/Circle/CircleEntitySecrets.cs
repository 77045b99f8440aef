using System.Security.Cryptography;
using Dapper;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.Circle;

/// <summary>What a presented <c>entitySecretCiphertext</c> turned out to be.</summary>
public enum CiphertextCheck
{
    Valid,
    NotRegistered,
    Invalid,
}

/// <summary>
/// The entity secret [doc, sdk]: one RSA-2048 key pair per account, made on first use; the client encrypts its
/// 32-byte secret with RSA-OAEP (SHA-256) under the public key; we decrypt, compare with the registered secret's
/// hash, and remember each ciphertext's hash so it is accepted once.
/// </summary>
public sealed class CircleEntitySecrets(Database db, Coordinator coordinator, TimeProvider clock, SecretBox box)
{
    private readonly PrivateKeys keys = new();

    /// <summary>
    /// Parsed private keys, kept per PEM text and lent out one request at a time. Parsing a key from PEM costs about
    /// 1 ms of CPU, twice the OAEP decryption itself, and every mutating Circle call decrypts a ciphertext (the
    /// cancel benchmark found it). A key pair never changes once made, so the PEM is the cache key; at most
    /// 1,024 keys are kept.
    /// </summary>
    private sealed class PrivateKeys
    {
        private const int IdlePerKey = 4;
        private const int MaxKeys = 1024;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentBag<RSA>> idle = new(StringComparer.Ordinal);

        public byte[] Decrypt(string pem, byte[] ciphertext)
        {
            if (idle.Count > MaxKeys && !idle.ContainsKey(pem))
            {
                idle.Clear(); // many accounts: start over rather than grow without bound (their instances are collected)
            }
            var bag = idle.GetOrAdd(pem, _ => []);
            if (!bag.TryTake(out var rsa))
            {
                rsa = RSA.Create();
                try
                {
                    rsa.ImportFromPem(pem);
                }
                catch
                {
                    rsa.Dispose();
                    throw;
                }
            }
            try
            {
                return rsa.Decrypt(ciphertext, RSAEncryptionPadding.OaepSHA256);
            }
            finally
            {
                if (bag.Count < IdlePerKey)
                {
                    bag.Add(rsa);
                }
                else
                {
                    rsa.Dispose();
                }
            }
        }
    }

    private sealed class EntityRow
    {
        public string PublicKey { get; set; } = "";

        public string PrivateKey { get; set; } = "";

        public string? SecretHash { get; set; }
    }

    public async Task<string> PublicKeyAsync(string accountId, CancellationToken ct) => (await EnsureAsync(accountId, ct)).PublicKey;

    private async Task<EntityRow> EnsureAsync(string accountId, CancellationToken ct)
    {
        var row = await CircleStore.GetAsync<EntityRow>(db,
            "SELECT public_key, private_key, secret_hash FROM circle_entities WHERE account_id = @accountId",
            new { accountId }, ct);
        if (row is not null)
        {
            row.PrivateKey = box.Open(row.PrivateKey);
            return row;
        }
        using var rsa = RSA.Create(2048);
        var fresh = new EntityRow { PublicKey = rsa.ExportSubjectPublicKeyInfoPem(), PrivateKey = rsa.ExportPkcs8PrivateKeyPem() };
        await using (var connection = await db.OpenAsync(ct))
        {
            // Two first readers may race: the first key pair written is the account's.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO circle_entities (account_id, public_key, private_key, created_at) VALUES (@accountId, @PublicKey, @PrivateKey, @Now)
                ON CONFLICT (account_id) DO NOTHING
                """, new { accountId, fresh.PublicKey, PrivateKey = box.Seal(fresh.PrivateKey), Now = Time.ToUnixMs(clock.GetUtcNow()) }, cancellationToken: ct));
        }
        var written = (await CircleStore.GetAsync<EntityRow>(db,
            "SELECT public_key, private_key, secret_hash FROM circle_entities WHERE account_id = @accountId",
            new { accountId }, ct))!;
        written.PrivateKey = box.Open(written.PrivateKey);
        return written;
    }

    /// <summary>Registers (or replaces) the account's entity secret: 64 hex characters (32 bytes) [doc].</summary>
    public async Task<bool> RegisterAsync(string accountId, string secretHex, Actor actor, CancellationToken ct)
    {
        if (secretHex.Length != 64 || !secretHex.All(char.IsAsciiHexDigit))
        {
            return false;
        }
        await EnsureAsync(accountId, ct);
        await coordinator.RunAsync(new OperationContext(accountId, CircleStore.Api, actor, null), async (uow, _) =>
        {
            await uow.ExecuteExpectingAsync(1, "UPDATE circle_entities SET secret_hash = @Hash, registered_at = @Now WHERE account_id = @accountId",
                new { accountId, Hash = Ids.Sha256Hex(secretHex.ToLowerInvariant()), Now = uow.NowMs });
            await uow.RecordAsync(new Change(CircleStore.Api, "circle.entity_secret", accountId, "register", null, "registered"));
            return true;
        }, ct);
        return true;
    }

    /// <summary>What registering a ciphertext through the API came to; the recovery file when it was registered.</summary>
    public sealed record Registration(int? Refused, string? RecoveryFile);

    /// <summary>
    /// The SDK's <c>registerEntitySecretCiphertext</c> [doc]: the secret arrives as a ciphertext under the account's
    /// public key and is registered once (a second registration is 156015 [doc code]; the operator call replaces it).
    /// The recovery file is the secret encrypted again under the account's key pair, base64 [ours: Rescind does not
    /// serve the reset that would read it].
    /// </summary>
    public async Task<Registration> RegisterCiphertextAsync(string accountId, string ciphertext, Actor actor, CancellationToken ct)
    {
        var row = await EnsureAsync(accountId, ct);
        if (row.SecretHash is not null)
        {
            return new(CircleEnvelope.EntitySecretAlreadySet, null);
        }
        if (DecryptHex(row, ciphertext) is not { } hex)
        {
            return new(CircleEnvelope.InvalidCiphertext, null);
        }
        using var rsa = RSA.Create();
        rsa.ImportFromPem(row.PublicKey);
        var recovery = Convert.ToBase64String(rsa.Encrypt(Convert.FromHexString(hex), RSAEncryptionPadding.OaepSHA256));
        var registered = await coordinator.RunAsync(new OperationContext(accountId, CircleStore.Api, actor, null), async (uow, _) =>
        {
            // Only the first registration wins a race; the loser is told the secret is set.
            if (await uow.ExecuteAsync("UPDATE circle_entities SET secret_hash = @Hash, registered_at = @Now WHERE account_id = @accountId AND secret_hash IS NULL",
                    new { accountId, Hash = Ids.Sha256Hex(hex), Now = uow.NowMs }) == 0)
            {
                return false;
            }
            await ConsumeAsync(uow, accountId, ciphertext);
            await uow.RecordAsync(new Change(CircleStore.Api, "circle.entity_secret", accountId, "register", null, "registered"));
            return true;
        }, ct);
        return registered ? new(null, recovery) : new(CircleEnvelope.EntitySecretAlreadySet, null);
    }

    /// <summary>Decrypts and compares; does not yet consume the ciphertext (see <see cref="ConsumeAsync"/>).</summary>
    public async Task<CiphertextCheck> CheckAsync(string accountId, string ciphertext, CancellationToken ct)
    {
        var row = await EnsureAsync(accountId, ct);
        if (row.SecretHash is null)
        {
            return CiphertextCheck.NotRegistered;
        }
        var hex = DecryptHex(row, ciphertext);
        return hex is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(Ids.Sha256Hex(hex)), System.Text.Encoding.ASCII.GetBytes(row.SecretHash))
            ? CiphertextCheck.Valid
            : CiphertextCheck.Invalid;
    }

    /// <summary>The secret a ciphertext carries, as 64 lower-case hex characters, or null when it does not decrypt to one.</summary>
    private string? DecryptHex(EntityRow row, string ciphertext)
    {
        byte[] plain;
        try
        {
            plain = keys.Decrypt(row.PrivateKey, Convert.FromBase64String(ciphertext));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return null;
        }
        // The SDK encrypts the 32 raw bytes; a client that encrypts the 64 hex characters is accepted too [ours].
        return plain.Length == 32 ? Convert.ToHexStringLower(plain)
            : plain.Length == 64 && plain.All(b => char.IsAsciiHexDigit((char)b)) ? System.Text.Encoding.ASCII.GetString(plain).ToLowerInvariant()
            : null;
    }

    /// <summary>Marks a ciphertext used inside the request's transaction; false when it was used before.</summary>
    public static async Task<bool> ConsumeAsync(UnitOfWork uow, string accountId, string ciphertext) =>
        await uow.ExecuteAsync(
            "INSERT INTO circle_ciphertexts (account_id, hash, used_at) VALUES (@accountId, @Hash, @Now) ON CONFLICT (account_id, hash) DO NOTHING",
            new { accountId, Hash = Ids.Sha256Hex(ciphertext), Now = uow.NowMs }) == 1;
}
