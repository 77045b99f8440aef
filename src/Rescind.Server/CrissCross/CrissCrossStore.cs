using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.CrissCross;

public sealed class SessionRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string MerchantReference { get; set; } = "";

    public long Amount { get; set; }

    public string Currency { get; set; } = "";

    public string PayerDetails { get; set; } = "{}";

    public string? RedirectUrl { get; set; }

    public string Status { get; set; } = "";

    public long ExpiresAt { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public int Version { get; set; }

    public string? CancelReason { get; set; }

    public long? CancelRequestedAt { get; set; }

    public long? CancelledAt { get; set; }

    public string? CancelledTransactionIds { get; set; }

    public string? MerchantId { get; set; }

    public string? IntegrationType { get; set; }

    public string? PaymentAttributes { get; set; }

    public string? PayerId { get; set; }
}

public sealed class TransactionRow
{
    public string Id { get; set; } = "";

    public string SessionId { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Provider { get; set; } = "";

    public string PaymentMethod { get; set; } = "{}";

    public long Amount { get; set; }

    public string Currency { get; set; } = "";

    public string Status { get; set; } = "";

    public int LateCompletion { get; set; }

    public long RefundedAmount { get; set; }

    public long? TimeoutAt { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public int Version { get; set; }

    public string MerchantReference { get; set; } = "";

    public string? Attributes { get; set; }

    public string? PaymentAttributes { get; set; }
}

/// <summary>A refund of one transaction: PENDING until the provider answers, then SUCCEEDED or FAILED [doc].</summary>
public sealed class RefundRow
{
    public string Id { get; set; } = "";

    public string TransactionId { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string? SessionId { get; set; }

    public long Amount { get; set; }

    public string? Currency { get; set; }

    public string? Reason { get; set; }

    public string Status { get; set; } = "";

    public long CreatedAt { get; set; }

    public long? UpdatedAt { get; set; }
}

/// <summary>CrissCross's SQL, explicit about every lock and condition. Locks go parent first: the session, then
/// its transactions in id order.</summary>
public static class CrissCrossStore
{
    public const string Api = "crisscross";
    public const string SessionType = "checkout.session";
    public const string TransactionType = "payment.transaction";
    public const string RefundType = "payment.refund";

    private const string SessionColumns =
        """
        id, account_id, merchant_reference, amount, currency,
        payer_details, redirect_url, status, expires_at,
        created_at, updated_at, version, cancel_reason,
        cancel_requested_at, cancelled_at, cancelled_transaction_ids,
        merchant_id, integration_type, payment_attributes, payer_id
        """;

    private const string TransactionColumns =
        """
        t.id, t.session_id, t.account_id, t.provider,
        t.payment_method, t.amount, t.currency, t.status,
        t.late_completion, t.refunded_amount, t.timeout_at,
        t.created_at, t.updated_at, t.version, s.merchant_reference,
        t.attributes, s.payment_attributes
        """;

    private const string TransactionFrom = "FROM crisscross_transactions t JOIN crisscross_sessions s ON s.id = t.session_id";

    private static string Owner(string? accountId, string column = "account_id") => accountId is null ? "" : $" AND {column} = @accountId";

    /// <summary>Reads and row-locks a session of the account (any account when <paramref name="accountId"/> is null).</summary>
    public static Task<SessionRow?> LockSessionAsync(UnitOfWork uow, string? accountId, string id) =>
        uow.QuerySingleOrDefaultAsync<SessionRow>(
            $"SELECT {SessionColumns} FROM crisscross_sessions WHERE id = @id{Owner(accountId)}" + uow.Db.ForUpdate,
            new { id, accountId });

    /// <summary>Every transaction of a locked session, row-locked in id order.</summary>
    public static async Task<List<TransactionRow>> LockTransactionsAsync(UnitOfWork uow, string sessionId) =>
        (await uow.QueryAsync<TransactionRow>(
            $"SELECT {TransactionColumns} {TransactionFrom} WHERE t.session_id = @sessionId ORDER BY t.id"
            + uow.Db.ForUpdateOf("t"),
            new { sessionId })).ToList();

    /// <summary>
    /// A session of the account and all its transactions, both row-locked, parent first, in one round trip: the
    /// two statements run in order in one command, so the session's lock is taken before its transactions'.
    /// </summary>
    public static async Task<(SessionRow? Session, List<TransactionRow> Transactions)> LockSessionWithTransactionsAsync(UnitOfWork uow, string? accountId, string id)
    {
        if (uow.Db.Kind != DatabaseKind.Postgres)
        {
            var session = await LockSessionAsync(uow, accountId, id);
            return (session, session is null ? [] : await LockTransactionsAsync(uow, session.Id));
        }
        await using var results = await uow.QueryMultipleAsync(
            $"""
            SELECT {SessionColumns} FROM crisscross_sessions WHERE id = @id{Owner(accountId)} FOR UPDATE;
            SELECT {TransactionColumns} {TransactionFrom} WHERE t.session_id = @id{Owner(accountId, "s.account_id")} ORDER BY t.id FOR UPDATE OF t
            """,
            new { id, accountId });
        var row = await results.ReadSingleOrDefaultAsync<SessionRow>();
        var transactions = (await results.ReadAsync<TransactionRow>()).ToList();
        return (row, row is null ? [] : transactions);
    }

    /// <summary>The session a transaction belongs to, read without a lock so the caller can lock parent first.</summary>
    public static Task<TransactionRow?> PeekTransactionAsync(UnitOfWork uow, string? accountId, string id) =>
        uow.QuerySingleOrDefaultAsync<TransactionRow>(
            $"SELECT {TransactionColumns} {TransactionFrom} WHERE t.id = @id{Owner(accountId, "t.account_id")}", new { id, accountId });

    /// <summary>One transaction of the account, locked parent first (its session, then the session's transactions
    /// in id order, as every writer takes them); null when the account has no such transaction.</summary>
    public static async Task<TransactionRow?> LockTransactionAsync(UnitOfWork uow, string? accountId, string id)
    {
        var peek = await PeekTransactionAsync(uow, accountId, id);
        if (peek is null)
        {
            return null;
        }
        await LockSessionAsync(uow, null, peek.SessionId);
        return (await LockTransactionsAsync(uow, peek.SessionId)).Single(t => t.Id == id);
    }

    public static async Task<SessionRow?> GetSessionAsync(Database db, string? accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SessionColumns} FROM crisscross_sessions WHERE id = @id{Owner(accountId)}", new { id, accountId }, cancellationToken: ct));
    }

    public static async Task<TransactionRow?> GetTransactionAsync(Database db, string? accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TransactionRow>(new CommandDefinition(
            $"SELECT {TransactionColumns} {TransactionFrom} WHERE t.id = @id{Owner(accountId, "t.account_id")}", new { id, accountId }, cancellationToken: ct));
    }

    public static async Task<IReadOnlyList<TransactionRow>> TransactionsOfAsync(Database db, IReadOnlyList<string> sessionIds, CancellationToken ct)
    {
        if (sessionIds.Count == 0)
        {
            return [];
        }
        await using var connection = await db.OpenAsync(ct);
        var filter = db.AnyOf("t.session_id", "ids");
        return (await connection.QueryAsync<TransactionRow>(new CommandDefinition(
            $"SELECT {TransactionColumns} {TransactionFrom} WHERE {filter} ORDER BY t.id", new { ids = sessionIds.ToArray() }, cancellationToken: ct))).ToList();
    }

    /// <summary>Newest first; the cursor is the last id of the previous page; one extra row tells whether there is more.</summary>
    public static async Task<IReadOnlyList<SessionRow>> ListSessionsAsync(
        Database db, string? accountId, string? status, (long CreatedAt, string Id)? after, int limit, long now, CancellationToken ct, string? search = null)
    {
        var where = new List<string> { "1 = 1" + Owner(accountId) };
        if (search is not null)
        {
            where.Add("(id = @search OR merchant_reference = @search)");
        }
        // An open session past expiresAt already shows as expired, before the expiry job writes it.
        switch (status)
        {
            case CrissCrossRules.Open:
                where.Add("status = 'OPEN' AND expires_at > @now");
                break;
            case CrissCrossRules.Expired:
                where.Add("(status = 'EXPIRED' OR (status = 'OPEN' AND expires_at <= @now))");
                break;
            case not null:
                where.Add("status = @status");
                break;
        }
        if (after is not null)
        {
            where.Add("(created_at < @afterCreatedAt OR (created_at = @afterCreatedAt AND id < @afterId))");
        }
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SessionColumns} FROM crisscross_sessions WHERE {string.Join(" AND ", where)} ORDER BY created_at DESC, id DESC LIMIT @take", new { accountId, status, now, search, afterCreatedAt = after?.CreatedAt, afterId = after?.Id, take = limit + 1 }, cancellationToken: ct))).ToList();
    }

    public static async Task<(long CreatedAt, string Id)?> CursorAsync(Database db, string? accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var createdAt = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT created_at FROM crisscross_sessions WHERE id = @id{Owner(accountId)}", new { id, accountId }, cancellationToken: ct));
        return createdAt is { } c ? (c, id) : null;
    }

    public sealed record ReasonCount(string? Reason, long Sessions, long Cancelled, long PendingCancellation);

    /// <summary>Sessions whose cancel was accepted in [from, to), grouped by the reason given.</summary>
    public static async Task<IReadOnlyList<ReasonCount>> CancellationsByReasonAsync(Database db, string accountId, long? from, long? to, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<ReasonRow>(new CommandDefinition(
            """
            SELECT cancel_reason AS Reason, COUNT(*) AS Sessions,
                   SUM(CASE WHEN status = 'CANCELLED' THEN 1 ELSE 0 END) AS Cancelled,
                   SUM(CASE WHEN status = 'PENDING_CANCELLATION' THEN 1 ELSE 0 END) AS PendingCancellation
            FROM crisscross_sessions
            WHERE account_id = @accountId AND cancel_requested_at IS NOT NULL
              AND (@from IS NULL OR cancel_requested_at >= @from) AND (@to IS NULL OR cancel_requested_at < @to)
            GROUP BY cancel_reason
            ORDER BY COUNT(*) DESC, cancel_reason
            """, new { accountId, from, to }, cancellationToken: ct));
        return rows.Select(r => new ReasonCount(r.Reason, r.Sessions, r.Cancelled, r.PendingCancellation)).ToList();
    }

    public static Task InsertSessionAsync(UnitOfWork uow, SessionRow row) => uow.ExecuteAsync(
        """
        INSERT INTO crisscross_sessions (id, account_id, merchant_reference, amount, currency, payer_details, redirect_url,
                                         status, expires_at, created_at, updated_at, version,
                                         merchant_id, integration_type, payment_attributes, payer_id)
        VALUES (@Id, @AccountId, @MerchantReference, @Amount, @Currency, @PayerDetails, @RedirectUrl,
                @Status, @ExpiresAt, @CreatedAt, @UpdatedAt, @Version,
                @MerchantId, @IntegrationType, @PaymentAttributes, @PayerId)
        """,
        row);

    public static Task InsertTransactionAsync(UnitOfWork uow, TransactionRow row) => uow.ExecuteAsync(
        """
        INSERT INTO crisscross_transactions (id, session_id, account_id, provider, payment_method, amount, currency, status,
                                             late_completion, refunded_amount, timeout_at, created_at, updated_at, version, attributes)
        VALUES (@Id, @SessionId, @AccountId, @Provider, @PaymentMethod, @Amount, @Currency, @Status,
                @LateCompletion, @RefundedAmount, @TimeoutAt, @CreatedAt, @UpdatedAt, @Version, @Attributes)
        """,
        row);

    /// <summary>The session's conditional update: its status and the cancellation columns, on the version read.</summary>
    /// <remarks>Every caller holds the session locked and keeps it in memory afterwards: the write is deferred to
    /// the commit's batch on PostgreSQL (<see cref="UnitOfWork.DeferExpectingAsync"/>).</remarks>
    public static async Task UpdateSessionAsync(UnitOfWork uow, SessionRow row, string from)
    {
        await uow.DeferExpectingAsync(1,
            """
            UPDATE crisscross_sessions SET status = @Status, updated_at = @UpdatedAt, version = version + 1,
                   cancel_reason = @CancelReason, cancel_requested_at = @CancelRequestedAt, cancelled_at = @CancelledAt,
                   cancelled_transaction_ids = @CancelledTransactionIds
            WHERE id = @Id AND version = @Version AND status = @from
            """,
            new { row.Status, row.UpdatedAt, row.CancelReason, row.CancelRequestedAt, row.CancelledAt, row.CancelledTransactionIds, row.Id, row.Version, from });
        row.Version++;
    }

    /// <summary>The transaction's conditional update, on the version read.</summary>
    /// <remarks>As <see cref="UpdateSessionAsync"/>: the transaction is locked (parent first) and kept in memory.</remarks>
    public static async Task UpdateTransactionAsync(UnitOfWork uow, TransactionRow row, string from)
    {
        await uow.DeferExpectingAsync(1,
            """
            UPDATE crisscross_transactions SET status = @Status, updated_at = @UpdatedAt, version = version + 1,
                   late_completion = @LateCompletion, refunded_amount = @RefundedAmount
            WHERE id = @Id AND version = @Version AND status = @from
            """,
            new { row.Status, row.UpdatedAt, row.LateCompletion, row.RefundedAmount, row.Id, row.Version, from });
        row.Version++;
    }

    /// <summary>Keeps the authorisation the merchant submitted with the time it was submitted (the transaction is
    /// locked; its state moves in <see cref="UpdateTransactionAsync"/>).</summary>
    public static Task StoreAuthorizationAsync(UnitOfWork uow, string transactionId, string? authorizationData) => uow.ExecuteAsync(
        "UPDATE crisscross_transactions SET authorization_data = @authorizationData, authorized_at = @Now WHERE id = @transactionId",
        new { transactionId, authorizationData, Now = uow.NowMs });

    private const string RefundColumns = "id, transaction_id, account_id, session_id, amount, currency, reason, status, created_at, updated_at";

    /// <summary>A refund of the account as the vendor returns it: refunds made before they were asynchronous have no
    /// session or currency of their own, so their transaction's are read.</summary>
    public static async Task<RefundRow?> GetRefundAsync(Database db, string accountId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<RefundRow>(new CommandDefinition(
            """
            SELECT r.id, r.transaction_id, r.account_id, COALESCE(r.session_id, t.session_id) AS session_id, r.amount,
                   COALESCE(r.currency, t.currency) AS currency, r.reason, r.status, r.created_at, r.updated_at
            FROM crisscross_refunds r JOIN crisscross_transactions t ON t.id = r.transaction_id
            WHERE r.id = @id AND r.account_id = @accountId
            """,
            new { id, accountId }, cancellationToken: ct));
    }

    public static Task InsertRefundAsync(UnitOfWork uow, RefundRow r) => uow.ExecuteAsync(
        $"INSERT INTO crisscross_refunds ({RefundColumns}) VALUES (@Id, @TransactionId, @AccountId, @SessionId, @Amount, @Currency, @Reason, @Status, @CreatedAt, @UpdatedAt)",
        r);

    /// <summary>A refund, read in the caller's transaction (its transaction's lock guards it).</summary>
    public static Task<RefundRow?> GetRefundAsync(UnitOfWork uow, string id) =>
        uow.QuerySingleOrDefaultAsync<RefundRow>($"SELECT {RefundColumns} FROM crisscross_refunds WHERE id = @id", new { id });

    /// <summary>What a transaction's pending refunds hold back from its refundable balance.</summary>
    public static Task<long> PendingRefundsAsync(UnitOfWork uow, string transactionId) =>
        uow.QuerySingleOrDefaultAsync<long>("SELECT COALESCE(SUM(amount), 0) FROM crisscross_refunds WHERE transaction_id = @transactionId AND status = 'PENDING'",
            new { transactionId });

    public static Task SettleRefundAsync(UnitOfWork uow, RefundRow r) => uow.ExecuteAsync(
        "UPDATE crisscross_refunds SET status = @Status, updated_at = @UpdatedAt WHERE id = @Id AND status = 'PENDING'", r);

    public static async Task<string?> RefundAccountAsync(Database db, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT account_id FROM crisscross_refunds WHERE id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>Pending refunds made before <paramref name="before"/>, oldest first (the settlement job's work).</summary>
    public static async Task<IReadOnlyList<string>> DueRefundsAsync(Database db, long before, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM crisscross_refunds WHERE status = 'PENDING' AND created_at <= @before ORDER BY created_at, id LIMIT @limit",
            new { before, limit }, cancellationToken: ct))).ToList();
    }

    public static Task InsertRefundAsync(UnitOfWork uow, string id, TransactionRow tx, long amount) => uow.ExecuteAsync(
        "INSERT INTO crisscross_refunds (id, transaction_id, account_id, amount, created_at) VALUES (@id, @TxId, @AccountId, @amount, @Now)",
        new { id, TxId = tx.Id, tx.AccountId, amount, Now = uow.NowMs });

    private sealed class ReasonRow
    {
        public string? Reason { get; set; }

        public long Sessions { get; set; }

        public long Cancelled { get; set; }

        public long PendingCancellation { get; set; }
    }
}
