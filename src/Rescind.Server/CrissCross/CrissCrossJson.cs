using Rescind.Server.Http;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rescind.Core;

namespace Rescind.Server.CrissCross;

/// <summary>Collect's wire objects, camelCase as the vendor writes them.</summary>
public static class CrissCrossJson
{
    public static readonly JsonSerializerOptions Options = WireJson.Options(JsonNamingPolicy.CamelCase, writeNulls: true);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static IReadOnlyList<string> Ids(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<string[]>(json) ?? [];

    public static string Message(string status) => status switch
    {
        CrissCrossRules.Pending => "The payment is awaiting the provider.",
        CrissCrossRules.Processing => "The provider is processing the payment.",
        CrissCrossRules.Completed => "The payment was completed.",
        CrissCrossRules.Settled => "The payment was settled.",
        CrissCrossRules.Failed => "The payment failed.",
        CrissCrossRules.Errored => "The provider reported an error.",
        CrissCrossRules.Cancelled => "The payment was cancelled.",
        CrissCrossRules.Expired => "The payment prompt expired.",
        CrissCrossRules.Refunded => "The payment was refunded in full.",
        _ => status,
    };

    public static PaymentStatus Payment(TransactionRow t) => new(
        t.Id, t.Status, Message(t.Status), t.MerchantReference, t.SessionId, CrissCrossRules.PaymentMethodId(t.Provider) ?? t.Provider,
        AuthStateOf(t), PaymentAttributes(t), t.Amount, t.Currency, t.RefundedAmount, t.LateCompletion != 0, Time.Iso(t.CreatedAt), Time.Iso(t.UpdatedAt));

    /// <summary>What the transaction still waits for: mobile money, in flight, for the payer's PIN [doc:
    /// pending_approval]; a PENDING card or bank transfer for the payer's authorisation, which the merchant submits
    /// with POST /v1/payment/authorize [ours: pending]; nothing once the provider processes it or it has ended [ours: null].</summary>
    private static AuthState? AuthStateOf(TransactionRow t) =>
        CrissCrossRules.PaymentMethodId(t.Provider) == CrissCrossRules.MobileMoney
            ? CrissCrossRules.Transactions.IsTerminal(t.Status) ? null : new AuthState("pending_approval")
            : t.Status == CrissCrossRules.Pending ? new AuthState("pending") : null;

    /// <summary>The answer to an authorization [doc: status, transactionId, message, authState, processorName,
    /// processorReference, paymentAttributes; ours: no processor is simulated, so its name and reference are null].</summary>
    public static AuthorizeResult Authorization(TransactionRow t) =>
        new(t.Status, t.Id, Message(t.Status), AuthStateOf(t), null, null, PaymentAttributes(t));

    /// <summary>The session's paymentAttributes passed through to its payments, with the payment's own attributes over
    /// them [doc: "pass through the payment lifecycle"; ours: the merge].</summary>
    private static IReadOnlyDictionary<string, string>? PaymentAttributes(TransactionRow t)
    {
        if (t.PaymentAttributes is null && t.Attributes is null)
        {
            return null;
        }
        var merged = new Dictionary<string, string>(Map(t.PaymentAttributes) ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (k, v) in Map(t.Attributes) ?? new Dictionary<string, string>())
        {
            merged[k] = v;
        }
        return merged;
    }

    /// <summary>The payer's country as the session has it (payerDetails.location), if it is a string.</summary>
    public static string? PayerLocation(SessionRow s) => StringField(s.PayerDetails, "location");

    /// <summary>The operator a mobile-money payment names (paymentDetails.operator), if it is a string.</summary>
    public static string? Operator(string paymentDetails) => StringField(paymentDetails, "operator");

    private static string? StringField(string json, string name)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;
    }

    public static bool IsPaid(string status) => status is CrissCrossRules.Completed or CrissCrossRules.Settled or CrissCrossRules.Refunded;

    public static CheckoutSession Session(SessionRow s, IReadOnlyList<TransactionRow> transactions, long now, string paymentLinkBase) => new(
        s.Id,
        s.MerchantId,
        s.IntegrationType,
        s.PayerId,
        Map(s.PaymentAttributes),
        CrissCrossRules.PublicStatus(s.Status, s.ExpiresAt, now),
        s.MerchantReference,
        s.Amount,
        s.Currency,
        JsonDocument.Parse(s.PayerDetails).RootElement.Clone(),
        s.RedirectUrl,
        PaymentLinkOf(s, paymentLinkBase),
        Time.Iso(s.ExpiresAt),
        Time.Iso(s.CreatedAt),
        Time.Iso(s.UpdatedAt),
        s.CancelReason,
        Time.Iso(s.CancelledAt),
        Ids(s.CancelledTransactionIds),
        PendingIds(s, transactions),
        transactions.Where(t => t.LateCompletion != 0).Select(t => t.Id).ToList(),
        checked(transactions.Where(t => IsPaid(t.Status)).Sum(t => t.Amount)),
        checked(transactions.Sum(t => t.RefundedAmount)),
        transactions.Select(Payment).ToList());

