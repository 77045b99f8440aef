using System.Text.Json;
using System.Text.Json.Nodes;
using Rescind.Core;

namespace Rescind.Server.GoCardless;

/// <summary>GoCardless's wire objects, snake_case, each wrapped in its resource key [sdk].</summary>
public static class GoCardlessJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(JsonNode node) => node.ToJsonString(Options);

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    public static string Wrap(string key, JsonNode value) => Write(new JsonObject { [key] = value });

    public static IReadOnlyList<BillingAction> Actions(string json) =>
        JsonSerializer.Deserialize<List<BillingAction>>(json, ActionOptions) ?? [];

    public static string Actions(IReadOnlyList<BillingAction> actions) => JsonSerializer.Serialize(actions, ActionOptions);

    private static readonly JsonSerializerOptions ActionOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The billing request as GET returns it. Cancelled and fulfilled requests show no actions [seed].</summary>
    public static JsonObject BillingRequest(BillingRequestRow row)
    {
        var body = Parse(row.Body);
        var actions = new JsonArray();
        if (row.Status is not (GoCardlessRules.Cancelled or GoCardlessRules.Fulfilled))
        {
            foreach (var a in Actions(row.Actions))
            {
                actions.Add(new JsonObject
                {
                    ["type"] = a.Type,
                    ["required"] = a.Required,
                    ["completes_actions"] = new JsonArray(a.CompletesActions.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                    ["requires_actions"] = new JsonArray(a.RequiresActions.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                    ["status"] = a.Status,
                });
            }
        }
        return new JsonObject
        {
            ["id"] = row.Id,
            ["created_at"] = Time.Iso(row.CreatedAt),
            ["status"] = row.Status,
            ["mandate_request"] = Clone(body["mandate_request"]),
            ["payment_request"] = Clone(body["payment_request"]),
            ["metadata"] = Clone(body["metadata"]) ?? new JsonObject(),
            ["links"] = Clone(body["links"]) ?? new JsonObject(),
            ["fallback_enabled"] = body["fallback_enabled"]?.GetValue<bool>() ?? false,
            ["fallback_occurred"] = body["fallback_occurred"]?.GetValue<bool>() ?? false,
            ["sign_flow_url"] = null,
            ["creditor_name"] = Clone(body["creditor_name"]),
            ["purpose_code"] = Clone(body["purpose_code"]),
            ["payment_context_code"] = Clone(body["payment_context_code"]),
            ["payment_purpose_code"] = Clone(body["payment_purpose_code"]),
            ["actions"] = actions,
            ["resources"] = Clone(body["resources"]) ?? new JsonObject(),
        };
    }

    public static JsonObject Flow(FlowRow row)
    {
        var body = Parse(row.Body);
        var o = new JsonObject
        {
            ["id"] = row.Id,
            ["created_at"] = Time.Iso(row.CreatedAt),
            ["expires_at"] = Time.Iso(row.ExpiresAt),
            ["session_token"] = row.SessionToken,
        };
        foreach (var (k, v) in body)
        {
            o[k] = Clone(v);
        }
        return o;
    }

    public static JsonObject Customer(CustomerRow row) => Stored(row.Id, row.CreatedAt, row.Body);

    /// <summary>A customer bank account, the same object the billing request shows in
    /// <c>resources.customer_bank_account</c>.</summary>
    public static JsonObject BankAccount(BankAccountRow row) => Stored(row.Id, row.CreatedAt, row.Body);

    public static JsonObject Mandate(MandateRow row) => Stored(row.Id, row.CreatedAt, row.Body, ("reference", row.Reference), ("status", row.Status));

    public static JsonObject Payment(PaymentRow row) => Stored(row.Id, row.CreatedAt, row.Body, ("status", row.Status));

    /// <summary>A stored resource: id and created_at, the columns that hold its state, then its document.</summary>
    private static JsonObject Stored(string id, long createdAt, string body, params (string Name, string Value)[] columns)
    {
        var o = new JsonObject { ["id"] = id, ["created_at"] = Time.Iso(createdAt) };
        foreach (var (name, value) in columns)
        {
            o[name] = value;
        }
        foreach (var (k, v) in Parse(body))
        {
            o[k] = Clone(v);
        }
        return o;
    }

    public static JsonObject Creditor(CreditorRow row) => new()
    {
        ["id"] = row.Id,
        ["created_at"] = Time.Iso(row.CreatedAt),
        ["name"] = row.Name,
        ["country_code"] = "GB",
        ["creditor_type"] = "company",
        ["verification_status"] = "successful",
        ["scheme_identifiers"] = new JsonArray(),
        ["logo_url"] = null,
        ["fx_payout_currency"] = null,
        ["links"] = new JsonObject(),
    };

    public static JsonObject Event(EventRow row)
    {
        var o = new JsonObject { ["id"] = GoCardlessRules.EventId(row.Id), ["created_at"] = Time.Iso(row.CreatedAt) };
        foreach (var (k, v) in Parse(row.Payload))
        {
            o[k] = Clone(v);
        }
        return o;
    }

    /// <summary>An event's payload as the outbox stores it (id and created_at come from the outbox row).</summary>
    public static string EventPayload(string resourceType, string action, string origin, string cause, string description, JsonObject links, JsonObject? metadata = null, JsonObject? resourceMetadata = null) =>
        Write(new JsonObject
        {
            ["resource_type"] = resourceType,
            ["action"] = action,
            ["details"] = new JsonObject { ["origin"] = origin, ["cause"] = cause, ["description"] = description },
            ["metadata"] = metadata ?? new JsonObject(),
            ["resource_metadata"] = resourceMetadata ?? new JsonObject(),
            ["links"] = links,
        });

    public static string List(string key, IEnumerable<JsonObject> items, string? before, string? after, int limit) =>
        Write(new JsonObject
        {
            [key] = new JsonArray(items.Select(i => (JsonNode?)i).ToArray()),
            ["meta"] = new JsonObject
            {
                ["cursors"] = new JsonObject { ["before"] = before, ["after"] = after },
                ["limit"] = limit,
            },
        });
}

// ---- the wire shapes as records, for the OpenAPI documents (snake_case there, as on the wire) [sdk] -------------
// The handlers build the same objects with GoCardlessJson above; these records name them field by field.

/// <summary>GoCardless's error envelope <c>{"error": {…}}</c> [sdk].</summary>
public sealed record GoCardlessErrorBody(GoCardlessError Error);

/// <param name="Type">invalid_api_usage, invalid_state, validation_failed or gocardless.</param>
/// <param name="Code">The HTTP status.</param>
public sealed record GoCardlessError(string Message, string DocumentationUrl, string Type, string? RequestId, IReadOnlyList<GoCardlessErrorDetail> Errors, int Code);

/// <param name="Reason">The specific code (absent on validation errors, which name a field instead).</param>
/// <param name="Links">e.g. <c>conflicting_resource_id</c> on idempotent_creation_conflict.</param>
public sealed record GoCardlessErrorDetail(string Message, string? Reason = null, string? Field = null, string? RequestPointer = null, IReadOnlyDictionary<string, string>? Links = null);

/// <summary><c>POST /billing_requests</c>: <c>{"billing_requests": {…}}</c>.</summary>
public sealed record BillingRequestsBody(NewBillingRequestBody BillingRequests);

/// <summary>At least one of mandate_request and payment_request.</summary>
public sealed record NewBillingRequestBody(
    MandateRequestInput? MandateRequest = null,
    PaymentRequestInput? PaymentRequest = null,
    BillingRequestLinksInput? Links = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    bool? FallbackEnabled = null,
    string? PurposeCode = null,
    string? PaymentContextCode = null,
    string? PaymentPurposeCode = null);

public sealed record MandateRequestInput(
    string Currency,
    string? Scheme = null,
    string? Verify = null,
    JsonElement? Constraints = null,
    string? Description = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    bool? Sweeping = null,
    string? AuthorisationSource = null,
    string? Reference = null,
    string? ConsentType = null,
    string? FundsSettlement = null);

/// <param name="Amount">In minor units (pence, cents).</param>
public sealed record PaymentRequestInput(
    long Amount,
    string Currency,
    string? Scheme = null,
    string? Description = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    long? AppFee = null,
    string? Reference = null,
    string? FundsSettlement = null);

/// <param name="Customer">An existing customer of the account (CU…); without it a customer is created.</param>
public sealed record BillingRequestLinksInput(string? Customer = null, string? Creditor = null);

/// <summary><c>POST /billing_requests/{id}/actions/{action}</c>: <c>{"data": {…}}</c> with the fields of the action in
/// the path (an empty body is <c>{"data": {}}</c>).</summary>
public sealed record BillingRequestActionBody(BillingRequestActionData? Data = null);

/// <summary>collect_customer_details: customer, customer_billing_detail. collect_bank_account: the bank account
/// fields. confirm_payer_details: metadata, payer_requested_dual_signature. notify: notification_type,
/// redirect_uri. cancel: metadata.</summary>
public sealed record BillingRequestActionData(
    CustomerDetailsInput? Customer = null,
    BillingDetailInput? CustomerBillingDetail = null,
    string? AccountHolderName = null,
    string? AccountNumber = null,
    string? AccountNumberSuffix = null,
    string? BranchCode = null,
    string? BankCode = null,
    string? Iban = null,
    string? CountryCode = null,
    string? Currency = null,
    string? AccountType = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    bool? PayerRequestedDualSignature = null,
    string? NotificationType = null,
    string? RedirectUri = null);

public sealed record CustomerDetailsInput(
    string Email, string? GivenName = null, string? FamilyName = null, string? CompanyName = null, string? Language = null, string? PhoneNumber = null, IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record BillingDetailInput(
    string? AddressLine1 = null, string? AddressLine2 = null, string? AddressLine3 = null, string? City = null, string? Region = null, string? PostalCode = null, string? CountryCode = null,
    string? SwedishIdentityNumber = null, string? DanishIdentityNumber = null, string? IpAddress = null);

/// <summary><c>POST /billing_request_flows</c>: <c>{"billing_request_flows": {…}}</c>.</summary>
public sealed record BillingRequestFlowsBody(NewFlowBody BillingRequestFlows);

public sealed record NewFlowBody(
    FlowLinksInput Links,
    bool? AutoFulfil = null,
    bool? LockBankAccount = null,
    bool? LockCustomerDetails = null,
    bool? LockCurrency = null,
    bool? ShowRedirectButtons = null,
    bool? ShowSuccessRedirectButton = null,
    bool? SkipSuccessScreen = null,
    string? RedirectUri = null,
    string? ExitUri = null,
    string? Language = null,
    JsonElement? PrefilledCustomer = null,
    JsonElement? PrefilledBankAccount = null,
    bool? CustomerDetailsCaptured = null);

public sealed record FlowLinksInput(string BillingRequest);

/// <summary><c>POST /billing_request_flows/{id}/actions/initialise</c>: an optional <c>{"data": {}}</c>.</summary>
public sealed record InitialiseFlowBody(JsonElement? Data = null);

/// <summary><c>POST /customers</c>: <c>{"customers": {…}}</c>.</summary>
public sealed record CustomersBody(CustomerInput Customers);

public sealed record CustomerInput(
    string? Email = null, string? GivenName = null, string? FamilyName = null, string? CompanyName = null, string? AddressLine1 = null, string? AddressLine2 = null, string? AddressLine3 = null,
    string? City = null, string? Region = null, string? PostalCode = null, string? CountryCode = null, string? Language = null, string? PhoneNumber = null, string? SwedishIdentityNumber = null,
    string? DanishIdentityNumber = null, IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record BillingRequestEnvelope(BillingRequestObject BillingRequests);

public sealed record BillingRequestList(IReadOnlyList<BillingRequestObject> BillingRequests, ListMeta Meta);

/// <param name="Status">pending, ready_to_fulfil, fulfilling, fulfilled or cancelled.</param>
/// <param name="Actions">Empty once the request is fulfilled or cancelled.</param>
public sealed record BillingRequestObject(
    string Id,
    string CreatedAt,
    string Status,
    MandateRequestObject? MandateRequest,
    PaymentRequestObject? PaymentRequest,
    IReadOnlyDictionary<string, string> Metadata,
    BillingRequestLinks Links,
    bool FallbackEnabled,
    bool FallbackOccurred,
    string? SignFlowUrl,
    string? CreditorName,
    string? PurposeCode,
    string? PaymentContextCode,
    string? PaymentPurposeCode,
    IReadOnlyList<BillingRequestActionObject> Actions,
    BillingRequestResources Resources);

/// <param name="Reference">The reference the mandate gets at fulfil, as given (null: Rescind generates one).</param>
/// <param name="FundsSettlement">managed (the default) or direct.</param>
public sealed record MandateRequestObject(
    string Currency, string? Scheme, string Verify, JsonElement? Constraints, MandateRequestLinks Links, IReadOnlyDictionary<string, string> Metadata,
    string? Description, bool Sweeping, bool PayerRequestedDualSignature, string? AuthorisationSource, string? ConsentType, string FundsSettlement, string? Reference);

public sealed record MandateRequestLinks(string? Mandate = null);

/// <param name="AppFee">In minor units, out of the amount.</param>
public sealed record PaymentRequestObject(
    long Amount, string Currency, string Scheme, string? Description, IReadOnlyDictionary<string, string> Metadata, PaymentRequestLinks Links,
    long? AppFee, string? Reference, string FundsSettlement);

public sealed record PaymentRequestLinks(string? Payment = null);

public sealed record BillingRequestLinks(
    string Customer, string Creditor, string Organisation, string? MandateRequest = null, string? PaymentRequest = null, string? MandateRequestMandate = null,
    string? PaymentRequestPayment = null, string? CustomerBillingDetail = null, string? CustomerBankAccount = null);

/// <param name="Status">pending or completed.</param>
public sealed record BillingRequestActionObject(string Type, bool Required, IReadOnlyList<string> CompletesActions, IReadOnlyList<string> RequiresActions, string Status);

public sealed record BillingRequestResources(GoCardlessCustomer Customer, CustomerBillingDetailObject? CustomerBillingDetail, CustomerBankAccountObject? CustomerBankAccount);

public sealed record CustomerBillingDetailObject(
    string Id, string CreatedAt, string? AddressLine1, string? AddressLine2, string? AddressLine3, string? City, string? Region, string? PostalCode,
    string? CountryCode, string? SwedishIdentityNumber, string? DanishIdentityNumber, string? IpAddress);

public sealed record CustomerBankAccountObject(
    string Id, string CreatedAt, string AccountNumberEnding, string? AccountHolderName, string? AccountType, string BankName, string? Currency,
    string? CountryCode, IReadOnlyDictionary<string, string> Metadata, bool Enabled, CustomerBankAccountLinks Links, string? BranchCodeEnding);

public sealed record CustomerBankAccountLinks(string Customer);

public sealed record CustomerBankAccountEnvelope(CustomerBankAccountObject CustomerBankAccounts);

public sealed record CustomerBankAccountList(IReadOnlyList<CustomerBankAccountObject> CustomerBankAccounts, ListMeta Meta);

public sealed record MandateEnvelope(MandateObject Mandates);

public sealed record MandateList(IReadOnlyList<MandateObject> Mandates, ListMeta Meta);

/// <param name="Id">MD… .</param>
/// <param name="Status">pending_submission when fulfil creates it; the other states of the official client's types.</param>
/// <param name="NextPossibleChargeDate">A date (<c>2026-01-31</c>).</param>
public sealed record MandateObject(
    string Id, string CreatedAt, string Reference, string Status, string Scheme, string NextPossibleChargeDate, bool PaymentsRequireApproval,
    IReadOnlyDictionary<string, string> Metadata, string AuthorisationSource, string? ConsentType, string FundsSettlement, string? VerifiedAt, MandateLinks Links);

/// <param name="CustomerBankAccount">The bank account collect_bank_account took.</param>
public sealed record MandateLinks(string Creditor, string Customer, string? CustomerBankAccount = null);

public sealed record PaymentEnvelope(PaymentObject Payments);

public sealed record PaymentList(IReadOnlyList<PaymentObject> Payments, ListMeta Meta);

/// <param name="Id">PM… .</param>
/// <param name="Amount">In minor units (pence, cents).</param>
/// <param name="ChargeDate">A date (<c>2026-01-31</c>).</param>
/// <param name="Status">pending_submission when fulfil creates it; the other states of the official client's types.</param>
public sealed record PaymentObject(
    string Id, string CreatedAt, string ChargeDate, long Amount, string? Description, string Currency, string Status, string? Reference, long? AppFee,
    IReadOnlyDictionary<string, string> Metadata, long AmountRefunded, string Scheme, PaymentLinks Links);

/// <param name="Mandate">The mandate the same billing request created, when it asked for one.</param>
public sealed record PaymentLinks(string Creditor, string? Mandate = null);

public sealed record FlowEnvelope(FlowObject BillingRequestFlows);

public sealed record FlowObject(
    string Id,
    string CreatedAt,
    string ExpiresAt,
    string SessionToken,
    string AuthorisationUrl,
    bool AutoFulfil,
    bool LockBankAccount,
    bool LockCustomerDetails,
    bool LockCurrency,
    bool ShowRedirectButtons,
    bool ShowSuccessRedirectButton,
    bool SkipSuccessScreen,
    string? RedirectUri,
    string? ExitUri,
    string? Language,
    JsonElement? PrefilledCustomer,
    JsonElement? PrefilledBankAccount,
    bool CustomerDetailsCaptured,
    FlowLinks Links);

public sealed record FlowLinks(string BillingRequest);

public sealed record CustomerEnvelope(GoCardlessCustomer Customers);

public sealed record CustomerList(IReadOnlyList<GoCardlessCustomer> Customers, ListMeta Meta);

public sealed record GoCardlessCustomer(
    string Id, string CreatedAt, string? Email, string? GivenName, string? FamilyName, string? CompanyName, string? AddressLine1, string? AddressLine2,
    string? AddressLine3, string? City, string? Region, string? PostalCode, string? CountryCode, string? Language, string? PhoneNumber,
    string? SwedishIdentityNumber, string? DanishIdentityNumber, IReadOnlyDictionary<string, string> Metadata);

public sealed record CreditorEnvelope(CreditorObject Creditors);

public sealed record CreditorList(IReadOnlyList<CreditorObject> Creditors, ListMeta Meta);

public sealed record CreditorObject(
    string Id, string CreatedAt, string Name, string CountryCode, string CreditorType, string VerificationStatus, IReadOnlyList<JsonElement> SchemeIdentifiers,
    string? LogoUrl, string? FxPayoutCurrency, IReadOnlyDictionary<string, string> Links);

public sealed record EventEnvelope(EventObject Events);

public sealed record EventList(IReadOnlyList<EventObject> Events, ListMeta Meta);

/// <param name="Id">EV… .</param>
public sealed record EventObject(
    string Id, string CreatedAt, string ResourceType, string Action, EventDetails Details, IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyDictionary<string, string> ResourceMetadata, EventLinks Links);

/// <param name="Origin">api, payer or gocardless.</param>
public sealed record EventDetails(string Origin, string Cause, string Description);

/// <param name="BillingRequest">On billing request events.</param>
/// <param name="Mandate">On mandate events, and on the events of payments cancelled with their mandate.</param>
/// <param name="Payment">On payment events.</param>
public sealed record EventLinks(
    string? BillingRequest = null, string? BillingRequestFlow = null, string? MandateRequestMandate = null, string? PaymentRequestPayment = null,
    string? Mandate = null, string? Payment = null);

/// <summary>A list's paging: the cursors of the neighbouring pages and the limit.</summary>
public sealed record ListMeta(ListCursors Cursors, int Limit);

public sealed record ListCursors(string? Before, string? After);

/// <summary><c>POST /mandates/{id}/actions/cancel</c>, <c>POST /payments/{id}/actions/cancel</c>: an optional
/// <c>{"data": {"metadata": {…}}}</c>; the metadata is kept on the cancellation's event.</summary>
public sealed record CancelActionBody(CancelActionData? Data = null);

public sealed record CancelActionData(IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>A simulated event takes no fields; a body, if sent, is ignored.</summary>
public sealed record GoCardlessEventBody;
