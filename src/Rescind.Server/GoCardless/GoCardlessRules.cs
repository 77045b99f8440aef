using System.Security.Cryptography;
using Rescind.Core.Lifecycles;

namespace Rescind.Server.GoCardless;

/// <summary>A billing request action as stored on the request: its type, whether it is required, its status and
/// the actions it depends on [sdk].</summary>
public sealed record BillingAction(string Type, bool Required, string Status, IReadOnlyList<string> CompletesActions, IReadOnlyList<string> RequiresActions)
{
    public bool Completed => Status == GoCardlessRules.ActionCompleted;
}

/// <summary>The billing request and flow lifecycles as data, and the pure rules around actions. No I/O.</summary>
public static class GoCardlessRules
{
    public const string Pending = "pending";
    public const string ReadyToFulfil = "ready_to_fulfil";
    public const string Fulfilling = "fulfilling";
    public const string Fulfilled = "fulfilled";
    public const string Cancelled = "cancelled";

    // Commands on a billing request.
    public const string Cancel = "cancel";
    public const string Act = "act";          // an action completes; the request still waits for others
    public const string Ready = "ready";      // the last required action completes
    public const string StartFulfilling = "start_fulfilling";
    public const string Fulfil = "fulfil";
    public const string Notify = "notify";
    public const string Fallback = "fallback";

    // Flow states and command.
    public const string FlowActive = "active";
    public const string FlowExpired = "expired";
    public const string Expire = "expire";

    // Refusal reasons [ours, except cancellation_failed which GoCardless uses for refused cancels elsewhere].
    public const string CancellationFailed = "cancellation_failed";
    public const string NotPending = "billing_request_not_pending";
    public const string NotReady = "billing_request_not_ready_to_fulfil";

    public const string ActionPending = "pending";
    public const string ActionCompleted = "completed";

    public const string CollectCustomerDetails = "collect_customer_details";
    public const string CollectBankAccount = "collect_bank_account";
    public const string ConfirmPayerDetails = "confirm_payer_details";
    public const string BankAuthorisation = "bank_authorisation";

    public static readonly IReadOnlyList<string> States = [Pending, ReadyToFulfil, Fulfilling, Fulfilled, Cancelled];

    public static readonly Lifecycle Requests = new(
        name: "gocardless.billing_request",
        states: States,
        terminal: [Fulfilled, Cancelled],
        commands: [Cancel, Act, Ready, StartFulfilling, Fulfil, Notify, Fallback],
        refusedByDefault: NotPending,
        table:
        [
            // state          command           rule
            (Pending,        Cancel,           Rule.Go(Cancelled, "cancelled")),
            (ReadyToFulfil,  Cancel,           Rule.Go(Cancelled, "cancelled")),           // [ours]
            (Fulfilling,     Cancel,           Rule.Refuse(CancellationFailed)),
            (Fulfilled,      Cancel,           Rule.Refuse(CancellationFailed)),
            (Cancelled,      Cancel,           Rule.Refuse(CancellationFailed)),            // [ours] not idempotent: 422

            (Pending,        Act,              Rule.Go(Pending)),
            (ReadyToFulfil,  Act,              Rule.Go(ReadyToFulfil)),                     // details may be corrected
            (Pending,        Ready,            Rule.Go(ReadyToFulfil)),
            (ReadyToFulfil,  Ready,            Rule.Go(ReadyToFulfil)),

            (ReadyToFulfil,  StartFulfilling,  Rule.Go(Fulfilling)),                        // simulation only
            (Fulfilling,     StartFulfilling,  Rule.Done),
            (Pending,        StartFulfilling,  Rule.Refuse(NotReady)),

            (ReadyToFulfil,  Fulfil,           Rule.Go(Fulfilled, "fulfilled")),
            (Fulfilling,     Fulfil,           Rule.Go(Fulfilled, "fulfilled")),
            (Pending,        Fulfil,           Rule.Refuse(NotReady)),
            (Fulfilled,      Fulfil,           Rule.Refuse(NotReady)),
            (Cancelled,      Fulfil,           Rule.Refuse(NotReady)),

            (Pending,        Notify,           Rule.Go(Pending)),
            (Pending,        Fallback,         Rule.Go(Pending)),
            (ReadyToFulfil,  Fallback,         Rule.Go(ReadyToFulfil)),
        ]);

    /// <summary>A flow is a child of its billing request: cancelling the request expires every active flow.</summary>
    public static readonly Lifecycle Flows = new(
        name: "gocardless.billing_request_flow",
        states: [FlowActive, FlowExpired],
        terminal: [FlowExpired],
        commands: [Expire],
        refusedByDefault: "billing_request_flow_expired",
        table:
        [
            (FlowActive,  Expire, Rule.Go(FlowExpired)),
            (FlowExpired, Expire, Rule.Done),
        ]);

    /// <summary>Billing request flows live 7 days [doc].</summary>
    public static readonly TimeSpan FlowLifetime = TimeSpan.FromDays(7);

    /// <summary>A flow past its <c>expires_at</c> is expired whether or not the expiry job has written it yet.</summary>
    public static string FlowState(string stored, long expiresAt, long now) => stored == FlowActive && expiresAt <= now ? FlowExpired : stored;