    /// <summary>The transactions a session pending cancellation still waits for [doc: only then non-empty].</summary>
    public static IReadOnlyList<string> PendingIds(SessionRow s, IReadOnlyList<TransactionRow> transactions) =>
        s.Status == CrissCrossRules.PendingCancellation
            ? transactions.Where(t => !CrissCrossRules.Transactions.IsTerminal(t.Status)).Select(t => t.Id).ToList()
            : [];

    /// <summary>The cancel answer, built from the session alone so a repeat on a cancelled session is byte-identical.</summary>
    public static CancelResult Cancel(SessionRow s, IReadOnlyList<TransactionRow> transactions) => new(
        s.Id,
        s.Status,
        s.Status == CrissCrossRules.Cancelled
            ? "The session and its in-flight transactions have been cancelled."
            : "The session is locked against further payment attempts; it will be cancelled when its pending transactions end.",
        Ids(s.CancelledTransactionIds),
        PendingIds(s, transactions));

    public static RefundRecord RefundOf(RefundRow r) => new(
        r.Id, r.Status, r.SessionId, r.TransactionId, new RefundValue(r.Amount, r.Currency ?? ""), r.Reason, Time.Iso(r.CreatedAt), Time.Iso(r.UpdatedAt ?? r.CreatedAt));

    public static AvailableMethods Methods(SessionRow s) => new(
        s.Id,
        [.. CrissCrossRules.Providers.Select(p => new AvailableMethod(p.Name, p.Name,
            p.Name == CrissCrossRules.MobileMoney ? CrissCrossRules.OperatorsFor(PayerLocation(s)) : null))]);

    public static string PaymentLink(string paymentLinkBase, string sessionId) => paymentLinkBase.TrimEnd('/') + "/" + sessionId;

    /// <summary>A hosted session's payment link; a direct integration has none [doc: "may be omitted"; ours: null].
    /// Sessions made before integrationType was stored are hosted.</summary>
    public static string? PaymentLinkOf(SessionRow s, string paymentLinkBase) =>
        s.IntegrationType == "direct" ? null : PaymentLink(paymentLinkBase, s.Id);

