using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using static Rescind.Server.CrissCross.CrissCrossRules;

namespace Rescind.Server.CrissCross;

public sealed record NewSession(string MerchantReference, long Amount, string Currency, string PayerDetails, string? RedirectUrl, int? ExpiresInSeconds,
    string MerchantId, string IntegrationType, string? PaymentAttributes);

public sealed record NewPayment(string SessionId, string Provider, string PaymentMethod, string? Attributes);

/// <summary>
/// Every CrissCross write, as work inside the caller's unit of work: lock (the session first, then its transactions
/// in id order), decide with the pure rules, apply, and return what happened as an <see cref="Outcome{T}"/>. The HTTP
/// handlers render it (<see cref="CrissCrossEnvelope"/>); the simulation, the jobs and Rescind's own API read it.
/// </summary>
public static class CrissCrossCommands
{
    /// <summary>A named point between the session's update and its transactions' in a cancel (crash tests).</summary>
    public const string CancelCheckpoint = "crisscross.cancel:session-updated";

    /// <summary>A session with its transactions as of the transaction that read them: its public status is
    /// projected at <paramref name="Now"/>.</summary>
    public sealed record SessionAt(SessionRow Session, IReadOnlyList<TransactionRow> Transactions, long Now);

    /// <summary>A refund that was made: its id, the transaction as it is now, the amount and when.</summary>
    public sealed record RefundMade(string RefundId, TransactionRow Transaction, long Amount, long At);

