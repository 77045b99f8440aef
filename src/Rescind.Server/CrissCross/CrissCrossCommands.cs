using System.Text.Json;
using Rescind.Core;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
using static Rescind.Server.CrissCross.CrissCrossRules;

namespace Rescind.Server.CrissCross;

public sealed record NewSession(string MerchantReference, long Amount, string Currency, string PayerDetails, string? RedirectUrl, int? ExpiresInSeconds);

public sealed record NewPayment(string SessionId, string Provider, string PaymentMethod);

/// <summary>
/// Every CrissCross write, as work for the coordinator: lock (the session first, then its transactions in id
/// order), decide with the pure rules, apply, answer. HTTP handlers, simulation routes and jobs all come through here.
/// </summary>
public static class CrissCrossCommands
{
    /// <summary>A named point between the session's update and its transactions' in a cancel (crash tests).</summary>
    public const string CancelCheckpoint = "crisscross.cancel:session-updated";

    public static Task<StoredResponse> CreateSessionAsync(Coordinator coordinator, OperationContext ctx, NewSession input, CrissCrossOptions options, CancellationToken ct) =>
        coordinator.ExecuteAsync(ctx, async (uow, _) =>
        {
            var lifetime = input.ExpiresInSeconds is { } s ? TimeSpan.FromSeconds(s) : options.SessionLifetime;
            var row = new SessionRow
            {
                Id = Ids.New("", uow.Clock),
                AccountId = ctx.AccountId!,
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
            };
            await CrissCrossStore.InsertSessionAsync(uow, row);
            await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.SessionType, row.Id, "create", null, Open));
            return new StoredResponse(201, CrissCrossJson.Serialize(new { sessionId = row.Id, paymentLink = CrissCrossJson.PaymentLink(options.PaymentLinkBase, row.Id) }));
        }, ct);

    /// <summary>Starts a payment attempt: the session must be open (one active transaction, none after cancel).</summary>
    public static Task<StoredResponse> PayAsync(Coordinator coordinator, OperationContext ctx, NewPayment input, CrissCrossOptions options, CancellationToken ct) =>
        coordinator.ExecuteAsync(ctx, async (uow, _) =>
        {
            var (session, transactions) = await CrissCrossStore.LockSessionWithTransactionsAsync(uow, ctx.AccountId, input.SessionId);
            if (session is null)
            {
                return CrissCrossEnvelope.NoSession(input.SessionId);
            }
            await ExpireIfDueAsync(uow, session, transactions, options);
            switch (Sessions.Decide(session.Status, Pay))
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
                    };
                    await CrissCrossStore.InsertTransactionAsync(uow, tx);
                    transactions.Add(tx);
                    await MoveSessionAsync(uow, session, t, Pay, transactions, options);
                    await uow.RecordAsync(new Change(CrissCrossStore.Api, CrissCrossStore.TransactionType, tx.Id, "create", null, Pending,
                        Reason: $"session {session.Id} via {provider.Name}"));
                    return new StoredResponse(201, CrissCrossJson.Serialize(new { transactionId = tx.Id, status = tx.Status }));
                case Decision.Refused r:
                    return CrissCrossEnvelope.Refused(r);
                default:
                    throw new InvalidOperationException("pay has no other outcome");
            }
        }, ct);

    /// <summary>
    /// Cancels a session: locks it against further attempts and, in the same transaction, cancels every in-flight
    /// transaction whose provider can stop it; with any that cannot, the session waits in PENDING_CANCELLATION.
    /// </summary>
    public static Task<StoredResponse> CancelAsync(Coordinator coordinator, OperationContext ctx, string sessionId, string? reason, CrissCrossOptions options, CancellationToken ct) =>
        coordinator.ExecuteAsync(ctx, (uow, _) => DecideAndApplyCancelAsync(uow, ctx.AccountId, sessionId, reason, options), ct);

    /// <summary>The cancel inside the caller's unit of work (the vendor route and Rescind's own cancellation API).</summary>
    internal static async Task<StoredResponse> DecideAndApplyCancelAsync(UnitOfWork uow, string? accountId, string sessionId, string? reason, CrissCrossOptions options)
    {
        var (session, transactions) = await CrissCrossStore.LockSessionWithTransactionsAsync(uow, accountId, sessionId);
        if (session is null)
        {
            return CrissCrossEnvelope.NoSession(sessionId);
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
                return CrissCrossEnvelope.Refused(r);
            case Decision.AlreadyDone:
                return Ok(CrissCrossJson.Cancel(session, transactions)); // already cancelled or pending: nothing written
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
        return Ok(CrissCrossJson.Cancel(session, transactions));
    }

    /// <summary>
    /// A provider's event on one transaction (process, complete, fail, error, expire, settle), as the simulation
    /// and the clock produce them. When the flight ends, the session follows in the same transaction: paid, open
    /// again, or, if it was waiting for this transaction to cancel, CANCELLED once none is left in flight.
    /// </summary>
    public static Task<StoredResponse> ProviderEventAsync(Coordinator coordinator, OperationContext ctx, string? accountId, string transactionId, string command, CrissCrossOptions options, CancellationToken ct) =>
        coordinator.ExecuteAsync(ctx, async (uow, _) =>
        {
            var peek = await CrissCrossStore.PeekTransactionAsync(uow, accountId, transactionId);
            if (peek is null)
            {
                return CrissCrossEnvelope.NoTransaction(transactionId);
            }
            var session = (await CrissCrossStore.LockSessionAsync(uow, null, peek.SessionId))!;
            var transactions = await CrissCrossStore.LockTransactionsAsync(uow, session.Id);
            var tx = transactions.Single(t => t.Id == transactionId);
            switch (DecideTransaction(tx.Status, command))
            {
                case Decision.Refused r:
                    return CrissCrossEnvelope.Refused(r);
                case Decision.AlreadyDone:
                    return Ok(CrissCrossJson.Payment(tx));
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
                    return Ok(CrissCrossJson.Payment(tx));
                default:
                    throw new InvalidOperationException("a transaction command is never deferred");
            }
        }, ct);

    /// <summary>Refunds all (no amount) or part of a completed transaction, never more than is left of what was paid.</summary>
    public static Task<StoredResponse> RefundAsync(Coordinator coordinator, OperationContext ctx, string transactionId, long? amount, CancellationToken ct) =>
        coordinator.ExecuteAsync(ctx, async (uow, _) =>
        {
            var peek = await CrissCrossStore.PeekTransactionAsync(uow, ctx.AccountId, transactionId);
            if (peek is null)
            {
                return CrissCrossEnvelope.NoTransaction(transactionId);
            }
            await CrissCrossStore.LockSessionAsync(uow, null, peek.SessionId); // parent first, as every writer does
            var tx = (await CrissCrossStore.LockTransactionsAsync(uow, peek.SessionId)).Single(t => t.Id == transactionId);
            var remaining = checked(tx.Amount - tx.RefundedAmount);
            var full = DecideTransaction(tx.Status, Refund);
            if (full is Decision.Refused r)
            {
                return CrissCrossEnvelope.Refused(r);
            }
            var refund = amount ?? remaining;
            if (refund > remaining)
            {
                return CrissCrossEnvelope.Fail(400, CrissCrossEnvelope.RefundExceedsPaid,
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
            return new StoredResponse(201, CrissCrossJson.Serialize(new RefundResult(refundId, tx.Id, refund, tx.Currency, tx.RefundedAmount,
                checked(tx.Amount - tx.RefundedAmount), tx.Status, Time.Iso(uow.NowMs))));
        }, ct);

    /// <summary>Expires one session if it is due (the job's work); true when it did.</summary>
    public static Task<bool> ExpireSessionAsync(Coordinator coordinator, OperationContext ctx, string sessionId, CrissCrossOptions options, CancellationToken ct) =>
        coordinator.RunAsync(ctx, async (uow, _) =>
        {
            var (session, transactions) = await CrissCrossStore.LockSessionWithTransactionsAsync(uow, null, sessionId);
            if (session is null)
            {
                return false;
            }
            return await ExpireIfDueAsync(uow, session, transactions, options);
        }, ct);

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

    private static StoredResponse Ok<T>(T body) => new(200, CrissCrossJson.Serialize(body));
}
