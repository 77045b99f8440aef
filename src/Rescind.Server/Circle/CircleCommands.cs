using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;

namespace Rescind.Server.Circle;

/// <param name="Metadata">One per wallet of each blockchain, in order (the i-th wallet of every chain gets the i-th), or none.</param>
public sealed record NewWallets(string WalletSetId, IReadOnlyList<string> Blockchains, int Count, IReadOnlyList<WalletMetadata>? Metadata = null);

public sealed record NewTransfer(string WalletId, string DestinationAddress, string TokenId, string Amount, string? FeeLevel,
    long? GasLimit, long? MaxFee, long? PriorityFee, string? RefId);

/// <summary>
/// Every Circle write, inside the caller's unit of work: lock (chain, wallet, transaction, balance, in that order),
/// decide with the pure rules, apply, and return the outcome (never an HTTP answer: <see cref="CircleEnvelope"/>
/// renders it). The HTTP handlers, Rescind's own cancellation API, the simulator and its job all come through here.
/// </summary>
public static class CircleCommands
{
    private static string NewId(TimeProvider clock) => Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");

    /// <summary>The ciphertext is consumed in the same transaction as the effect; a lost race for it is 156004.
    /// False when it was used before.</summary>
    private static async Task<bool> ConsumeAsync(UnitOfWork uow, string? ciphertext) =>
        ciphertext is null || await CircleEntitySecrets.ConsumeAsync(uow, uow.Context.AccountId!, ciphertext);

    private static Outcome<T> Reused<T>() => Outcome<T>.Refuse(CircleEnvelope.Code(CircleEnvelope.CiphertextReused));

    public static async Task<Outcome<WalletSetRow>> CreateWalletSetAsync(UnitOfWork uow, string mode, string? ciphertext, string? name)
    {
        if (!await ConsumeAsync(uow, ciphertext))
        {
            return Reused<WalletSetRow>();
        }
        var row = new WalletSetRow { Id = NewId(uow.Clock), AccountId = uow.Context.AccountId!, Mode = mode, Name = name, CreatedAt = uow.NowMs, UpdatedAt = uow.NowMs };
        await uow.ExecuteAsync(
            "INSERT INTO circle_wallet_sets (id, account_id, mode, name, created_at, updated_at) VALUES (@Id, @AccountId, @Mode, @Name, @CreatedAt, @UpdatedAt)", row);
        await uow.RecordAsync(new Change(CircleStore.Api, CircleStore.WalletSetType, row.Id, "create", null, "LIVE"));
        return Outcome.Done(row);
    }

    /// <summary>Wallets of one set, <see cref="NewWallets.Count"/> per blockchain, in the order asked for.</summary>
    public static async Task<Outcome<IReadOnlyList<WalletRow>>> CreateWalletsAsync(UnitOfWork uow, string mode, string? ciphertext, NewWallets input)
    {
        var accountId = uow.Context.AccountId!;
        var set = await uow.QuerySingleOrDefaultAsync<string>(
            "SELECT id FROM circle_wallet_sets WHERE id = @WalletSetId AND account_id = @AccountId AND mode = @mode",
            new { input.WalletSetId, AccountId = accountId, mode });
        if (set is null)
        {
            return Outcome<IReadOnlyList<WalletRow>>.Missing(input.WalletSetId, CircleStore.WalletSetType);
        }
        if (!await ConsumeAsync(uow, ciphertext))
        {
            return Reused<IReadOnlyList<WalletRow>>();
        }
        var wallets = new List<WalletRow>();
        foreach (var blockchain in input.Blockchains)
        {
            var chain = CircleRules.FindChain(blockchain)!;
            for (var i = 0; i < input.Count; i++)
            {
                var id = NewId(uow.Clock);
                var row = new WalletRow
                {
                    Id = id, AccountId = accountId, Mode = mode, WalletSetId = input.WalletSetId, Blockchain = blockchain,
                    Address = CircleRules.AddressFor(chain, "wallet:" + id), State = "LIVE", CreatedAt = uow.NowMs, UpdatedAt = uow.NowMs,
                    Name = input.Metadata?[i].Name, RefId = input.Metadata?[i].RefId,
                };
                await uow.ExecuteAsync(
                    """
                    INSERT INTO circle_wallets (id, account_id, mode, wallet_set_id, blockchain, address, state, next_nonce, name, ref_id, created_at, updated_at)
                    VALUES (@Id, @AccountId, @Mode, @WalletSetId, @Blockchain, @Address, @State, 0, @Name, @RefId, @CreatedAt, @UpdatedAt)
                    """, row);
                await uow.RecordAsync(new Change(CircleStore.Api, CircleStore.WalletType, id, "create", null, "LIVE"));
                wallets.Add(row);
            }
        }
        return Outcome.Done<IReadOnlyList<WalletRow>>(wallets);
    }

