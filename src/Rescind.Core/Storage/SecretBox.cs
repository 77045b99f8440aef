using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;

namespace Rescind.Core.Storage;

public sealed class SecretsOptions
{
    /// <summary>32 random bytes in base64 (<c>openssl rand -base64 32</c>), from configuration or the environment
    /// (<c>Rescind__Secrets__Key</c>). Set, the secrets Rescind must be able to read back (the Data Protection key
    /// ring, Circle's RSA private keys) are stored sealed with it; unset, they are stored as they are.</summary>
    public string? Key { get; set; }
}

/// <summary>A column holding a secret that is stored sealed when a key is configured.</summary>
public sealed record SealedColumn(string Table, string KeyColumn, string Column);

/// <summary>A sealed value that cannot be opened: no key is configured, or another one sealed it.</summary>
public sealed class SealedSecretException(string message) : Exception(message);

/// <summary>
/// Encryption at rest of the secrets Rescind has to read back (hashes suffice for every credential): AES-256-GCM
/// under <see cref="SecretsOptions.Key"/>, stored as <c>sealed:v1:</c> + base64(nonce | tag | ciphertext). A value
/// without the prefix is read as it is (rows written before a key was configured; the start seals them).
/// </summary>
public sealed class SecretBox
{
    public const string Prefix = "sealed:v1:";

    private readonly byte[]? key;

    public SecretBox(IOptions<SecretsOptions> options)
    {
        if (options.Value.Key is not { Length: > 0 } configured)
        {
            return;
        }
        byte[]? bytes = null;
        try
        {
            bytes = Convert.FromBase64String(configured.Trim());
        }
        catch (FormatException)
        {
        }
        if (bytes is not { Length: 32 })
        {
            Problem = "Rescind:Secrets:Key must be 32 bytes in base64 (make one with `openssl rand -base64 32`)";
            return;
        }
        key = bytes;
    }

    /// <summary>Why the configured key is unusable (the start refuses it), or null.</summary>
    public string? Problem { get; }

    public bool Enabled => key is not null;

    public string Seal(string plain)
    {
        if (key is null)
        {
            return plain;
        }
        var data = Encoding.UTF8.GetBytes(plain);
        var sealedBytes = new byte[12 + 16 + data.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, data, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16));
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    public string Open(string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return stored;
        }
        if (key is null)
        {
            throw new SealedSecretException("a secret in the database is sealed, and Rescind:Secrets:Key is not set");
        }
        try
        {
            var sealedBytes = Convert.FromBase64String(stored[Prefix.Length..]);
            var plain = new byte[sealedBytes.Length - 28];
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plain);
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or OverflowException or ArgumentException)
        {
            throw new SealedSecretException("a secret in the database cannot be opened with Rescind:Secrets:Key (it was sealed with another key)");
        }
    }

    /// <summary>
    /// At start: with a key, seals every value still stored as it is, then opens one sealed value of each column, so
    /// that a wrong key stops the start instead of failing requests later; without one, refuses a database that holds
    /// sealed values. Returns how many values it sealed. Safe on several nodes (each update is conditional).
    /// </summary>
    public async Task<int> SealExistingAsync(Database db, IEnumerable<SealedColumn> columns, CancellationToken ct)
    {
        var sealedNow = 0;
        await using var connection = await db.OpenAsync(ct);
        foreach (var c in columns)
        {
            if (key is null)
            {
                var found = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    $"SELECT COUNT(*) FROM {c.Table} WHERE {c.Column} LIKE @prefix", new { prefix = Prefix + "%" }, cancellationToken: ct));
                if (found > 0)
                {
                    throw new SealedSecretException($"{c.Table} holds sealed secrets, and Rescind:Secrets:Key is not set");
                }
                continue;
            }
            var plain = await connection.QueryAsync<(string Key, string Value)>(new CommandDefinition(
                $"SELECT {c.KeyColumn}, {c.Column} FROM {c.Table} WHERE {c.Column} NOT LIKE @prefix", new { prefix = Prefix + "%" }, cancellationToken: ct));
            foreach (var (k, value) in plain)
            {
                sealedNow += await connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE {c.Table} SET {c.Column} = @sealedValue WHERE {c.KeyColumn} = @k AND {c.Column} = @value",
                    new { sealedValue = Seal(value), k, value }, cancellationToken: ct));
            }
            var sample = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
                $"SELECT {c.Column} FROM {c.Table} WHERE {c.Column} LIKE @prefix ORDER BY {c.KeyColumn} LIMIT 1", new { prefix = Prefix + "%" }, cancellationToken: ct));
            if (sample is not null)
            {
                Open(sample);
            }
        }
        return sealedNow;
    }
}
