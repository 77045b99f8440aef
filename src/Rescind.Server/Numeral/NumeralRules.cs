using Rescind.Core.Lifecycles;

namespace Rescind.Server.Numeral;

/// <summary>The certificate request's lifecycle as data, and the time rules around it. Pure: no I/O.</summary>
public static class NumeralRules
{
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Fulfilled = "fulfilled";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
    public const string Invalid = "invalid";

    public const string Cancel = "cancel";
    public const string Submit = "submit";
    public const string Accept = "accept";
    public const string Reject = "reject";
    public const string Expire = "expire";

    public const string EventCreated = "tax.certificate_request.created";
    public const string EventSubmitted = "tax.certificate_request.submitted";
    public const string EventFulfilled = "tax.certificate_request.fulfilled";
    public const string EventInvalid = "tax.certificate_request.invalid";
    public const string EventCanceled = "tax.certificate_request.canceled";

    public const string AlreadyFulfilled = "REQUEST_ALREADY_FULFILLED";
    public const string RequestInvalid = "REQUEST_INVALID";
    public const string NotPending = "REQUEST_NOT_PENDING";
    public const string NotProcessing = "REQUEST_NOT_PROCESSING";
    public const string NotDue = "REQUEST_NOT_EXPIRED";

    /// <summary>Public vocabulary: processing shows as pending, failed as invalid [doc].</summary>
    public static readonly IReadOnlyList<string> PublicStates = [Pending, Fulfilled, Canceled, Invalid];

    public static readonly Lifecycle Requests = new(
        name: "numeral.certificate_request",
        states: [Pending, Processing, Fulfilled, Failed, Canceled, Invalid],
        terminal: [Fulfilled, Failed, Canceled, Invalid],
        commands: [Cancel, Submit, Accept, Reject, Expire],
        projection: new Dictionary<string, string> { [Processing] = Pending, [Failed] = Invalid },
        refusedByDefault: NotPending,
        table:
        [
            // state       command  rule
            (Pending,    Cancel, Rule.Go(Canceled, EventCanceled)),
            (Processing, Cancel, Rule.Go(Canceled, EventCanceled)), // [ours] looks pending to the caller
            (Canceled,   Cancel, Rule.Done),                        // terminal and idempotent [doc]
            (Fulfilled,  Cancel, Rule.Refuse(AlreadyFulfilled)),
            (Invalid,    Cancel, Rule.Refuse(RequestInvalid)),
            (Failed,     Cancel, Rule.Refuse(RequestInvalid)),       // shows as invalid [doc]

            (Pending,    Submit, Rule.Go(Processing, EventSubmitted)),
            (Processing, Submit, Rule.Done),

            (Processing, Accept, Rule.Go(Fulfilled, EventFulfilled)),
            (Fulfilled,  Accept, Rule.Done),
            (Pending,    Accept, Rule.Refuse(NotProcessing)),

            (Processing, Reject, Rule.Go(Failed, EventInvalid)),
            (Failed,     Reject, Rule.Done),
            (Pending,    Reject, Rule.Refuse(NotProcessing)),

            (Pending,    Expire, Rule.Go(Invalid, EventInvalid)),
            (Invalid,    Expire, Rule.Done),
        ]);

    /// <summary>
    /// A pending request whose <c>expires_at</c> has passed is invalid, whether or not the expiry job has written
    /// that yet [ours: a customer mid-submission (processing) is let finish].
    /// </summary>
    public static bool HasExpired(string state, long? expiresAt, long now) => state == Pending && expiresAt is { } e && e <= now;

    public static string PublicStatus(string state, long? expiresAt, long now) =>
        Requests.Project(HasExpired(state, expiresAt, now) ? Invalid : state);

    /// <summary>The decision for <paramref name="command"/> at <paramref name="now"/>: first the expiry that is due
    /// (if any), then the command on the state that leaves.</summary>
    public static (Decision? Expiry, Decision Decision) Decide(string state, long? expiresAt, string command, long now)
    {
        if (command == Expire && state == Pending && !HasExpired(state, expiresAt, now))
        {
            return (null, new Decision.Refused(state, NotDue));
        }
        if (HasExpired(state, expiresAt, now) && command != Expire)
        {
            var expiry = Requests.Decide(state, Expire);
            return (expiry, Requests.Decide(Invalid, command));
        }
        return (null, Requests.Decide(state, command));
    }

    /// <summary>When the next reminder after <paramref name="after"/> is due, or null when the request expires first.</summary>
    public static long? NextReminder(long after, long? expiresAt, TimeSpan interval)
    {
        var next = after + (long)interval.TotalMilliseconds;
        return expiresAt is { } e && next >= e ? null : next;
    }

    /// <summary>The internal states a public status filter selects.</summary>
    public static IReadOnlyList<string> InternalStatesFor(string publicStatus) => publicStatus switch
    {
        Pending => [Pending, Processing],
        Invalid => [Invalid, Failed],
        _ => [publicStatus],
    };
}