    public static async Task<Outcome<WalletRow>> UpdateWalletAsync(UnitOfWork uow, string mode, string id, string? name, string? refId)
    {
        var row = await CircleStore.LockWalletAsync(uow, uow.Context.AccountId!, mode, id);
        if (row is null)
        {
            return Outcome<WalletRow>.Missing(id, CircleStore.WalletType);
        }
        row.Name = name ?? row.Name;
        row.RefId = refId ?? row.RefId;
        row.UpdatedAt = uow.NowMs;
        await uow.ExecuteExpectingAsync(1, "UPDATE circle_wallets SET name = @Name, ref_id = @RefId, updated_at = @UpdatedAt WHERE id = @Id", row);
        await uow.RecordAsync(new Change(CircleStore.Api, CircleStore.WalletType, id, "update", row.State, row.State));
        return Outcome.Done(row);
    }

    public static async Task<Outcome<WalletSetRow>> UpdateWalletSetAsync(UnitOfWork uow, string mode, string id, string name)
    {
        var row = await uow.QuerySingleOrDefaultAsync<WalletSetRow>(
            $"SELECT {CircleStore.WalletSetColumns} FROM circle_wallet_sets WHERE id = @id AND account_id = @AccountId AND mode = @mode" + uow.Db.ForUpdate,
            new { id, AccountId = uow.Context.AccountId, mode });
        if (row is null)
        {
            return Outcome<WalletSetRow>.Missing(id, CircleStore.WalletSetType);
        }
        row.Name = name;
        row.UpdatedAt = uow.NowMs;
        await uow.ExecuteExpectingAsync(1, "UPDATE circle_wallet_sets SET name = @Name, updated_at = @UpdatedAt WHERE id = @Id", row);
        await uow.RecordAsync(new Change(CircleStore.Api, CircleStore.WalletSetType, id, "update", "LIVE", "LIVE"));
        return Outcome.Done(row);
    }

    /// <summary>Test tokens for a test wallet of the account [doc faucet; ours: 10 USDC and 1 native per drip].</summary>
    public static async Task<Outcome<WalletRow>> DripAsync(UnitOfWork uow, string blockchain, string address, bool usdc, bool native)
    {
        var accountId = uow.Context.AccountId!;
        await CircleStore.LockChainAsync(uow, accountId, blockchain);
        var wallet = await uow.QuerySingleOrDefaultAsync<WalletRow>(
            $"SELECT {CircleStore.WalletColumns} FROM circle_wallets WHERE account_id = @AccountId AND blockchain = @blockchain AND address = @address AND mode = 'test'" + uow.Db.ForUpdate,
            new { AccountId = accountId, blockchain, address });
        if (wallet is null)
        {
            return Outcome<WalletRow>.Missing(address, CircleStore.WalletType);
        }
        if (usdc)
        {
            await CircleStore.MoveAsync(uow, wallet.Id, CircleRules.Usdc(blockchain).Id, 10_000_000, "faucet", null);
        }
        if (native)
        {
            await CircleStore.MoveAsync(uow, wallet.Id, CircleRules.Native(blockchain).Id, 1_000_000_000, "faucet", null);
        }
        await uow.RecordAsync(new Change(CircleStore.Api, CircleStore.WalletType, wallet.Id, "faucet", "LIVE", "LIVE",
            Reason: (usdc ? "usdc " : "") + (native ? "native" : "")));
        return Outcome.Done(wallet);
    }