    /// <summary>The actions a new request needs: a mandate needs the payer's details, bank account and
    /// confirmation; a payment needs the payer's details and a bank authorisation [ours, after the sdk's types].</summary>
    public static IReadOnlyList<BillingAction> InitialActions(bool mandate, bool payment)
    {
        var actions = new List<BillingAction>
        {
            new(CollectCustomerDetails, true, ActionPending, [], []),
        };
        if (mandate)
        {
            actions.Add(new(CollectBankAccount, true, ActionPending, [], [CollectCustomerDetails]));
            actions.Add(new(ConfirmPayerDetails, true, ActionPending, [], [CollectCustomerDetails, CollectBankAccount]));
        }
        if (payment)
        {
            actions.Add(new(BankAuthorisation, true, ActionPending, [], mandate ? [ConfirmPayerDetails] : [CollectCustomerDetails]));
        }
        return actions;
    }

    // ---- what fulfil creates: mandates and payments -------------------------------------------------------

    /// <summary>A mandate or payment fulfil creates starts here [doc]; only GoCardless (the simulation) moves it on.</summary>
    public const string PendingSubmission = "pending_submission";

    /// <summary>Mandate states as the official client's types list them [sdk].</summary>
    public static readonly IReadOnlyList<string> MandateStates =
    [
        "pending_customer_approval", PendingSubmission, "submitted", "active", "failed", "cancelled", "expired", "consumed", "blocked", "suspended_by_payer",
    ];

    /// <summary>Payment states as the official client's types list them [sdk].</summary>
    public static readonly IReadOnlyList<string> PaymentStates =
    [
        "pending_customer_approval", PendingSubmission, "submitted", "confirmed", "paid_out", "cancelled", "customer_approval_denied", "failed", "charged_back",
    ];

    public const string PendingCustomerApproval = "pending_customer_approval";
    public const string Submitted = "submitted";
    public const string Active = "active";
    public const string Failed = "failed";
    public const string Confirmed = "confirmed";

    // GoCardless's moves of mandates and payments (the simulation's), besides the API's cancel.
    public const string Submit = "submit";
    public const string Activate = "activate";
    public const string Fail = "fail";
    public const string Confirm = "confirm";

    /// <summary>A simulated move from a state it does not apply to [ours].</summary>
    public const string InvalidTransition = "invalid_state_transition";

    /// <summary>
    /// Mandates [doc: cancel "immediately cancels a mandate", and fails with cancellation_failed once it is cancelled;
    /// ours: also once it failed, expired, was consumed or blocked, as none of those can take payments]. Cancelling
    /// a mandate cancels its payments that can still be cancelled in the same decision (see <see cref="Payments"/>).
    /// </summary>
    public static readonly Lifecycle Mandates = new(
        name: "gocardless.mandate",
        states: MandateStates,
        terminal: [Cancelled, Failed, "expired", "consumed", "blocked"],
        commands: [Cancel, Submit, Activate, Fail],
        refusedByDefault: InvalidTransition,
        table:
        [
            // state                  command    rule
            (PendingCustomerApproval, Cancel,    Rule.Go(Cancelled, "cancelled")),
            (PendingSubmission,       Cancel,    Rule.Go(Cancelled, "cancelled")),
            (Submitted,               Cancel,    Rule.Go(Cancelled, "cancelled")),
            (Active,                  Cancel,    Rule.Go(Cancelled, "cancelled")),
            ("suspended_by_payer",    Cancel,    Rule.Go(Cancelled, "cancelled")),
            (Cancelled,               Cancel,    Rule.Refuse(CancellationFailed)),
            (Failed,                  Cancel,    Rule.Refuse(CancellationFailed)),
            ("expired",               Cancel,    Rule.Refuse(CancellationFailed)),
            ("consumed",              Cancel,    Rule.Refuse(CancellationFailed)),
            ("blocked",               Cancel,    Rule.Refuse(CancellationFailed)),

            (PendingSubmission,       Submit,    Rule.Go(Submitted, "submitted")),
            (Submitted,               Activate,  Rule.Go(Active, "active")),
            (PendingSubmission,       Fail,      Rule.Go(Failed, "failed")),
            (Submitted,               Fail,      Rule.Go(Failed, "failed")),
        ]);

    /// <summary>
    /// Payments [doc: cancel "fails with cancellation_failed unless the payment's status is pending_submission"].
    /// Submission to the banks (the simulation's <c>submit</c>) is what moves a payment past the point of cancel.
    /// </summary>
    public static readonly Lifecycle Payments = new(
        name: "gocardless.payment",
        states: PaymentStates,
        terminal: [Cancelled, "customer_approval_denied", Failed, "charged_back"],
        commands: [Cancel, Submit, Confirm],
        refusedByDefault: InvalidTransition,
        table:
        [
            (PendingSubmission,       Cancel,    Rule.Go(Cancelled, "cancelled")),
            (PendingCustomerApproval, Cancel,    Rule.Refuse(CancellationFailed)),
            (Submitted,               Cancel,    Rule.Refuse(CancellationFailed)),
            (Confirmed,               Cancel,    Rule.Refuse(CancellationFailed)),
            ("paid_out",              Cancel,    Rule.Refuse(CancellationFailed)),
            (Cancelled,               Cancel,    Rule.Refuse(CancellationFailed)),
            ("customer_approval_denied", Cancel, Rule.Refuse(CancellationFailed)),
            (Failed,                  Cancel,    Rule.Refuse(CancellationFailed)),
            ("charged_back",          Cancel,    Rule.Refuse(CancellationFailed)),

            (PendingSubmission,       Submit,    Rule.Go(Submitted, "submitted")),
            (Submitted,               Confirm,   Rule.Go(Confirmed, "confirmed")),
        ]);

