using Rescind.Core.Lifecycles;

namespace Rescind.Server.CrissCross;

/// <summary>A payment provider as the registry describes it [ours].</summary>
public sealed record Provider(string Name, bool SupportsInFlightCancel, TimeSpan? PromptTimeout);

/// <summary>
/// CrissCross Collect's lifecycles as data, and the time rules around them. Pure: no I/O.
/// A session cascades its cancel to its transactions; a transaction's flight (PENDING/PROCESSING to an outcome)
/// and its money afterwards (COMPLETED, SETTLED, REFUNDED) are two tables, because the doc calls COMPLETED
/// terminal (it ends the flight and the cascade leaves it alone) while settlement and refunds still follow it.
/// </summary>
public static class CrissCrossRules
{
    // Session states [doc: CANCELLED, PENDING_CANCELLATION; rest ours].
    public const string Open = "OPEN";
    public const string Processing = "PROCESSING";
    public const string Completed = "COMPLETED";
    public const string Expired = "EXPIRED";
    public const string PendingCancellation = "PENDING_CANCELLATION";
    public const string Cancelled = "CANCELLED";

    // Transaction states [ours, from the doc's terminal list and webhook names]; PROCESSING and COMPLETED,
    // EXPIRED, CANCELLED are shared names with the session's.
    public const string Pending = "PENDING";
    public const string Settled = "SETTLED";
    public const string Failed = "FAILED";
    public const string Errored = "ERRORED";
    public const string Refunded = "REFUNDED";

    // Session commands.
    public const string Pay = "pay";
    public const string AttemptEnded = "attempt_ended";
    public const string Paid = "paid";
    public const string Expire = "expire";
    public const string Cancel = "cancel";

    // Transaction commands (the provider's side; cancel and expire are shared names).
    public const string Process = "process";
    public const string Complete = "complete";
    public const string Fail = "fail";
    public const string Error = "error";
    public const string Settle = "settle";
    public const string Refund = "refund";
    public const string Authorize = "authorize";

    public const string EventSessionCancelled = "session.cancelled";
    public const string EventSessionPendingCancellation = "session.pending_cancellation";
    public const string EventSessionCompleted = "session.completed";
    public const string EventSessionExpired = "session.expired";
    public const string EventCompleted = "transaction.completed";
    public const string EventFailed = "transaction.failed";
    public const string EventErrored = "transaction.errored";
    public const string EventCancelled = "transaction.cancelled";
    public const string EventExpired = "transaction.expired";
    public const string EventSettled = "transaction.settled";
    public const string EventRefunded = "transaction.refunded";

    public const string SessionNotCancellable = "SESSION_NOT_CANCELLABLE";
    public const string SessionLocked = "SESSION_LOCKED";
    public const string TransactionInProgress = "TRANSACTION_IN_PROGRESS";
    public const string SessionCompleted = "SESSION_COMPLETED";
    public const string SessionExpired = "SESSION_EXPIRED";
    public const string SessionStateConflict = "SESSION_STATE_CONFLICT";
    public const string TransactionNotInFlight = "TRANSACTION_NOT_IN_FLIGHT";
    public const string TransactionNotCompleted = "TRANSACTION_NOT_COMPLETED";
    public const string TransactionRefunded = "TRANSACTION_ALREADY_REFUNDED";
    public const string TransactionNotAuthorizable = "TRANSACTION_NOT_AUTHORIZABLE";
    public const string AuthorizationNotRequired = "AUTHORIZATION_NOT_REQUIRED";

    /// <summary>How the merchant integrates [doc: hosted checkout, or its own direct calls; the hosted one gets a payment link].</summary>
    public static readonly IReadOnlyList<string> IntegrationTypes = ["hosted", "direct"];

    public static readonly IReadOnlyList<string> SessionStates = [Open, Processing, Completed, Expired, PendingCancellation, Cancelled];

    public static readonly Lifecycle Sessions = new(
        name: "crisscross.session",
        states: SessionStates,
        terminal: [Completed, Expired, Cancelled],
        commands: [Pay, AttemptEnded, Paid, Expire, Cancel],
        refusedByDefault: SessionStateConflict,
        table:
        [
            // state              command        rule
            (Open,                Pay,           Rule.Go(Processing)),
            (Processing,          Pay,           Rule.Refuse(TransactionInProgress)),   // one active transaction [doc]
            (PendingCancellation, Pay,           Rule.Refuse(SessionLocked)),
            (Cancelled,           Pay,           Rule.Refuse(SessionLocked)),
            (Completed,           Pay,           Rule.Refuse(SessionCompleted)),
            (Expired,             Pay,           Rule.Refuse(SessionExpired)),

            (Processing,          AttemptEnded,  Rule.Go(Open)),                          // the payer may try again [ours]
            (Processing,          Paid,          Rule.Go(Completed, EventSessionCompleted)),

            (Open,                Expire,        Rule.Go(Expired, EventSessionExpired)),
            (Expired,             Expire,        Rule.Done),

            (Open,                Cancel,        Rule.Go(Cancelled, EventSessionCancelled, PendingCancellation, EventSessionPendingCancellation)),
            (Processing,          Cancel,        Rule.Go(Cancelled, EventSessionCancelled, PendingCancellation, EventSessionPendingCancellation)),
            (PendingCancellation, Cancel,        Rule.Done),                              // current lists [ours]
            (Cancelled,           Cancel,        Rule.Done),                              // same body [ours]
            (Completed,           Cancel,        Rule.Refuse(SessionNotCancellable)),
            (Expired,             Cancel,        Rule.Refuse(SessionNotCancellable)),
        ]);