    public static IReadOnlyDictionary<string, string>? Map(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(json);
}

public sealed record PaymentStatus(
    string TransactionId,
    string Status,
    string Message,
    string MerchantReference,
    string SessionId,
    string PaymentMethodId,
    AuthState? AuthState,
    IReadOnlyDictionary<string, string>? PaymentAttributes,
    long Amount,
    string Currency,
    long RefundedAmount,
    bool LateCompletion,
    string CreatedAt,
    string UpdatedAt);

/// <summary>What a session's payer may pay with: <c>{sessionId, paymentMethods: [{paymentMethodId, type, operators}]}</c>
/// [doc: type is always "mobilemoney" for mobile money, operators per payer country; ours: the wrapper].</summary>
public sealed record AvailableMethods(string SessionId, IReadOnlyList<AvailableMethod> PaymentMethods);

public sealed record AvailableMethod(string PaymentMethodId, string Type, IReadOnlyList<string>? Operators);

/// <summary>A refund as the vendor returns it [doc: transactionId (the refund's own id, to poll), status PENDING at
/// first; ours: the other fields, refund.succeeded and refund.failed carry it too].</summary>
public sealed record RefundRecord(
    string TransactionId, string Status, string? SessionId, string OriginalTransactionId, RefundValue RefundValue, string? Reason,
    string CreatedAt, string UpdatedAt);

/// <summary>Where a transaction stands after its authorization was submitted [doc].</summary>
public sealed record AuthorizeResult(
    string Status, string TransactionId, string Message, AuthState? AuthState, string? ProcessorName, string? ProcessorReference,
    IReadOnlyDictionary<string, string>? PaymentAttributes);

/// <summary>An authorization [doc: transactionId required; authorizationData, a map whose fields follow the authState].</summary>
public sealed record AuthorizeRequest(string TransactionId, IReadOnlyDictionary<string, JsonElement>? AuthorizationData = null);

/// <summary>An amount in minor units and its ISO 4217 currency [doc].</summary>
public sealed record RefundValue(long Amount, string Currency);

/// <summary>A refund as the vendor documents it; Rescind's earlier {transactionId, amount} is read in its place and
/// refunds at once [ours].</summary>
public sealed record VendorRefundRequest(string SessionId, RefundValue RefundValue, string? OriginalTransactionId = null, string? Reason = null,
    string? TransactionId = null, long? Amount = null);

/// <summary>Where a payment's authorisation stands [doc: <c>type</c>, e.g. pending_approval].</summary>
public sealed record AuthState(string Type);

public sealed record CheckoutSession(
    string SessionId,
    string? MerchantId,
    string? IntegrationType,
    string? PayerId,
    IReadOnlyDictionary<string, string>? PaymentAttributes,
    string Status,
    string MerchantReference,
    long Amount,
    string Currency,
    JsonElement PayerDetails,
    string? RedirectUrl,
    string? PaymentLink,
    string ExpiresAt,
    string CreatedAt,
    string UpdatedAt,
    string? CancellationReason,
    string? CancelledAt,
    IReadOnlyList<string> CancelledTransactionIds,
    IReadOnlyList<string> PendingTransactionIds,
    IReadOnlyList<string> LateCompletedTransactionIds,
    long PaidAmount,
    long RefundedAmount,
    IReadOnlyList<PaymentStatus> Transactions);

public sealed record CancelResult(
    string SessionId,
    string Status,
    string Message,
    IReadOnlyList<string> CancelledTransactionIds,
    IReadOnlyList<string> PendingTransactionIds);

public sealed record SessionList(IReadOnlyList<CheckoutSession> Sessions, string? NextCursor, bool HasMore);

public sealed record RefundResult(
    string RefundId,
    string TransactionId,
    long Amount,
    string Currency,
    long RefundedAmount,
    long RemainingAmount,
    string Status,
    string CreatedAt);

/// <summary>The answer to a session create [doc]: the id, the hosted payment link (null for a direct integration),
/// the payer's id, and the hosted checkout's signature (Rescind signs none [ours]: null).</summary>
public sealed record SessionCreatedResult(string SessionId, string? PaymentLink, string? PayerId, string? Signature);


/// <summary>The cancellations report: sessions whose cancel was accepted in [from, to), by reason.</summary>
public sealed record CancellationsReport(string? From, string? To, long TotalSessions, IReadOnlyList<CancellationReason> Reasons);

public sealed record CancellationReason(string? Reason, long Sessions, long Cancelled, long PendingCancellation);

// Request bodies, as the OpenAPI document describes them (an optional field has a default, so it is not listed as
// required); the handlers read and validate the JSON themselves (strict field lists, the first problem wins, in
// Collect's envelope).

public sealed record CreateSessionRequest(
    string MerchantId, string MerchantReference, long Amount, string Currency, string IntegrationType, PayerDetailsRequest PayerDetails,
    string? RedirectUrl = null, IReadOnlyDictionary<string, string>? PaymentAttributes = null, int? ExpiresInSeconds = null);

/// <summary>The payer as the vendor documents it; other fields are stored as given.</summary>
public sealed record PayerDetailsRequest(string? EmailAddress = null, string? Location = null, string? FullName = null, string? PhoneNumber = null);

public sealed record CancelSessionRequest(string SessionId, string? Reason = null);

/// <summary>A payment [doc: sessionId, paymentMethodId, paymentDetails, attributes, signature]; Rescind's earlier
/// provider and paymentMethod are read in their place [ours].</summary>
public sealed record PaymentRequest(
    string SessionId, string? PaymentMethodId = null, JsonElement? PaymentDetails = null, IReadOnlyDictionary<string, string>? Attributes = null,
    string? Signature = null, string? Provider = null, JsonElement? PaymentMethod = null);

public sealed record RefundRequest(string TransactionId, long? Amount = null);

/// <summary>The token endpoint's body (form or JSON): OAuth2 client credentials, or Collect's own names for them.</summary>
public sealed record TokenRequest(
    [property: JsonPropertyName("grant_type")] string? GrantType = null,
    [property: JsonPropertyName("client_id")] string? ClientId = null,
    [property: JsonPropertyName("client_secret")] string? ClientSecret = null,
    [property: JsonPropertyName("merchantId")] string? MerchantId = null,
    [property: JsonPropertyName("clientSecret")] string? ClientSecretAlias = null);

public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] long ExpiresIn);

/// <summary>The operator's view of the provider registry.</summary>
public sealed record ProviderList(IReadOnlyList<ProviderInfo> Providers);

public sealed record ProviderInfo(string Name, bool SupportsInFlightCancel, long? PromptTimeoutSeconds);

