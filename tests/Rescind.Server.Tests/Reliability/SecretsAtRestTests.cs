using Microsoft.Extensions.Options;
using Rescind.Core.Storage;
using Rescind.Server.Tests.Circle;
using Rescind.Server.Tests.Console;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

internal static class SecretKeys
{
    public const string Key = "q1cdp9Y0v4M0n2cS8QyZ3o1wE2l7bXz5f6h9JkLmNoP="; // 32 bytes in base64, for the suite only

    public static KeyValuePair<string, string>[] Settings => [new("Rescind:Secrets:Key", Key)];

    public static SecretBox Box(string? key) => new(Options.Create(new SecretsOptions { Key = key }));
}

public sealed class SealingSqliteServer : SqliteServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => SecretKeys.Settings;
}

public sealed class SealingPostgresServer : PostgresServer
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => SecretKeys.Settings;
}

/// <summary>With <c>Rescind:Secrets:Key</c> set, the Data Protection key ring and Circle's RSA private keys are stored
/// sealed (AES-256-GCM) and everything that reads them works as before; a wrong or missing key is refused.</summary>
public abstract class SecretsAtRestTests(RescindServer server)
{
    [Fact]
    public async Task Circle_private_keys_and_the_console_key_ring_are_stored_sealed_and_still_work()
    {
        var circle = await CircleClient.CreateAsync(server); // registers an entity secret: the RSA key pair is made
        var walletSet = await circle.WalletSetAsync(); // a mutating call: its ciphertext is decrypted with the private key
        Assert.False(string.IsNullOrEmpty(walletSet));
        using (var session = await ConsoleSession.SignInAsync(server)) // the cookie is protected with the key ring
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await session.GetAsync("/console")).Status);
        }

        Assert.Equal(0, await server.CountAsync($"SELECT COUNT(*) FROM circle_entities WHERE private_key NOT LIKE '{SecretBox.Prefix}%'"));
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM circle_entities WHERE private_key LIKE '%PRIVATE KEY%'"));
        Assert.True(await server.CountAsync("SELECT COUNT(*) FROM data_protection_keys") >= 1);
        Assert.Equal(0, await server.CountAsync($"SELECT COUNT(*) FROM data_protection_keys WHERE xml NOT LIKE '{SecretBox.Prefix}%'"));
        Assert.Equal(0, await server.CountAsync("SELECT COUNT(*) FROM data_protection_keys WHERE xml LIKE '%masterKey%'"));
    }

    [Fact]
    public async Task The_start_seals_what_was_stored_plain_and_refuses_a_wrong_or_missing_key()
    {
        await CircleClient.CreateAsync(server);
        var columns = new[] { new SealedColumn("circle_entities", "account_id", "private_key"), new SealedColumn("data_protection_keys", "name", "xml") };
        // A row written before the key was configured: stored as it is.
        await Audit.TamperAsync(server, "UPDATE circle_entities SET private_key = @plain WHERE account_id = (SELECT MIN(account_id) FROM circle_entities)",
            new { plain = "-----BEGIN PRIVATE KEY-----\nplain\n-----END PRIVATE KEY-----" });
        var box = SecretKeys.Box(SecretKeys.Key);
        Assert.Equal(1, await box.SealExistingAsync(server.Db, columns, CancellationToken.None));
        Assert.Equal(0, await server.CountAsync($"SELECT COUNT(*) FROM circle_entities WHERE private_key NOT LIKE '{SecretBox.Prefix}%'"));
        Assert.Equal(0, await box.SealExistingAsync(server.Db, columns, CancellationToken.None)); // nothing left to seal

        var other = SecretKeys.Box(Convert.ToBase64String(new byte[32]));
        await Assert.ThrowsAsync<SealedSecretException>(() => other.SealExistingAsync(server.Db, columns, CancellationToken.None));
        await Assert.ThrowsAsync<SealedSecretException>(() => SecretKeys.Box(null).SealExistingAsync(server.Db, columns, CancellationToken.None));
        Assert.NotNull(SecretKeys.Box("too short").Problem);
    }
}

[Trait("Category", "Sqlite")]
public sealed class SecretsAtRestTests_Sqlite(SealingSqliteServer server) : SecretsAtRestTests(server), IClassFixture<SealingSqliteServer>;

[Trait("Category", "Postgres")]
public sealed class SecretsAtRestTests_Postgres(SealingPostgresServer server) : SecretsAtRestTests(server), IClassFixture<SealingPostgresServer>;
