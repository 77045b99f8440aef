using Dapper;
using Rescind.Core.Coordination;
using Rescind.Core.Storage;

namespace Rescind.Server.Circle;

public sealed class WalletSetRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string? Name { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

public sealed class WalletRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string WalletSetId { get; set; } = "";

    public string Blockchain { get; set; } = "";

    public string Address { get; set; } = "";

    public string State { get; set; } = "LIVE";

    public long NextNonce { get; set; }

    public string? Name { get; set; }

    public string? RefId { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

public sealed class TransactionRow
{
    public string Id { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Mode { get; set; } = "";

    public string WalletId { get; set; } = "";

    public string Blockchain { get; set; } = "";

    public string State { get; set; } = "";

    public string SourceAddress { get; set; } = "";

    public string DestinationAddress { get; set; } = "";

    public string TokenId { get; set; } = "";

    public long Amount { get; set; }

    public string? FeeLevel { get; set; }

    public long GasLimit { get; set; }

    public long MaxFee { get; set; }

    public long PriorityFee { get; set; }

    public long? ReplacementFee { get; set; }

    public long? NetworkFee { get; set; }

    public string? TxHash { get; set; }

    public long? Nonce { get; set; }

    public long? BlockHeight { get; set; }

    public string? RefId { get; set; }

    public string? ErrorReason { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? FirstConfirmAt { get; set; }

    public int Version { get; set; }
}

public sealed class ChainRow
{
    public string AccountId { get; set; } = "";

    public string Blockchain { get; set; } = "";

    public long Height { get; set; }

    public long BaseFee { get; set; }

    public long NextBlockAt { get; set; }
}

/// <summary>Circle's SQL, explicit about every lock and condition. Lock order: chain, wallet, transaction, balance.</summary>
public static class CircleStore
{
    public const string Api = "circle";
    public const string TransactionType = "circle.transaction";
    public const string WalletType = "circle.wallet";
    public const string WalletSetType = "circle.wallet_set";

    /// <summary>Not stored: tokens are a fixed table; names a missing token in an outcome.</summary>
    public const string TokenType = "circle.token";

    public const string WalletSetColumns =
        "id, account_id, mode, name, created_at, updated_at";

    public const string WalletColumns =
        """
        id, account_id, mode, wallet_set_id, blockchain,
        address, state, next_nonce, name, ref_id, created_at, updated_at
        """;

    public const string TransactionColumns =
        """
        id, account_id, mode, wallet_id, blockchain, state,
        source_address, destination_address, token_id, amount,
        fee_level, gas_limit, max_fee, priority_fee,
        replacement_fee, network_fee, tx_hash, nonce,
        block_height, ref_id, error_reason, created_at,
        updated_at, first_confirm_at, version
        """;

    public const string ChainColumns =
        "account_id, blockchain, height, base_fee, next_block_at";

    public static async Task<T?> GetAsync<T>(Database db, string sql, object args, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct));
    }

    public static async Task<IReadOnlyList<T>> ListAsync<T>(Database db, string sql, object args, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct))).ToList();
    }

    public static Task<WalletRow?> GetWalletAsync(Database db, string accountId, string mode, string id, CancellationToken ct) =>
        GetAsync<WalletRow>(db, $"SELECT {WalletColumns} FROM circle_wallets WHERE id = @id AND account_id = @accountId AND mode = @mode", new { id, accountId, mode }, ct);

    public static Task<WalletRow?> WalletByAddressAsync(Database db, string accountId, string mode, string blockchain, string address, CancellationToken ct) =>
        GetAsync<WalletRow>(db, $"SELECT {WalletColumns} FROM circle_wallets WHERE account_id = @accountId AND mode = @mode AND blockchain = @blockchain AND address = @address",
            new { accountId, mode, blockchain, address }, ct);

    /// <summary>The chain's base fee now (gwei), without holding it: the chain's own until its first block.</summary>
    public static async Task<long> BaseFeeAsync(Database db, string accountId, string blockchain, CancellationToken ct) =>
        await GetAsync<long?>(db, "SELECT base_fee FROM circle_chains WHERE account_id = @accountId AND blockchain = @blockchain", new { accountId, blockchain }, ct)
            ?? CircleRules.FindChain(blockchain)!.BaseFeeGwei;

    public static Task<TransactionRow?> GetTransactionAsync(Database db, string? accountId, string? mode, string id, CancellationToken ct) =>
        GetAsync<TransactionRow>(db,
            $"SELECT {TransactionColumns} FROM circle_transactions WHERE id = @id AND (@accountId IS NULL OR account_id = @accountId) AND (@mode IS NULL OR mode = @mode)",
            new { id, accountId, mode }, ct);

    /// <summary>The account's simulated chain, created on first use at height 0 with the chain's base fee.</summary>
    /// <remarks>Held exclusively: on PostgreSQL with the chain's advisory lock (see <see cref="ShareChainAsync"/>),
    /// taken before anything else so that the transaction's time (read at its first use, in the first-use insert)
    /// is read once the lock is held, and the row lock.</remarks>
    public static async Task<ChainRow> LockChainAsync(UnitOfWork uow, string accountId, string blockchain)
    {
        var chain = CircleRules.FindChain(blockchain)!;
        if (uow.Db.Kind == DatabaseKind.Postgres)
        {
            await uow.ExecuteAsync($"SELECT pg_advisory_xact_lock({ChainLockKey})", new { accountId, blockchain });
        }
        await uow.ExecuteAsync(
            """
            INSERT INTO circle_chains (account_id, blockchain, height, base_fee, next_block_at)
            VALUES (@accountId, @blockchain, 0, @BaseFeeGwei, @Next)
            ON CONFLICT (account_id, blockchain) DO NOTHING
            """,
            new { accountId, blockchain, chain.BaseFeeGwei, Next = uow.NowMs + chain.BlockSeconds * 1000L });
        return (await uow.QuerySingleOrDefaultAsync<ChainRow>(
            $"SELECT {ChainColumns} FROM circle_chains WHERE account_id = @accountId AND blockchain = @blockchain" + uow.Db.ForUpdate,
            new { accountId, blockchain }))!;
    }

    /// <summary>
    /// The chain of an existing transaction, held shared: a cancel or an accelerate acts on one transaction (whose
    /// own row lock orders it against anything else on that transaction) and reads the chain's base fee, so it must
    /// exclude a block being mined (<see cref="LockChainAsync"/>, exclusive) but not the account's other cancels.
    /// Taking the chain row exclusively queued every cancel of an account's chain behind one another, and a shared
    /// row lock (<c>FOR SHARE</c>) made PostgreSQL write a new multixact into the row for every holder; so on
    /// PostgreSQL the chain is held with a transaction-scoped advisory lock, shared here and exclusive in
    /// <see cref="LockChainAsync"/>, taken before any row lock everywhere. SQLite's single writer needs none.
    /// </summary>
    public static async Task<ChainRow> ShareChainAsync(UnitOfWork uow, string accountId, string blockchain)
    {
        if (uow.Db.Kind == DatabaseKind.Postgres)
        {
            await uow.ExecuteAsync($"SELECT pg_advisory_xact_lock_shared({ChainLockKey})", new { accountId, blockchain });
        }
        return await uow.QuerySingleOrDefaultAsync<ChainRow>(
            $"SELECT {ChainColumns} FROM circle_chains WHERE account_id = @accountId AND blockchain = @blockchain",
            new { accountId, blockchain })
            ?? throw new InvalidOperationException($"no chain row for {blockchain} though a transaction on it exists");
    }

    /// <summary>The advisory lock key of an account's chain (a 64-bit hash; a collision only makes two chains wait
    /// for each other).</summary>
    private const string ChainLockKey = "hashtextextended(@accountId || '/' || @blockchain, 0)";

    public static Task<WalletRow?> LockWalletAsync(UnitOfWork uow, string accountId, string mode, string id) =>
        uow.QuerySingleOrDefaultAsync<WalletRow>(
            $"SELECT {WalletColumns} FROM circle_wallets WHERE id = @id AND account_id = @accountId AND mode = @mode" + uow.Db.ForUpdate,
            new { id, accountId, mode });

    public static Task<TransactionRow?> LockTransactionAsync(UnitOfWork uow, string id) =>
        uow.QuerySingleOrDefaultAsync<TransactionRow>(
            $"SELECT {TransactionColumns} FROM circle_transactions WHERE id = @id" + uow.Db.ForUpdate, new { id });

    public static async Task<long> BalanceAsync(UnitOfWork uow, string walletId, string tokenId) =>
        await uow.QuerySingleOrDefaultAsync<long?>(
            "SELECT amount FROM circle_balances WHERE wallet_id = @walletId AND token_id = @tokenId" + uow.Db.ForUpdate,
            new { walletId, tokenId }) ?? 0;

    /// <summary>Moves a balance and writes its ledger row; never below zero (callers check first).</summary>
    public static async Task MoveAsync(UnitOfWork uow, string walletId, string tokenId, long delta, string kind, string? transactionId)
    {
        await uow.ExecuteAsync(
            """
            INSERT INTO circle_balances (wallet_id, token_id, amount, updated_at) VALUES (@walletId, @tokenId, 0, @Now)
            ON CONFLICT (wallet_id, token_id) DO NOTHING
            """,
            new { walletId, tokenId, Now = uow.NowMs });
        await uow.ExecuteExpectingAsync(1,
            "UPDATE circle_balances SET amount = amount + @delta, updated_at = @Now WHERE wallet_id = @walletId AND token_id = @tokenId AND amount + @delta >= 0",
            new { walletId, tokenId, delta, Now = uow.NowMs });
        await uow.ExecuteAsync(
            "INSERT INTO circle_ledger (wallet_id, token_id, delta, kind, transaction_id, at) VALUES (@walletId, @tokenId, @delta, @kind, @transactionId, @Now)",
            new { walletId, tokenId, delta, kind, transactionId, Now = uow.NowMs });
    }

    /// <summary>Writes every mutable column of a locked transaction, conditional on the version read, and records
    /// the change (audit row + <c>transactions.outbound</c> event with the transaction as its payload).</summary>
    public static async Task SaveAsync(UnitOfWork uow, TransactionRow t, string command, string from, string? @event, string? reason = null)
    {
        await uow.ExecuteExpectingAsync(1,
            """
            UPDATE circle_transactions SET state = @State, replacement_fee = @ReplacementFee, network_fee = @NetworkFee,
                   max_fee = @MaxFee, fee_level = @FeeLevel, tx_hash = @TxHash, nonce = @Nonce, block_height = @BlockHeight,
                   error_reason = @ErrorReason, first_confirm_at = @FirstConfirmAt, updated_at = @UpdatedAt, version = version + 1
            WHERE id = @Id AND version = @Version
            """,
            new
            {
                t.State, t.ReplacementFee, t.NetworkFee, t.MaxFee, t.FeeLevel, t.TxHash, t.Nonce, t.BlockHeight, t.ErrorReason,
                t.FirstConfirmAt, UpdatedAt = uow.NowMs, t.Id, t.Version,
            });
        t.Version++;
        t.UpdatedAt = uow.NowMs;
        await uow.RecordAsync(new Change(Api, TransactionType, t.Id, command, from, t.State, @event,
            @event is null ? null : CircleWebhookPayload(t, uow.NowMs), reason));
    }

    /// <summary>The notification body Circle sends for a state change [doc shape].</summary>
    public static string CircleWebhookPayload(TransactionRow t, long now) => CircleJson.Serialize(new
    {
        notificationType = CircleRules.Event,
        notification = CircleJson.Transaction(t),
        timestamp = CircleJson.Date(now),
        version = 2,
    });
}