    public static async Task<Outcome<TransactionRow>> TransferAsync(UnitOfWork uow, string mode, string? ciphertext, NewTransfer input)
    {
        var accountId = uow.Context.AccountId!;
        var unlocked = await uow.QuerySingleOrDefaultAsync<WalletRow>(
            $"SELECT {CircleStore.WalletColumns} FROM circle_wallets WHERE id = @WalletId AND account_id = @AccountId AND mode = @mode",
            new { input.WalletId, AccountId = accountId, mode });
        if (unlocked is null)
        {
            return Outcome<TransactionRow>.Missing(input.WalletId, CircleStore.WalletType);
        }
        var chain = CircleRules.FindChain(unlocked.Blockchain)!;
        // The edge resolved and checked wallet, token, destination and amount (CircleTransfers.ResolveAsync); the
        // wallet is read again here, in the transaction, and the token is a fixed table.
        var token = CircleRules.FindToken(input.TokenId)!;
        var amount = CircleRules.ParseAmount(input.Amount, token.Scale)!.Value;
        var state = await CircleStore.LockChainAsync(uow, accountId, chain.Name);
        if (!await ConsumeAsync(uow, ciphertext))
        {
            return Reused<TransactionRow>();
        }
        var row = new TransactionRow
        {
            Id = NewId(uow.Clock), AccountId = accountId, Mode = mode, WalletId = unlocked.Id, Blockchain = chain.Name,
            State = CircleRules.Initiated, SourceAddress = unlocked.Address, DestinationAddress = input.DestinationAddress,
            TokenId = token.Id, Amount = amount, FeeLevel = input.FeeLevel, GasLimit = input.GasLimit ?? CircleRules.GasLimit(token),
            MaxFee = input.FeeLevel is { } level ? CircleRules.PriceFor(level, state.BaseFee) : input.MaxFee!.Value,
            PriorityFee = input.PriorityFee ?? 1, RefId = input.RefId, CreatedAt = uow.NowMs, UpdatedAt = uow.NowMs, Version = 1,
        };
        await uow.ExecuteAsync(
            """
            INSERT INTO circle_transactions (id, account_id, mode, wallet_id, blockchain, state, source_address, destination_address,
                token_id, amount, fee_level, gas_limit, max_fee, priority_fee, ref_id, created_at, updated_at, version)
            VALUES (@Id, @AccountId, @Mode, @WalletId, @Blockchain, @State, @SourceAddress, @DestinationAddress,
                @TokenId, @Amount, @FeeLevel, @GasLimit, @MaxFee, @PriorityFee, @RefId, @CreatedAt, @UpdatedAt, @Version)
            """, row);
        await uow.RecordAsync(new Change(CircleStore.Api, CircleStore.TransactionType, row.Id, "create", null, row.State,
            CircleRules.Event, CircleStore.CircleWebhookPayload(row, uow.NowMs)));
        return Outcome.Done(row);

    }

    /// <summary>
    /// Cancel or accelerate, as the developer asks [doc]: the table decides, the chain's nature gates. A cancel
    /// after broadcast is deferred: its replacement (same nonce, zero value to itself, higher fee) races the
    /// original, which cannot be recalled, until one of them is mined. Rescind's own cancellation API passes no
    /// ciphertext: the account's Rescind key is its authority [ours].
    /// </summary>
    public static async Task<Outcome<TransactionRow>> ActAsync(UnitOfWork uow, string mode, string? ciphertext, string id, string command)
    {
        var accountId = uow.Context.AccountId!;
        var peek = await uow.QuerySingleOrDefaultAsync<string>(
            "SELECT blockchain FROM circle_transactions WHERE id = @id AND account_id = @AccountId AND mode = @mode", new { id, AccountId = accountId, mode });
        if (peek is null)
        {
            return Outcome<TransactionRow>.Missing(id, CircleStore.TransactionType);
        }
        var chainState = await CircleStore.ShareChainAsync(uow, accountId, peek);
        var t = (await CircleStore.LockTransactionAsync(uow, id))!;
        if (!await ConsumeAsync(uow, ciphertext))
        {
            return Reused<TransactionRow>();
        }
        var chain = CircleRules.FindChain(t.Blockchain)!;
        var decision = chain.Replaceable
            ? CircleRules.Transactions.Decide(t.State, command)
            : new Decision.Refused(t.State, CircleRules.Unsupported); // no replacement on this chain [doc]
        switch (decision)
        {
            case Decision.Transitioned tr when command == CircleRules.Accelerate:
                t.MaxFee = Math.Max(t.MaxFee, CircleRules.PriceFor("HIGH", chainState.BaseFee));
                t.FeeLevel = "HIGH";
                t.State = tr.To;
                await CircleStore.SaveAsync(uow, t, command, tr.From, tr.Event);
                return Outcome.Done(t);
            case Decision.Transitioned tr:
                t.State = tr.To;
                await CircleStore.SaveAsync(uow, t, command, tr.From, tr.Event);
                return Outcome.Done(t);
            case Decision.Deferred d:
                // The replacement (same nonce, zero value to itself, higher fee) now races the original.
                t.ReplacementFee = CircleRules.ReplacementPrice(t.MaxFee, chainState.BaseFee);
                t.State = d.To;
                await CircleStore.SaveAsync(uow, t, command, d.From, d.Event, "replacement submitted");
                return Outcome.Deferred(t, [t.Id]);
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(t);
            case Decision.Refused r:
                return Outcome<TransactionRow>.Refuse(r.Code, r.State);
            default:
                throw new InvalidOperationException($"unexpected decision {decision}");
        }
    }

