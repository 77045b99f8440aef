using Dapper;
using FluentMigrator;
using Rescind.Core;
using Rescind.Core.Accounts;
using Rescind.Core.Storage;

namespace Rescind.Server.OperatorConsole;

/// <summary>
/// Console sign-ins as server-side sessions: the cookie carries a session id, and a session ends for good when its
/// operator signs out (or its credential is revoked), so a copy of the cookie taken before sign-out opens nothing.
/// Only the id's hash is stored. Each sign-in deletes the sessions past their longest life (ended or not), so the
/// table holds at most a day of sign-ins.
/// </summary>
public static class ConsoleSessions
{
    public const string SessionClaim = "rescind:console_session";

    /// <summary>A session is never older than this, however it slides (the cookie's absolute bound).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    public static async Task<string> StartAsync(Database db, TimeProvider clock, string credentialId, CancellationToken ct)
    {
        var session = "cs_" + Ids.Secret(32);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM console_sessions WHERE created_at <= @oldest",
            new { oldest = Time.ToUnixMs(now - MaxAge) }, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO console_sessions (id_hash, credential_id, created_at) VALUES (@hash, @credentialId, @now)",
            new { hash = Ids.Sha256Hex(session), credentialId, now = Time.ToUnixMs(now) }, cancellationToken: ct));
        return session;
    }

    /// <summary>True while the session is neither ended nor too old and its operator credential is not revoked.</summary>
    public static async Task<bool> ActiveAsync(Database db, TimeProvider clock, string session, string credentialId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT COUNT(*) FROM console_sessions s JOIN credentials c ON c.id = s.credential_id
            WHERE s.id_hash = @hash AND s.credential_id = @credentialId AND s.ended_at IS NULL AND s.created_at > @oldest
              AND c.api = @api AND c.revoked_at IS NULL
            """,
            new
            {
                hash = Ids.Sha256Hex(session), credentialId, api = AccountStore.OperatorApi,
                oldest = Time.ToUnixMs(clock.GetUtcNow() - MaxAge),
            }, cancellationToken: ct)) > 0;
    }

    public static async Task EndAsync(Database db, TimeProvider clock, string session, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE console_sessions SET ended_at = @now WHERE id_hash = @hash AND ended_at IS NULL",
            new { hash = Ids.Sha256Hex(session), now = Time.ToUnixMs(clock.GetUtcNow()) }, cancellationToken: ct));
    }
}

[Migration(2026_12_04_1801, "console: server-side sessions, ended at sign-out")]
public sealed class ConsoleSessionsSchema : Migration
{
    public override void Up() =>
        Create.Table("console_sessions")
            .WithColumn("id_hash").AsString(64).PrimaryKey()
            .WithColumn("credential_id").AsString(100).NotNullable()
            .WithColumn("created_at").AsInt64().NotNullable().Indexed("ix_console_sessions_created")
            .WithColumn("ended_at").AsInt64().Nullable();

    public override void Down() => Delete.Table("console_sessions");
}
