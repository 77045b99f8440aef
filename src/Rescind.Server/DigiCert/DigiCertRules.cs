using Rescind.Core.Lifecycles;

namespace Rescind.Server.DigiCert;

/// <summary>The certificate order's and the approval request's lifecycles as data. Pure: no I/O.</summary>
public static class DigiCertRules
{
    // Order statuses [doc].
    public const string NeedsApproval = "needs_approval";
    public const string Pending = "pending";
    public const string WaitingPickup = "waiting_pickup";
    public const string ReissuePending = "reissue_pending";
    public const string Issued = "issued";
    public const string Canceled = "canceled";
    public const string Rejected = "rejected";
    public const string Revoked = "revoked";
    public const string Expired = "expired";

    // Request statuses [doc]. Rejected is shared with the order's vocabulary.
    public const string Submitted = "submitted";
    public const string Approved = "approved";

    // Order commands.
    public const string Approve = "approve";                  // approver approves; order placed, waits for validation
    public const string ApproveToPickup = "approve_to_pickup"; // … a client certificate without CSR: emailed to the recipient
    public const string Reject = "reject";
    public const string Cancel = "cancel";
    public const string Validate = "validate";                // CA validates (TLS) / recipient validates their email
    public const string Generate = "generate";                // recipient generates the certificate from the emailed link
    public const string Reissue = "reissue";
    public const string Revoke = "revoke";
    public const string Expire = "expire";

    // Events: certificate_issued, certificate_revoked, order_rejected [doc]; the rest [ours].
    public const string EventCreated = "order_created";
    public const string EventApproved = "order_approved";
    public const string EventRejected = "order_rejected";
    public const string EventCanceled = "order_canceled";
    public const string EventIssued = "certificate_issued";
    public const string EventReissueRequested = "reissue_requested";
    public const string EventRevoked = "certificate_revoked";
    public const string EventExpired = "certificate_expired";

    public const string InvalidOrderStatus = "invalid_status|order";
    public const string InvalidRequestStatus = "invalid_status|request";

    public static readonly IReadOnlyList<string> OrderStatuses =
        [NeedsApproval, Pending, WaitingPickup, ReissuePending, Issued, Canceled, Rejected, Revoked, Expired];

    public static readonly IReadOnlyList<string> RequestStatuses = [Submitted, Pending, Approved, Rejected];

    public static readonly Lifecycle Orders = new(
        name: "digicert.order",
        states: OrderStatuses,
        terminal: [Canceled, Rejected, Revoked, Expired],
        commands: [Approve, ApproveToPickup, Reject, Cancel, Validate, Generate, Reissue, Revoke, Expire],
        refusedByDefault: InvalidOrderStatus,
        table:
        [
            // state          command          rule
            (NeedsApproval,  Approve,         Rule.Go(Pending, EventApproved)),
            (NeedsApproval,  ApproveToPickup, Rule.Go(WaitingPickup, EventApproved)),
            (NeedsApproval,  Reject,          Rule.Go(Rejected, EventRejected)),
            (Rejected,       Reject,          Rule.Done),

            // Cancel only before issuance [doc]; a pending reissue is canceled back to issued [doc].
            (Pending,        Cancel,          Rule.Go(Canceled, EventCanceled)),
            (WaitingPickup,  Cancel,          Rule.Go(Canceled, EventCanceled)),
            (ReissuePending, Cancel,          Rule.Go(Issued, EventCanceled)),
            // The approver rejects an unplaced order before it can be canceled [doc]; the cancel after that is
            // answered as done: the rejection already took the order out of the system [ours].
            (Rejected,       Cancel,          Rule.Done),
            // needs_approval, issued, revoked, expired, canceled: refused by default [doc; code ours].

            (Pending,        Validate,        Rule.Go(Issued, EventIssued)),
            (ReissuePending, Validate,        Rule.Go(Issued, EventIssued)),
            (WaitingPickup,  Generate,        Rule.Go(Issued, EventIssued)),
            (ReissuePending, Generate,        Rule.Go(Issued, EventIssued)),

            (Issued,         Reissue,         Rule.Go(ReissuePending, EventReissueRequested)),
            (Issued,         Revoke,          Rule.Go(Revoked, EventRevoked)),
            (Issued,         Expire,          Rule.Go(Expired, EventExpired)),
            (ReissuePending, Expire,          Rule.Go(Expired, EventExpired)),  // [ours] the reissue dies with it
            (Expired,        Expire,          Rule.Done),
        ]);