    /// <summary>Whether a mandate's cancel takes this payment with it: those the payment's own cancel would take.</summary>
    public static bool CancelledWithMandate(string paymentState) => Payments.RuleFor(paymentState, Cancel).Verdict == Verdict.Go;

    /// <summary>The Direct Debit scheme of a mandate in <paramref name="currency"/> when the request named none [ours:
    /// each currency's home scheme].</summary>
    public static string SchemeFor(string currency) => currency switch
    {
        "EUR" => "sepa_core",
        "SEK" => "autogiro",
        "DKK" => "betalingsservice",
        "AUD" => "becs",
        "NZD" => "becs_nz",
        "USD" => "ach",
        "CAD" => "pad",
        _ => "bacs",
    };

    /// <summary>The first day a new mandate can be charged: three working days (Monday to Friday) after
    /// <paramref name="nowMs"/>, as a date [ours: one lead time for every scheme, no bank holidays].</summary>
    public static string NextPossibleChargeDate(long nowMs)
    {
        var day = DateOnly.FromDateTime(Rescind.Core.Time.FromUnixMs(nowMs).UtcDateTime);
        for (var left = 3; left > 0;)
        {
            day = day.AddDays(1);
            if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                left--;
            }
        }
        return Date(day);
    }

    /// <summary>The UTC date of <paramref name="nowMs"/>, as GoCardless writes dates (<c>2026-01-31</c>).</summary>
    public static string Today(long nowMs) => Date(DateOnly.FromDateTime(Rescind.Core.Time.FromUnixMs(nowMs).UtcDateTime));

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A mandate's reference when the request gave none [ours]: <c>RESCIND-</c> and the id's random part.</summary>
    public static string MandateReference(string mandateId) => "RESCIND-" + mandateId[4..];

    public enum ActionProblem
    {
        None,
        NotRequired,
        RequirementsNotMet,
    }

    /// <summary>Completes <paramref name="type"/>: the new action list and the command it amounts to (Act, or Ready
    /// when it was the last required one), or why it cannot.</summary>
    public static (IReadOnlyList<BillingAction> Actions, string Command, ActionProblem Problem) Complete(IReadOnlyList<BillingAction> actions, string type)
    {
        var action = actions.FirstOrDefault(a => a.Type == type);
        if (action is null)
        {
            return (actions, Act, ActionProblem.NotRequired);
        }
        var done = actions.Where(a => a.Completed).Select(a => a.Type).ToHashSet(StringComparer.Ordinal);
        if (action.RequiresActions.Any(r => !done.Contains(r)))
        {
            return (actions, Act, ActionProblem.RequirementsNotMet);
        }
        var next = actions.Select(a => a.Type == type ? a with { Status = ActionCompleted } : a).ToList();
        return (next, next.All(a => !a.Required || a.Completed) ? Ready : Act, ActionProblem.None);
    }

    private const string Base32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>A GoCardless-style id: the prefix, two zeros, then 10 random Crockford base32 characters
    /// (<c>BRQ00…</c>, 12 characters after the prefix as in the vendor's examples).</summary>
    public static string NewId(string prefix)
    {
        Span<char> chars = stackalloc char[12];
        chars[0] = '0';
        chars[1] = '0';
        for (var i = 2; i < chars.Length; i++)
        {
            chars[i] = Base32[RandomNumberGenerator.GetInt32(Base32.Length)];
        }
        return prefix + new string(chars);
    }

    public static bool LooksLike(string? id, string prefix) =>
        id is not null && id.Length == prefix.Length + 12 && id.StartsWith(prefix, StringComparison.Ordinal)
        && id.AsSpan(prefix.Length).IndexOfAnyExcept(Base32) < 0;

    /// <summary>Events carry the outbox row's number as their id (<c>EV</c> + 12 base32 digits), so they sort in
    /// the order they were written.</summary>
    public static string EventId(long outboxId)
    {
        Span<char> chars = stackalloc char[12];
        var v = outboxId;
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = Base32[(int)(v & 31)];
            v >>= 5;
        }
        return "EV" + new string(chars);
    }

    public static long? OutboxId(string? eventId)
    {
        if (!LooksLike(eventId, "EV"))
        {
            return null;
        }
        long v = 0;
        foreach (var ch in eventId.AsSpan(2))
        {
            v = (v << 5) | (long)Base32.IndexOf(ch, StringComparison.Ordinal);
        }
        return v;
    }
}
