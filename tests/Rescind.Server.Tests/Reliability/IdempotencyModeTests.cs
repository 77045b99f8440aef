using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>An idempotency key is scoped to the credential's mode: the same key with a test key never replays the
/// answer a live key got (live customer data included), nor the other way round.</summary>
public abstract class IdempotencyModeTests(RescindServer server)
{
    [Fact]
    public async Task A_key_used_live_and_then_in_test_mode_is_two_keys_each_replaying_its_own_answer()
    {
        var t = await Tenant.CreateAsync(server);
        var body = new { name = "Live Buyer", email = "live@example.com" };
        var key = "mode-" + Guid.NewGuid();
        Dictionary<string, string?> Headers(string secret) => new() { ["Authorization"] = "Bearer " + secret, ["Idempotency-Key"] = key };

        var live = await t.Numeral(HttpMethod.Post, "/tax/customers", body, Headers(t.LiveKey));
        var test = await t.Numeral(HttpMethod.Post, "/tax/customers", body, Headers(t.TestKey));
        var liveAgain = await t.Numeral(HttpMethod.Post, "/tax/customers", body, Headers(t.LiveKey));
        var testAgain = await t.Numeral(HttpMethod.Post, "/tax/customers", body, Headers(t.TestKey));

        Assert.True(live.Code == 200, live.Body);
        Assert.True(test.Code == 200, test.Body);
        Assert.NotEqual(live.Str("id"), test.Str("id")); // the test call did its own work
        Assert.Equal(live.Body, liveAgain.Body);
        Assert.Equal(test.Body, testAgain.Body);
        Assert.Equal(2, await server.CountAsync("SELECT COUNT(*) FROM idempotency WHERE account_id = @AccountId AND key = @key", new { t.AccountId, key }));
        Assert.Equal(1, await server.CountAsync("SELECT COUNT(*) FROM idempotency WHERE account_id = @AccountId AND key = @key AND mode = 'test'", new { t.AccountId, key }));
    }
}

[Trait("Category", "Sqlite")]
public sealed class IdempotencyModeTests_Sqlite(SqliteServer server) : IdempotencyModeTests(server), IClassFixture<SqliteServer>;

[Trait("Category", "Postgres")]
public sealed class IdempotencyModeTests_Postgres(PostgresServer server) : IdempotencyModeTests(server), IClassFixture<PostgresServer>;