    /// <summary>A transaction's flight: in flight until the provider (or the cascade) ends it.</summary>
    public static readonly Lifecycle Transactions = new(
        name: "crisscross.transaction",
        states: [Pending, Processing, Completed, Settled, Failed, Errored, Cancelled, Expired, Refunded],
        terminal: [Completed, Settled, Failed, Errored, Cancelled, Expired, Refunded],
        commands: [Process, Complete, Fail, Error, Expire, Cancel, Authorize],
        refusedByDefault: TransactionNotInFlight,
        table:
        [
            // The merchant submits the payer's authorisation (a 3-D Secure challenge, a redirect) [doc]; the
            // provider then processes it; a repeat changes nothing; an ended transaction has nothing to authorise
            // [ours: 422, the one refusal status the doc lists besides 400].
            (Pending,    Authorize, Rule.Go(Processing)),
            (Processing, Authorize, Rule.Done),
            (Completed,  Authorize, Rule.Refuse(TransactionNotAuthorizable)),
            (Settled,    Authorize, Rule.Refuse(TransactionNotAuthorizable)),
            (Failed,     Authorize, Rule.Refuse(TransactionNotAuthorizable)),
            (Errored,    Authorize, Rule.Refuse(TransactionNotAuthorizable)),
            (Cancelled,  Authorize, Rule.Refuse(TransactionNotAuthorizable)),
            (Expired,    Authorize, Rule.Refuse(TransactionNotAuthorizable)),
            (Refunded,   Authorize, Rule.Refuse(TransactionNotAuthorizable)),

            (Pending,    Process,  Rule.Go(Processing)),
            (Processing, Process,  Rule.Done),
            (Pending,    Complete, Rule.Go(Completed, EventCompleted)),
            (Processing, Complete, Rule.Go(Completed, EventCompleted)),
            (Completed,  Complete, Rule.Done),
            (Pending,    Fail,     Rule.Go(Failed, EventFailed)),
            (Processing, Fail,     Rule.Go(Failed, EventFailed)),
            (Failed,     Fail,     Rule.Done),
            (Pending,    Error,    Rule.Go(Errored, EventErrored)),
            (Processing, Error,    Rule.Go(Errored, EventErrored)),
            (Errored,    Error,    Rule.Done),
            (Pending,    Expire,   Rule.Go(Expired, EventExpired)),
            (Processing, Expire,   Rule.Go(Expired, EventExpired)),
            (Expired,    Expire,   Rule.Done),
            (Pending,    Cancel,   Rule.Go(Cancelled, EventCancelled)),
            (Processing, Cancel,   Rule.Go(Cancelled, EventCancelled)),
            (Cancelled,  Cancel,   Rule.Done),
        ]);

    /// <summary>The money of a completed transaction: settlement and the full refund (partial refunds change
    /// the refunded amount, not the state).</summary>
    public static readonly Lifecycle Money = new(
        name: "crisscross.transaction.money",
        states: [Completed, Settled, Refunded],
        terminal: [Refunded],
        commands: [Settle, Refund],
        refusedByDefault: TransactionRefunded,
        table:
        [
            (Completed, Settle, Rule.Go(Settled, EventSettled)),
            (Settled,   Settle, Rule.Done),
            (Completed, Refund, Rule.Go(Refunded, EventRefunded)),
            (Settled,   Refund, Rule.Go(Refunded, EventRefunded)),
        ]);

    /// <summary>The payment methods a transaction may name, by the vendor's <c>paymentMethodId</c> [doc: <c>card</c>,
    /// <c>mobilemoney</c>, and <c>banktransfer</c> as its Payouts pages name it; ours: the registry]: card stops in
    /// flight, mobile money cannot and its prompt times out after 120 s (doc: 60–120 s).</summary>
    public static readonly IReadOnlyList<Provider> Providers =
    [
        new(Card, SupportsInFlightCancel: true, PromptTimeout: null),
        new(MobileMoney, SupportsInFlightCancel: false, PromptTimeout: TimeSpan.FromSeconds(120)),
        new(BankTransfer, SupportsInFlightCancel: true, PromptTimeout: null),
    ];

