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
        t.Id, t.Status, Message(t.Status), t.MerchantReference, t.SessionId, t.Provider, t.Amount, t.Currency,
        t.RefundedAmount, t.LateCompletion != 0, Time.Iso(t.CreatedAt), Time.Iso(t.UpdatedAt));

    public static bool IsPaid(string status) => status is CrissCrossRules.Completed or CrissCrossRules.Settled or CrissCrossRules.Refunded;

    public static CheckoutSession Session(SessionRow s, IReadOnlyList<TransactionRow> transactions, long now, string paymentLinkBase) => new(
        s.Id,
        CrissCrossRules.PublicStatus(s.Status, s.ExpiresAt, now),
        s.MerchantReference,
        s.Amount,
        s.Currency,
        JsonDocument.Parse(s.PayerDetails).RootElement.Clone(),
        s.RedirectUrl,
        PaymentLink(paymentLinkBase, s.Id),
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

    public static string PaymentLink(string paymentLinkBase, string sessionId) => paymentLinkBase.TrimEnd('/') + "/" + sessionId;
}

public sealed record PaymentStatus(
    string TransactionId,
    string Status,
    string Message,
    string MerchantReference,
    string SessionId,
    string Provider,
    long Amount,
    string Currency,
    long RefundedAmount,
    bool LateCompletion,
    string CreatedAt,
    string UpdatedAt);

public sealed record CheckoutSession(
    string SessionId,
    string Status,
    string MerchantReference,
    long Amount,
    string Currency,
    JsonElement PayerDetails,
    string? RedirectUrl,
    string PaymentLink,
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

/// <summary>The answer to a session create: <c>{"sessionId": …, "paymentLink": …}</c>.</summary>
public sealed record SessionCreatedResult(string SessionId, string PaymentLink);

/// <summary>The answer to a payment attempt: <c>{"transactionId": …, "status": "PENDING"}</c>.</summary>
public sealed record PaymentStartedResult(string TransactionId, string Status);

/// <summary>The cancellations report: sessions whose cancel was accepted in [from, to), by reason.</summary>
public sealed record CancellationsReport(string? From, string? To, long TotalSessions, IReadOnlyList<CancellationReason> Reasons);

public sealed record CancellationReason(string? Reason, long Sessions, long Cancelled, long PendingCancellation);

// Request bodies, as the OpenAPI document describes them (an optional field has a default, so it is not listed as
// required); the handlers read and validate the JSON themselves (strict field lists, the first problem wins, in
// Collect's envelope).

public sealed record CreateSessionRequest(
    string MerchantReference, long Amount, string Currency, JsonElement PayerDetails, string? RedirectUrl = null, int? ExpiresInSeconds = null);

public sealed record CancelSessionRequest(string SessionId, string? Reason = null);

public sealed record PaymentRequest(string SessionId, string Provider, JsonElement? PaymentMethod = null);

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