    /// <summary>Applies one transition of the simulator's to a locked transaction.</summary>
    private static async Task<bool> MoveAsync(UnitOfWork uow, TransactionRow t, string command, string? reason = null)
    {
        if (CircleRules.Transactions.Decide(t.State, command) is not Decision.Transitioned tr)
        {
            return false;
        }
        t.State = tr.To;
        await CircleStore.SaveAsync(uow, t, command, tr.From, tr.Event, reason);
        return true;
    }

    /// <summary>
    /// Mines one block of an account's chain: confirmations mature, each wallet's lowest pending nonce is mined if
    /// its fee meets the base fee (a cancel replacement outbids its original), and every other transaction moves one
    /// step down the queue: screening, clearing (the balance check), broadcast (a nonce; STUCK under the base fee).
    /// </summary>
    public static async Task<Outcome<long>> MineBlockAsync(UnitOfWork uow, string blockchain) =>
        Outcome.Done(await MineNextBlockAsync(uow, uow.Context.AccountId!, blockchain));

    /// <summary>Transitional, for the CLI's <c>circle mine</c> verb: the new height itself.</summary>
    public static Task<long> MineBlockAsync(UnitOfWork uow, string accountId, string blockchain) => MineNextBlockAsync(uow, accountId, blockchain);

    private static async Task<long> MineNextBlockAsync(UnitOfWork uow, string accountId, string blockchain)
    {
        var chain = CircleRules.FindChain(blockchain)!;
        var c = await CircleStore.LockChainAsync(uow, accountId, blockchain);
        var height = c.Height + 1;
        await uow.ExecuteExpectingAsync(1,
            "UPDATE circle_chains SET height = @height, next_block_at = @next WHERE account_id = @accountId AND blockchain = @blockchain AND height = @previous",
            new { height, next = Math.Max(c.NextBlockAt, uow.NowMs - chain.BlockSeconds * 1000L) + chain.BlockSeconds * 1000L, accountId, blockchain, previous = c.Height });
        var open = (await uow.QueryAsync<TransactionRow>(
            $"""
            SELECT {CircleStore.TransactionColumns} FROM circle_transactions
            WHERE account_id = @accountId AND blockchain = @blockchain AND state NOT IN ('COMPLETE', 'CANCELLED', 'FAILED', 'DENIED')
            ORDER BY created_at, id
            """ + uow.Db.ForUpdate, new { accountId, blockchain })).ToList();

        foreach (var t in open.Where(t => t.State == CircleRules.Confirmed && height - t.BlockHeight >= chain.Confirmations))
        {
            await MoveAsync(uow, t, CircleRules.Finalize);
        }
        var screened = (await uow.QueryAsync<string>("SELECT address FROM circle_screened WHERE account_id = @accountId", new { accountId })).ToHashSet();
        var touched = new HashSet<string>();
        foreach (var wallet in open.Where(t => t.Nonce is not null && t.State is CircleRules.Sent or CircleRules.Stuck or CircleRules.Replacing)
                     .GroupBy(t => t.WalletId))
        {
            var t = wallet.OrderBy(x => x.Nonce).First();
            touched.Add(t.Id);
            await MineAsync(uow, t, c.BaseFee, height);
        }
        foreach (var t in open.Where(t => !touched.Contains(t.Id)))
        {
            switch (t.State)
            {
                case CircleRules.Initiated:
                    await MoveAsync(uow, t, screened.Contains(t.DestinationAddress) ? CircleRules.Deny : CircleRules.Screen);
                    break;
                case CircleRules.Queued:
                    var shortfall = await ShortfallAsync(uow, t, t.MaxFee);
                    if (shortfall is not null)
                    {
                        t.ErrorReason = shortfall;
                        await MoveAsync(uow, t, CircleRules.Fail, shortfall);
                    }
                    else
                    {
                        await MoveAsync(uow, t, CircleRules.Clear);
                    }
                    break;
                case CircleRules.Cleared:
                    var nonce = await uow.QuerySingleOrDefaultAsync<long>(
                        "SELECT next_nonce FROM circle_wallets WHERE id = @WalletId" + uow.Db.ForUpdate, new { t.WalletId });
                    await uow.ExecuteExpectingAsync(1, "UPDATE circle_wallets SET next_nonce = @next WHERE id = @WalletId AND next_nonce = @nonce",
                        new { next = nonce + 1, t.WalletId, nonce });
                    t.Nonce = nonce;
                    t.TxHash = "0x" + Ids.Sha256Hex($"{t.Id}:{nonce}");
                    await MoveAsync(uow, t, CircleRules.Broadcast);
                    if (t.MaxFee < c.BaseFee)
                    {
                        await MoveAsync(uow, t, CircleRules.Stall, "fee below the base fee");
                    }
                    break;
            }
        }
        return height;
    }