    public const string Card = "card";
    public const string MobileMoney = "mobilemoney";
    public const string BankTransfer = "banktransfer";

    /// <summary>Rescind's earlier spellings, still accepted and read as the vendor's [ours].</summary>
    private static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["mobile_money"] = MobileMoney,
        ["bank_transfer"] = BankTransfer,
    };

    /// <summary>The vendor's name for a payment method, or null when it names none.</summary>
    public static string? PaymentMethodId(string name) =>
        Aliases.TryGetValue(name, out var canonical) ? canonical : Providers.Any(p => p.Name == name) ? name : null;

    public static Provider? FindProvider(string name) => PaymentMethodId(name) is { } id ? Providers.First(p => p.Name == id) : null;

    public static bool CanStop(string provider) => FindProvider(provider)?.SupportsInFlightCancel ?? false;

    /// <summary>The mobile-money operators [doc: the payouts guide's operator enum, the same names Collect's
    /// paymentDetails.operator takes].</summary>
    public static readonly IReadOnlyList<string> Operators =
        ["airtel", "airteltigo", "celtiis", "fawry", "free", "halotel", "moov", "mpesa", "mtn", "opay", "orange", "tigo", "vodacom", "wave", "zamtel"];

    /// <summary>The operators by the payer's country (payerDetails.location) [doc: the mobile-money guide's table,
    /// as far as it was read; ours: a country not listed, or no location, offers every operator].</summary>
    private static readonly IReadOnlyDictionary<string, string[]> OperatorsByCountry = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["BEN"] = ["moov", "celtiis", "wave"],
        ["BFA"] = ["moov", "orange", "wave"],
        ["CMR"] = ["mtn", "orange"],
        ["CIV"] = ["mtn", "orange", "moov", "wave"],
        ["GAB"] = ["airtel", "moov"],
        ["GHA"] = ["airteltigo"],
        ["KEN"] = ["mpesa"],
        ["NGA"] = ["mtn"],
    };

    public static IReadOnlyList<string> OperatorsFor(string? location) =>
        location is not null && OperatorsByCountry.TryGetValue(location, out var list) ? list : Operators;

    public const string OperatorNotAvailable = "OPERATOR_NOT_AVAILABLE";
    public const string OriginalTransactionRequired = "ORIGINAL_TRANSACTION_REQUIRED";
    public const string CurrencyMismatch = "CURRENCY_MISMATCH";
    public const string RefundNotPending = "REFUND_NOT_PENDING";

    // A refund's states [doc: PENDING first; ours: SUCCEEDED and FAILED, from the refund.succeeded and refund.failed events].
    public const string RefundPending = "PENDING";
    public const string RefundSucceeded = "SUCCEEDED";
    public const string RefundFailed = "FAILED";
    public const string EventRefundSucceeded = "refund.succeeded";
    public const string EventRefundFailed = "refund.failed";

    /// <summary>A pending refund ends once: the same answer again is a no-op, the other answer is refused.</summary>
    public static Decision DecideRefund(string state, string to) =>
        state == RefundPending ? new Decision.Transitioned(state, to, null, [])
        : state == to ? new Decision.AlreadyDone(state)
        : new Decision.Refused(state, RefundNotPending);

    /// <summary>Whether a mobile-money operator serves the payer's country (no operator named: nothing to check).</summary>
    public static bool OperatorAvailable(string? location, string? op) => op is null || OperatorsFor(location).Contains(op);

    /// <summary>The decision for a transaction command: flight commands on the flight table, settle and refund on
    /// the money table (a transaction that never completed is refused).</summary>
    public static Decision DecideTransaction(string state, string command) => command switch
    {
        Settle or Refund when !Money.States.Contains(state) => new Decision.Refused(state, TransactionNotCompleted),
        Settle or Refund => Money.Decide(state, command),
        _ => Transactions.Decide(state, command),
    };

    /// <summary>An open session whose <c>expiresAt</c> has passed is expired, whether or not the expiry job has
    /// written that yet [ours: a session with a transaction in flight lets it finish].</summary>
    public static bool HasExpired(string state, long expiresAt, long now) => state == Open && expiresAt <= now;

    public static string PublicStatus(string state, long expiresAt, long now) => HasExpired(state, expiresAt, now) ? Expired : state;

    /// <summary>What the session does when its in-flight transaction ends with <paramref name="transactionState"/>
    /// and the session is not waiting for a cancellation.</summary>
    public static string SessionCommandFor(string transactionState) => transactionState == Completed ? Paid : AttemptEnded;
}