    public static async Task<Outcome<SessionRow>> CreateSessionAsync(UnitOfWork uow, NewSession input, CrissCrossOptions options)
    {
        var lifetime = input.ExpiresInSeconds is { } s ? TimeSpan.FromSeconds(s) : options.SessionLifetime;
        var row = new SessionRow
        {
            Id = Ids.New("", uow.Clock),
            AccountId = uow.Context.AccountId!,
            MerchantReference = input.MerchantReference,
            Amount = input.Amount,
            Currency = input.Currency,
            PayerDetails = input.PayerDetails,
            RedirectUrl = input.RedirectUrl,
            Status = Open,
            ExpiresAt = checked(uow.NowMs + (long)lifetime.TotalMilliseconds),
            CreatedAt = uow.NowMs,
            UpdatedAt = uow.NowMs,
            Version = 1,
            MerchantId = input.MerchantId,
            IntegrationType = input.IntegrationType,
            PaymentAttributes = input.PaymentAttributes,
            PayerId = Ids.New("", uow.Clock),
        };
        await CrissCrossStore.InsertSessionAsync(uow, row);
        await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.SessionType, row.Id, "create", null, Open));
        return Outcome.Done(row);
    }

    /// <summary>Starts a payment attempt: the session must be open (one active transaction, none after cancel).</summary>
    public static async Task<Outcome<TransactionRow>> PayAsync(UnitOfWork uow, NewPayment input, CrissCrossOptions options)
    {
        var (session, transactions) = await CrissCrossStore.LockSessionWithTransactionsAsync(uow, uow.Context.AccountId, input.SessionId);
        if (session is null)
        {
            return Outcome<TransactionRow>.Missing(input.SessionId, CrissCrossStore.SessionType);
        }
        await ExpireIfDueAsync(uow, session, transactions, options);
        var decision = Sessions.Decide(session.Status, Pay);
        if (decision is Decision.Transitioned && input.Provider == MobileMoney
            && !OperatorAvailable(CrissCrossJson.PayerLocation(session), CrissCrossJson.Operator(input.PaymentMethod)))
        {
            return Outcome<TransactionRow>.Refuse(OperatorNotAvailable, session.Status,
                $"The operator is not available for payers in {CrissCrossJson.PayerLocation(session)}; GET /v1/payment/available-methods lists those that are.");
        }
        switch (decision)
        {
            case Decision.Transitioned t:
                var provider = FindProvider(input.Provider)!;
                var tx = new TransactionRow
                {
                    Id = Ids.New("", uow.Clock),
                    SessionId = session.Id,
                    AccountId = session.AccountId,
                    Provider = provider.Name,
                    PaymentMethod = input.PaymentMethod,
                    Amount = session.Amount,
                    Currency = session.Currency,
                    Status = Pending,
                    TimeoutAt = provider.PromptTimeout is { } timeout ? checked(uow.NowMs + (long)timeout.TotalMilliseconds) : null,
                    CreatedAt = uow.NowMs,
                    UpdatedAt = uow.NowMs,
                    Version = 1,
                    MerchantReference = session.MerchantReference,
                    Attributes = input.Attributes,
                    PaymentAttributes = session.PaymentAttributes,
                };
                await CrissCrossStore.InsertTransactionAsync(uow, tx);
                transactions.Add(tx);
                await MoveSessionAsync(uow, session, t, Pay, transactions, options);
                await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.TransactionType, tx.Id, "create", null, Pending,
                    Reason: $"session {session.Id} via {provider.Name}"));
                return Outcome.Done(tx);
            case Decision.Refused r:
                return Outcome<TransactionRow>.Refuse(r.Code, r.State);
            default:
                throw new InvalidOperationException("pay has no other outcome");
        }
    }

    /// <summary>
    /// Cancels a session: locks it against further attempts and, in the same transaction, cancels every in-flight
    /// transaction whose provider can stop it; with any that cannot, the session waits in PENDING_CANCELLATION and
    /// the outcome is deferred on those transactions (a repeat on a waiting session too: it still waits on them).
    /// The vendor route and Rescind's own cancellation API both come here.
    /// </summary>
    public static async Task<Outcome<SessionAt>> CancelAsync(UnitOfWork uow, string sessionId, string? reason, CrissCrossOptions options)
    {
        var (session, transactions) = await CrissCrossStore.LockSessionWithTransactionsAsync(uow, uow.Context.AccountId, sessionId);
        if (session is null)
        {
            return Outcome<SessionAt>.Missing(sessionId, CrissCrossStore.SessionType);
        }
        await ExpireIfDueAsync(uow, session, transactions, options);
        var children = transactions.Select(t => new Child(t.Id, t.Status, CanStop(t.Provider))).ToList();
        var decision = Sessions.DecideCascade(session.Status, Cancel, Transactions, Cancel, children);
        string from, to;
        string? @event;
        IReadOnlyList<ChildChange> cascade;
        switch (decision)
        {
            case Decision.Refused r:
                return Outcome<SessionAt>.Refuse(r.Code, r.State);
            case Decision.AlreadyDone: // already cancelled or pending: nothing written
                var current = new SessionAt(session, transactions, uow.NowMs);
                return session.Status == PendingCancellation
                    ? Outcome.Deferred(current, CrissCrossJson.PendingIds(session, transactions))
                    : Outcome.AlreadyDone(current);
            case Decision.Transitioned t:
                (from, to, @event, cascade) = (t.From, t.To, t.Event, t.Cascade);
                break;
            case Decision.Deferred d:
                (from, to, @event, cascade) = (d.From, d.To, d.Event, d.Cascade);
                break;
            default:
                throw new InvalidOperationException($"unexpected decision {decision}");
        }

        session.Status = to;
        session.UpdatedAt = uow.NowMs;
        session.CancelReason = reason;
        session.CancelRequestedAt = uow.NowMs;
        session.CancelledAt = to == Cancelled ? uow.NowMs : null;
        session.CancelledTransactionIds = JsonSerializer.Serialize(cascade.Select(c => c.Id).ToArray());
        await CrissCrossStore.UpdateSessionAsync(uow, session, from);
        await uow.CheckpointAsync(CancelCheckpoint);
        foreach (var change in cascade)
        {
            var tx = transactions.Single(t => t.Id == change.Id);
            tx.Status = change.To;
            tx.UpdatedAt = uow.NowMs;
            await CrissCrossStore.UpdateTransactionAsync(uow, tx, change.From);
            await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.TransactionType, tx.Id, Cancel, change.From, change.To,
                change.Event, CrissCrossJson.Serialize(CrissCrossJson.Payment(tx)), reason));
        }
        await RecordSessionAsync(uow, session, Cancel, from, @event, transactions, options, reason);
        var after = new SessionAt(session, transactions, uow.NowMs);
        return decision is Decision.Deferred deferred ? Outcome.Deferred(after, deferred.Pending) : Outcome.Done(after);
    }

    /// <summary>
    /// A provider's event on one transaction (process, complete, fail, error, expire, settle), as the simulation
    /// and the clock produce them. When the flight ends, the session follows in the same transaction: paid, open
    /// again, or, if it was waiting for this transaction to cancel, CANCELLED once none is left in flight. The
    /// provider's side is not a merchant's: the transaction is found in any account (the context names its owner).
    /// </summary>
    public static async Task<Outcome<TransactionRow>> ProviderEventAsync(UnitOfWork uow, string transactionId, string command, CrissCrossOptions options)
    {
        var peek = await CrissCrossStore.PeekTransactionAsync(uow, null, transactionId);
        if (peek is null)
        {
            return Outcome<TransactionRow>.Missing(transactionId);
        }
        var session = (await CrissCrossStore.LockSessionAsync(uow, null, peek.SessionId))!;
        var transactions = await CrissCrossStore.LockTransactionsAsync(uow, session.Id);
        var tx = transactions.Single(t => t.Id == transactionId);
        switch (DecideTransaction(tx.Status, command))
        {
            case Decision.Refused r:
                return Outcome<TransactionRow>.Refuse(r.Code, r.State);
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(tx);
            case Decision.Transitioned t:
                var endsFlight = !Transactions.IsTerminal(t.From) && Transactions.IsTerminal(t.To);
                tx.Status = t.To;
                tx.UpdatedAt = uow.NowMs;
                if (endsFlight && t.To == Completed && session.Status == PendingCancellation)
                {
                    tx.LateCompletion = 1; // kept, and listed for the merchant to refund [ours]
                }
                await CrissCrossStore.UpdateTransactionAsync(uow, tx, t.From);
                await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.TransactionType, tx.Id, command, t.From, t.To,
                    t.Event, CrissCrossJson.Serialize(CrissCrossJson.Payment(tx))));
                if (endsFlight)
                {
                    await FollowTransactionAsync(uow, session, transactions, t.To, options);
                }
                return Outcome.Done(tx);
            default:
                throw new InvalidOperationException("a transaction command is never deferred");
        }
    }

    /// <summary>
    /// The merchant submits the payer's authorisation for a transaction that waits for one (a card's 3-D Secure
    /// challenge, a redirect) [doc: POST /v1/payment/authorize]: the data is kept and the provider processes the
    /// transaction (PENDING → PROCESSING). A repeat on a processing transaction changes nothing; an ended one is
    /// refused; mobile money is approved on the payer's handset and has no authorisation step [doc].
    /// </summary>
    public static async Task<Outcome<TransactionRow>> AuthorizeAsync(UnitOfWork uow, string transactionId, string? authorizationData)
    {
        if (await CrissCrossStore.LockTransactionAsync(uow, uow.Context.AccountId, transactionId) is not { } tx)
        {
            return Outcome<TransactionRow>.Missing(transactionId);
        }
        if (PaymentMethodId(tx.Provider) == MobileMoney)
        {
            return Outcome<TransactionRow>.Refuse(AuthorizationNotRequired, tx.Status,
                "A mobile-money payment is approved on the payer's handset; it has no authorize step.");
        }
        switch (DecideTransaction(tx.Status, Authorize))
        {
            case Decision.Refused r:
                return Outcome<TransactionRow>.Refuse(r.Code, r.State);
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(tx);
            case Decision.Transitioned t:
                tx.Status = t.To;
                tx.UpdatedAt = uow.NowMs;
                await CrissCrossStore.UpdateTransactionAsync(uow, tx, t.From);
                await CrissCrossStore.StoreAuthorizationAsync(uow, tx.Id, authorizationData);
                await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.TransactionType, tx.Id, Authorize, t.From, t.To,
                    t.Event, CrissCrossJson.Serialize(CrissCrossJson.Payment(tx)), "authorization submitted"));
                return Outcome.Done(tx);
            default:
                throw new InvalidOperationException("an authorization is never deferred");
        }
    }

    /// <summary>Refunds all (no amount) or part of a completed transaction, never more than is left of what was paid.</summary>
    public static async Task<Outcome<RefundMade>> RefundAsync(UnitOfWork uow, string transactionId, long? amount)
    {
        if (await CrissCrossStore.LockTransactionAsync(uow, uow.Context.AccountId, transactionId) is not { } tx)
        {
            return Outcome<RefundMade>.Missing(transactionId);
        }
        var remaining = checked(tx.Amount - tx.RefundedAmount);
        var full = DecideTransaction(tx.Status, Refund);
        if (full is Decision.Refused r)
        {
            return Outcome<RefundMade>.Refuse(r.Code, r.State);
        }
        var refund = amount ?? remaining;
        if (refund > remaining)
        {
            return Outcome<RefundMade>.Refuse(CrissCrossEnvelope.RefundExceedsPaid, tx.Status,
                $"amount {refund} is more than the {remaining} {tx.Currency} left to refund on this transaction.");
        }
        var from = tx.Status;
        string? @event = CrissCrossRules.EventRefunded;
        tx.RefundedAmount = checked(tx.RefundedAmount + refund);
        if (refund == remaining && full is Decision.Transitioned t)
        {
            tx.Status = t.To;
            @event = t.Event;
        }
        tx.UpdatedAt = uow.NowMs;
        await CrissCrossStore.UpdateTransactionAsync(uow, tx, from);
        var refundId = Ids.New("", uow.Clock);
        await CrissCrossStore.InsertRefundAsync(uow, refundId, tx, refund);
        await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.TransactionType, tx.Id, Refund, from, tx.Status,
            @event, CrissCrossJson.Serialize(CrissCrossJson.Payment(tx)), $"refund {refundId}: {refund} {tx.Currency}"));
        return Outcome.Done(new RefundMade(refundId, tx, refund, uow.NowMs));
    }

    /// <summary>
    /// A refund as the vendor documents it: against a session (its single refundable transaction, or the one
    /// <paramref name="originalTransactionId"/> names), full or partial, in the transaction's currency, answered
    /// PENDING and settled later by the provider [doc]. Pending refunds hold their amount, so together they never
    /// exceed what was paid.
    /// </summary>
    public static async Task<Outcome<RefundRow>> RequestRefundAsync(UnitOfWork uow, string sessionId, string? originalTransactionId,
        long amount, string currency, string? reason)
    {
        var (session, transactions) = await CrissCrossStore.LockSessionWithTransactionsAsync(uow, uow.Context.AccountId, sessionId);
        if (session is null)
        {
            return Outcome<RefundRow>.Missing(sessionId, CrissCrossStore.SessionType);
        }
        var refundable = transactions.Where(t => Money.States.Contains(t.Status)).ToList();
        TransactionRow? tx;
        if (originalTransactionId is not null)
        {
            tx = transactions.SingleOrDefault(t => t.Id == originalTransactionId);
            if (tx is null)
            {
                return Outcome<RefundRow>.Missing(originalTransactionId);
            }
        }
        else if (refundable.Count > 1)
        {
            return Outcome<RefundRow>.Refuse(OriginalTransactionRequired, session.Status,
                $"The session has {refundable.Count} refundable transactions; name one with originalTransactionId.");
        }
        else
        {
            tx = refundable.SingleOrDefault();
            if (tx is null)
            {
                return Outcome<RefundRow>.Refuse(TransactionNotCompleted, session.Status, "The session has no completed transaction to refund.");
            }
        }
        if (DecideTransaction(tx.Status, Refund) is Decision.Refused r)
        {
            return Outcome<RefundRow>.Refuse(r.Code, r.State);
        }
        if (currency != tx.Currency)
        {
            return Outcome<RefundRow>.Refuse(CurrencyMismatch, tx.Status, $"refundValue.currency must be the transaction's currency, {tx.Currency}.");
        }
        var held = await CrissCrossStore.PendingRefundsAsync(uow, tx.Id);
        var remaining = checked(tx.Amount - tx.RefundedAmount - held);
        if (amount > remaining)
        {
            return Outcome<RefundRow>.Refuse(CrissCrossEnvelope.RefundExceedsPaid, tx.Status,
                $"refundValue.amount {amount} is more than the {remaining} {tx.Currency} left to refund on this transaction"
                + (held > 0 ? $" ({held} is held by pending refunds)." : "."));
        }
        var refund = new RefundRow
        {
            Id = Ids.New("", uow.Clock),
            TransactionId = tx.Id,
            AccountId = tx.AccountId,
            SessionId = session.Id,
            Amount = amount,
            Currency = tx.Currency,
            Reason = reason,
            Status = RefundPending,
            CreatedAt = uow.NowMs,
            UpdatedAt = uow.NowMs,
        };
        await CrissCrossStore.InsertRefundAsync(uow, refund);
        await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.RefundType, refund.Id, "create", null, RefundPending,
            Reason: $"transaction {tx.Id}: {amount} {tx.Currency}" + (reason is null ? "" : $" ({reason})")));
        return Outcome.Done(refund);
    }

    /// <summary>The provider's answer to a pending refund: succeeded (the transaction's refunded amount grows, and
    /// all of it makes it REFUNDED) or failed (the held amount is released) [doc: refund.succeeded, refund.failed].</summary>
    public static async Task<Outcome<RefundRow>> SettleRefundAsync(UnitOfWork uow, string refundId, bool succeeded)
    {
        var peek = await CrissCrossStore.GetRefundAsync(uow, refundId);
        if (peek is null)
        {
            return Outcome<RefundRow>.Missing(refundId);
        }
        var tx0 = (await CrissCrossStore.PeekTransactionAsync(uow, null, peek.TransactionId))!;
        await CrissCrossStore.LockSessionAsync(uow, null, tx0.SessionId); // parent first, as every writer does
        var tx = (await CrissCrossStore.LockTransactionsAsync(uow, tx0.SessionId)).Single(t => t.Id == peek.TransactionId);
        var refund = (await CrissCrossStore.GetRefundAsync(uow, refundId))!;
        var to = succeeded ? RefundSucceeded : RefundFailed;
        switch (DecideRefund(refund.Status, to))
        {
            case Decision.AlreadyDone:
                return Outcome.AlreadyDone(refund);
            case Decision.Refused r:
                return Outcome<RefundRow>.Refuse(r.Code, r.State);
        }
        refund.Status = to;
        refund.UpdatedAt = uow.NowMs;
        await CrissCrossStore.SettleRefundAsync(uow, refund);
        if (succeeded)
        {
            var from = tx.Status;
            string? @event = EventRefunded;
            tx.RefundedAmount = checked(tx.RefundedAmount + refund.Amount);
            if (tx.RefundedAmount == tx.Amount && Money.Decide(tx.Status, Refund) is Decision.Transitioned t)
            {
                tx.Status = t.To;
                @event = t.Event;
            }
            tx.UpdatedAt = uow.NowMs;
            await CrissCrossStore.UpdateTransactionAsync(uow, tx, from);
            await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.TransactionType, tx.Id, Refund, from, tx.Status,
                @event, CrissCrossJson.Serialize(CrissCrossJson.Payment(tx)), $"refund {refund.Id}: {refund.Amount} {tx.Currency}"));
        }
        await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.RefundType, refund.Id, succeeded ? "succeed" : "fail", RefundPending, to,
            succeeded ? EventRefundSucceeded : EventRefundFailed, CrissCrossJson.Serialize(CrissCrossJson.RefundOf(refund))));
        return Outcome.Done(refund);
    }

    /// <summary>Expires one session if it is due (the job's work): done when it did, already done when it was
    /// expired, refused when it is in another state or not due yet.</summary>
    public static async Task<Outcome<SessionRow>> ExpireSessionAsync(UnitOfWork uow, string sessionId, CrissCrossOptions options)
    {
        var (session, transactions) = await CrissCrossStore.LockSessionWithTransactionsAsync(uow, null, sessionId);
        if (session is null)
        {
            return Outcome<SessionRow>.Missing(sessionId);
        }
        if (await ExpireIfDueAsync(uow, session, transactions, options))
        {
            return Outcome.Done(session);
        }
        return session.Status == Expired
            ? Outcome.AlreadyDone(session)
            : Outcome<SessionRow>.Refuse(SessionStateConflict, session.Status, "not due to expire");
    }

    private static async Task FollowTransactionAsync(UnitOfWork uow, SessionRow session, List<TransactionRow> transactions, string ended, CrissCrossOptions options)
    {
        if (session.Status == PendingCancellation)
        {
            var children = transactions.Select(t => new Child(t.Id, t.Status, CanStop(t.Provider))).ToList();
            if (Sessions.DecideDeferred(session.Status, Cancel, Transactions, children) is Decision.Transitioned done)
            {
                session.CancelledAt = uow.NowMs;
                await MoveSessionAsync(uow, session, done, "cancel_completed", transactions, options);
            }
            return;
        }
        var decision = Sessions.Decide(session.Status, SessionCommandFor(ended));
        if (decision is not Decision.Transitioned t)
        {
            throw new InvalidOperationException($"session {session.Id} is {session.Status} while its transaction was in flight");
        }
        await MoveSessionAsync(uow, session, t, SessionCommandFor(ended), transactions, options);
    }

    /// <summary>Applies a due expiry first, so every command decides on the state the session really has.</summary>
    private static async Task<bool> ExpireIfDueAsync(UnitOfWork uow, SessionRow session, List<TransactionRow> transactions, CrissCrossOptions options)
    {
        if (!HasExpired(session.Status, session.ExpiresAt, uow.NowMs))
        {
            return false;
        }
        await MoveSessionAsync(uow, session, (Decision.Transitioned)Sessions.Decide(session.Status, Expire), Expire, transactions, options);
        return true;
    }

    private static async Task MoveSessionAsync(UnitOfWork uow, SessionRow session, Decision.Transitioned t, string action, List<TransactionRow> transactions, CrissCrossOptions options)
    {
        session.Status = t.To;
        session.UpdatedAt = uow.NowMs;
        await CrissCrossStore.UpdateSessionAsync(uow, session, t.From);
        await RecordSessionAsync(uow, session, action, t.From, t.Event, transactions, options);
    }

    private static Task RecordSessionAsync(UnitOfWork uow, SessionRow session, string action, string from, string? @event,
        IReadOnlyList<TransactionRow> transactions, CrissCrossOptions options, string? reason = null) =>
        uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.SessionType, session.Id, action, from, session.Status, @event,
            @event is null ? null : CrissCrossJson.Serialize(CrissCrossJson.Session(session, transactions, uow.NowMs, options.PaymentLinkBase)),
            reason));
}