    /// <summary>What the source wallet lacks to pay amount and fee at <paramref name="price"/>, as Circle's errorReason.</summary>
    private static async Task<string?> ShortfallAsync(UnitOfWork uow, TransactionRow t, long price)
    {
        var token = CircleRules.FindToken(t.TokenId)!;
        var native = CircleRules.Native(t.Blockchain);
        var fee = CircleRules.Fee(t.GasLimit, price);
        var tokenBalance = await CircleStore.BalanceAsync(uow, t.WalletId, token.Id);
        var nativeBalance = token.IsNative ? tokenBalance : await CircleStore.BalanceAsync(uow, t.WalletId, native.Id);
        if (!token.IsNative && tokenBalance < t.Amount)
        {
            return "INSUFFICIENT_TOKEN";
        }
        return nativeBalance < checked((token.IsNative ? t.Amount : 0) + fee) ? "INSUFFICIENT_NATIVE_TOKEN" : null;
    }

    /// <summary>The mempool's verdict on a wallet's next nonce in this block.</summary>
    private static async Task MineAsync(UnitOfWork uow, TransactionRow t, long baseFee, long height)
    {
        var native = CircleRules.Native(t.Blockchain);
        if (t.State == CircleRules.Replacing && t.ReplacementFee >= baseFee
            && await CircleStore.BalanceAsync(uow, t.WalletId, native.Id) >= CircleRules.Fee(21_000, t.ReplacementFee.Value))
        {
            // The replacement outbids the original: the nonce is spent on it, its network fee is charged.
            var fee = CircleRules.Fee(21_000, t.ReplacementFee.Value);
            await CircleStore.MoveAsync(uow, t.WalletId, native.Id, -fee, "fee", t.Id);
            t.NetworkFee = fee;
            t.BlockHeight = height;
            await MoveAsync(uow, t, CircleRules.MineReplacement, "replacement mined");
            return;
        }
        if (t.State == CircleRules.Stuck)
        {
            if (t.MaxFee >= baseFee)
            {
                await MoveAsync(uow, t, CircleRules.Unstall, "base fee fell to the offered fee");
            }
            return;
        }
        if (t.MaxFee < baseFee)
        {
            if (t.State == CircleRules.Sent)
            {
                await MoveAsync(uow, t, CircleRules.Stall, "fee below the base fee");
            }
            return;
        }
        await ConfirmAsync(uow, t, height);
    }

