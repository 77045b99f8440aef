using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Core.Mail;

public sealed record Mail(long Id, string? AccountId, string To, string Subject, string Body, string? ResourceId, long CreatedAt);

/// <summary>
/// Outgoing mail is written to the mail_sink table inside the transaction that decides to send it, so a mail is
/// sent exactly when its decision commits. The operator reads the sink; an SMTP relay could drain it.
/// </summary>
public static class MailSink
{
    public static Task SendAsync(UnitOfWork uow, string to, string subject, string body, string? resourceId) =>
        uow.ExecuteAsync(
            """
            INSERT INTO mail_sink (account_id, to_address, subject, body, resource_id, created_at)
            VALUES (@AccountId, @to, @subject, @body, @resourceId, @Now)
            """,
            new { uow.Context.AccountId, to, subject, body, resourceId, Now = uow.NowMs });

    public static async Task<IReadOnlyList<Mail>> ListAsync(Database db, string? accountId, string? resourceId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<MailRow>(new CommandDefinition(
            """
            SELECT id, account_id, to_address, subject, body,
                   resource_id, created_at
            FROM mail_sink
            WHERE (@accountId IS NULL OR account_id = @accountId) AND (@resourceId IS NULL OR resource_id = @resourceId)
            ORDER BY id DESC LIMIT @limit
            """, new { accountId, resourceId, limit }, cancellationToken: ct));
        return rows.Select(r => new Mail(r.Id, r.AccountId, r.ToAddress, r.Subject, r.Body, r.ResourceId, r.CreatedAt)).ToList();
    }

    private sealed class MailRow
    {
        public long Id { get; set; }

        public string? AccountId { get; set; }

        public string ToAddress { get; set; } = "";

        public string Subject { get; set; } = "";

        public string Body { get; set; } = "";

        public string? ResourceId { get; set; }

        public long CreatedAt { get; set; }
    }
}