    public static readonly Lifecycle Requests = new(
        name: "digicert.request",
        states: RequestStatuses,
        terminal: [Approved, Rejected],
        commands: [Approve, Reject],
        refusedByDefault: InvalidRequestStatus,
        table:
        [
            (Submitted, Approve, Rule.Go(Approved)),
            (Pending,   Approve, Rule.Go(Approved)),
            (Approved,  Approve, Rule.Done),
            (Submitted, Reject,  Rule.Go(Rejected)),
            (Pending,   Reject,  Rule.Go(Rejected)),
            (Rejected,  Reject,  Rule.Done),
        ]);

    public const string TlsType = "ssl_certificate";
    public const string ClientType = "client_certificate";

    /// <summary>The products we sell [doc: DigiCert's product identifiers; ours: which subset].</summary>
    public static readonly IReadOnlyDictionary<string, (string Name, string Type)> Products = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["ssl_basic"] = ("Basic OV", TlsType),
        ["ssl_ev_basic"] = ("Basic EV", TlsType),
        ["ssl_plus"] = ("Standard SSL", TlsType),
        ["ssl_wildcard"] = ("Wildcard SSL", TlsType),
        ["ssl_multi_domain"] = ("Multi-Domain SSL", TlsType),
        ["ssl_securesite_flex"] = ("Secure Site OV", TlsType),
        ["client_premium"] = ("Premium", ClientType),
        ["client_email_security_plus"] = ("Email Security Plus", ClientType),
        ["client_authentication_plus"] = ("Authentication Plus", ClientType),
        ["client_digital_signature_plus"] = ("Digital Signature Plus", ClientType),
        // The current S/MIME products [doc], ordered and issued like client certificates [ours].
        [SecureEmailMailbox] = ("Secure Email for Individual", ClientType),
        [SecureEmailSponsor] = ("Secure Email for Business", ClientType),
        [SecureEmailOrganization] = ("Secure Email for Organization", ClientType),
        [Class1Smime] = ("Class 1 S/MIME", ClientType),
    };

    public const string SecureEmailMailbox = "secure_email_mailbox";
    public const string SecureEmailSponsor = "secure_email_sponsor";
    public const string SecureEmailOrganization = "secure_email_organization";
    public const string Class1Smime = "class1_smime";

    /// <summary>The S/MIME products, whose common name is derived where the body gives none.</summary>
    public static bool IsSmime(string productNameId) =>
        productNameId is SecureEmailMailbox or SecureEmailSponsor or SecureEmailOrganization or Class1Smime;

    /// <summary>Where an approved order goes: a client certificate without a CSR is emailed to its recipient [doc].</summary>
    public static string ApproveCommand(string productType, bool hasCsr) =>
        productType == ClientType && !hasCsr ? ApproveToPickup : Approve;

    /// <summary>The initial status of an order placed without an approval step [doc].</summary>
    public static string PlacedStatus(string productType, bool hasCsr) =>
        productType == ClientType && !hasCsr ? WaitingPickup : Pending;

    /// <summary>How a pending reissue completes [ours]: a client certificate without a CSR is generated by its
    /// recipient from the emailed link; everything else is validated.</summary>
    public static string ReissueCompletion(string productType, bool hasCsr) =>
        productType == ClientType && !hasCsr ? Generate : Validate;

    /// <summary>The order's decision for a command, with the one guard the table cannot express: a pending reissue
    /// completes only the way its product completes.</summary>
    public static Decision DecideOrder(string status, string productType, bool hasCsr, string command)
    {
        if (status == ReissuePending && command is Validate or Generate && command != ReissueCompletion(productType, hasCsr))
        {
            return new Decision.Refused(status, InvalidOrderStatus);
        }
        return Orders.Decide(status, command);
    }
}