    /// <summary>The original transaction is mined: amount and fee leave the source, the amount reaches a
    /// destination wallet of the same account and chain; without the funds it fails, spending its nonce.</summary>
    public static async Task ConfirmAsync(UnitOfWork uow, TransactionRow t, long height)
    {
        if (await ShortfallAsync(uow, t, t.MaxFee) is { } shortfall)
        {
            t.ErrorReason = shortfall;
            await MoveAsync(uow, t, CircleRules.Fail, shortfall);
            return;
        }
        var token = CircleRules.FindToken(t.TokenId)!;
        var native = CircleRules.Native(t.Blockchain);
        var fee = CircleRules.Fee(t.GasLimit, t.MaxFee);
        await CircleStore.MoveAsync(uow, t.WalletId, token.Id, -t.Amount, "transfer", t.Id);
        await CircleStore.MoveAsync(uow, t.WalletId, native.Id, -fee, "fee", t.Id);
        var destination = await uow.QuerySingleOrDefaultAsync<string>(
            "SELECT id FROM circle_wallets WHERE account_id = @AccountId AND blockchain = @Blockchain AND address = @DestinationAddress",
            new { t.AccountId, t.Blockchain, t.DestinationAddress });
        if (destination is not null)
        {
            await CircleStore.MoveAsync(uow, destination, token.Id, t.Amount, "receive", t.Id);
        }
        t.NetworkFee = fee;
        t.BlockHeight = height;
        t.FirstConfirmAt = uow.NowMs;
        await MoveAsync(uow, t, CircleRules.Mine, t.State == CircleRules.Replacing ? "original mined before its replacement" : null);
    }

    /// <summary>Operator: mine the original now (it wins any race with its replacement), or fail it; any other
    /// action, or one the transaction's state does not allow, is refused (155215).</summary>
    public static async Task<Outcome<TransactionRow>> ForceAsync(UnitOfWork uow, string id, string action, string? errorReason)
    {
        var peek = await uow.QuerySingleOrDefaultAsync<TransactionRow>($"SELECT {CircleStore.TransactionColumns} FROM circle_transactions WHERE id = @id", new { id });
        if (peek is null)
        {
            return Outcome<TransactionRow>.Missing(id, CircleStore.TransactionType);
        }
        var chain = await CircleStore.LockChainAsync(uow, peek.AccountId, peek.Blockchain);
        var t = (await CircleStore.LockTransactionAsync(uow, id))!;
        var ok = action switch
        {
            "mine" when t.State is CircleRules.Sent or CircleRules.Stuck or CircleRules.Replacing => await ForceMineAsync(),
            "fail" => await FailAsync(),
            _ => false,
        };
        return ok
            ? Outcome.Done(t)
            : Outcome<TransactionRow>.Refuse(CircleEnvelope.Code(CircleEnvelope.UnsupportedOperation), t.State, $"Cannot {action} a transaction in state {t.State}.");

        async Task<bool> ForceMineAsync()
        {
            await ConfirmAsync(uow, t, chain.Height);
            return true;
        }

        async Task<bool> FailAsync()
        {
            if (CircleRules.Transactions.Decide(t.State, CircleRules.Fail) is not Decision.Transitioned)
            {
                return false;
            }
            t.ErrorReason = errorReason ?? "FAILED_ON_CHAIN";
            return await MoveAsync(uow, t, CircleRules.Fail, t.ErrorReason);
        }
    }

    /// <summary>Operator: the chain's base fee in gwei from now on (the chain is locked, as mining reads it).</summary>
    public static async Task<Outcome<long>> SetBaseFeeAsync(UnitOfWork uow, string blockchain, long fee)
    {
        var accountId = uow.Context.AccountId!;
        await CircleStore.LockChainAsync(uow, accountId, blockchain);
        await uow.ExecuteAsync("UPDATE circle_chains SET base_fee = @fee WHERE account_id = @accountId AND blockchain = @blockchain",
            new { fee, accountId, blockchain });
        return Outcome.Done(fee);
    }

    /// <summary>Operator: screening denies transfers to <paramref name="address"/> from now on.</summary>
    public static async Task<Outcome<string>> ScreenAsync(UnitOfWork uow, string address)
    {
        var inserted = await uow.ExecuteAsync(
            "INSERT INTO circle_screened (account_id, address) VALUES (@accountId, @address) ON CONFLICT (account_id, address) DO NOTHING",
            new { accountId = uow.Context.AccountId, address });
        return inserted == 1 ? Outcome.Done(address) : Outcome.AlreadyDone(address);
    }

    internal static JsonElement? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
}
