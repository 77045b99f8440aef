using System.Text.Json.Nodes;
using Rescind.Core.Coordination;
using Rescind.Server.Http;

namespace Rescind.Server.GoCardless;

/// <summary>
/// GoCardless's error envelope <c>{"error": {code, type, message, documentation_url, request_id, errors: [{reason,
/// message, field?, request_pointer?, links?}]}}</c> [sdk], and the one place where the core's outcomes become
/// GoCardless statuses, types and reasons.
/// </summary>
public sealed class GoCardlessEnvelope : IErrorEnvelope
{
    public static GoCardlessEnvelope Instance { get; } = new();

    public const string InvalidApiUsage = "invalid_api_usage";
    public const string InvalidState = "invalid_state";
    public const string ValidationFailed = "validation_failed";
    public const string Internal = "gocardless";

    private const string Docs = "https://developer.gocardless.com/api-reference#";

    public StoredResponse Error(int status, string code, string message) => Error(status, code, message, null);

    public StoredResponse Error(int status, string code, string message, string? requestId) =>
        Fail(status, status >= 500 ? Internal : InvalidApiUsage, code, message, requestId);

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => "authentication_failed",
        SharedFailure.NotFound => "path_not_found",
        SharedFailure.MethodNotAllowed => "method_not_allowed",
        SharedFailure.PayloadTooLarge => "request_entity_too_large",
        SharedFailure.RateLimited => "rate_limit_exceeded",
        SharedFailure.Unavailable => "service_unavailable",
        SharedFailure.MalformedJson => "invalid_json",
        SharedFailure.InvalidText => "invalid_characters",
        _ => "internal_server_error",
    };

    /// <summary>One error with one reason; <paramref name="links"/> (e.g. conflicting_resource_id) when given.</summary>
    public static StoredResponse Fail(int status, string type, string reason, string message, string? requestId, JsonObject? links = null)
    {
        var error = new JsonObject { ["reason"] = reason, ["message"] = message };
        if (links is not null)
        {
            error["links"] = links;
        }
        return Body(status, type, message, Docs + reason, requestId, [error]);
    }

    /// <summary>422 validation_failed naming the field [sdk]; <paramref name="pointer"/> is the JSON pointer into the
    /// request body (e.g. <c>/billing_requests/mandate_request/currency</c>).</summary>
    public static StoredResponse Invalid(FieldError e, string? pointer, string? requestId)
    {
        var error = new JsonObject { ["field"] = e.Field, ["message"] = e.Message };
        if (pointer is not null)
        {
            error["request_pointer"] = pointer;
        }
        return Body(422, ValidationFailed, "Validation failed", Docs + ValidationFailed, requestId, [error]);
    }

    public static StoredResponse Usage(int status, string reason, string message, string? requestId) =>
        Fail(status, InvalidApiUsage, reason, message, requestId);

    public static StoredResponse State(string reason, string message, string? requestId) =>
        Fail(422, InvalidState, reason, message, requestId);

    public static StoredResponse NotFound(string what, string? requestId) =>
        Fail(404, InvalidApiUsage, "resource_not_found", $"Resource not found: {what}", requestId);

    // Refusals outside the lifecycle table [ours: the codes; the reasons on the wire are GoCardless's].
    public const string UnknownCreditor = "unknown_creditor";
    public const string UnknownCustomer = "unknown_customer";
    public const string UnknownBillingRequest = "unknown_billing_request";
    /// <summary>A mandate's billing detail lacks a field; the refusal's detail names it.</summary>
    public const string MandateDetailRequired = "mandate_detail_required";
    public const string FallbackNotEnabled = "fallback_not_enabled";
    /// <summary>The request has no such action; the refusal's detail names it.</summary>
    public const string ActionNotAvailable = "billing_request_action_not_available";
    /// <summary>The action's prerequisites are open; the refusal's detail names the action.</summary>
    public const string RequiredActionsNotCompleted = "required_actions_not_completed";
    /// <summary>Initialising a flow that has expired.</summary>
    public const string FlowExpired = "billing_request_flow_expired";
    /// <summary>The payer acts through a flow link that has expired (410).</summary>
    public const string FlowLinkExpired = "billing_request_flow_link_expired";

    /// <summary>A refusal of a field of the request (422 validation_failed): the field, its message and its pointer.</summary>
    private static (FieldError Error, string Pointer)? FieldOf(Refusal r) => r.Code switch
    {
        UnknownCreditor => (new FieldError("creditor", "must be a creditor of this account"), "/billing_requests/links/creditor"),
        UnknownCustomer => (new FieldError("customer", "must be a customer of this account"), "/billing_requests/links/customer"),
        UnknownBillingRequest => (new FieldError("billing_request", "must be a billing request of this account"), "/billing_request_flows/links/billing_request"),
        MandateDetailRequired => (new FieldError(r.Detail!, "is required for a mandate"), "/data/customer_billing_detail/" + r.Detail),
        _ => null,
    };

    /// <summary>A refusal in GoCardless's words: its status, the reason of its error and the message.</summary>
    public static (int Status, string Code, string Message) Describe(Refusal r) => r.Code switch
    {
        _ when FieldOf(r) is not null => (422, ValidationFailed, "Validation failed"),
        FlowLinkExpired => (410, FlowExpired, "This billing request flow has expired; the link accepts nothing. Ask for a new link."),
        FlowExpired => (422, FlowExpired, "This billing request flow has expired."),
        FallbackNotEnabled => (422, r.Code, "Fallback is not enabled for this billing request."),
        ActionNotAvailable => (422, r.Code, $"This billing request has no {r.Detail} action."),
        RequiredActionsNotCompleted => (422, r.Code, $"{r.Detail} needs the actions it requires to be completed first."),
        GoCardlessRules.CancellationFailed => (422, r.Code, $"This {Kind(r)} cannot be cancelled because it is {r.State}."),
        GoCardlessRules.InvalidTransition => (422, r.Code, $"This {Kind(r)} is {r.State} and cannot take this event."),
        GoCardlessRules.NotReady => (422, r.Code, $"This billing request is {r.State}; it can only be fulfilled when it is ready_to_fulfil."),
        GoCardlessRules.NotPending => (422, r.Code, $"This billing request is {r.State} and no longer accepts this action."),
        _ => (422, r.Code, $"This billing request is {r.State} and cannot take this action."),
    };

    /// <summary>Which resource a refusal is about: mandate and payment commands name theirs in the detail.</summary>
    private static string Kind(Refusal r) => r.Detail is "mandate" or "payment" ? r.Detail : "billing request";

    public static StoredResponse Refused(Refusal r, string? requestId)
    {
        if (FieldOf(r) is var (error, pointer))
        {
            return Invalid(error, pointer, requestId);
        }
        var (status, reason, message) = Describe(r);
        return Fail(status, InvalidState, reason, message, requestId);
    }

    // Rendering: the one place where the outcome of each GoCardless command becomes its status and body.

    /// <summary>A created billing request: 201 [sdk].</summary>
    public static StoredResponse Created(Outcome<BillingRequestRow> outcome, string? requestId) => outcome switch
    {
        Outcome<BillingRequestRow>.Done { Value: var row } => new(201, BillingRequestBody(row)),
        _ => Otherwise(outcome, requestId),
    };

    /// <summary>An action on a billing request: 200 with the request as it is now (also when it already was so).</summary>
    public static StoredResponse Request(Outcome<BillingRequestRow> outcome, string? requestId) => outcome switch
    {
        Outcome<BillingRequestRow>.Done { Value: var row } => new(200, BillingRequestBody(row)),
        Outcome<BillingRequestRow>.AlreadyDone { Value: var row } => new(200, BillingRequestBody(row)),
        _ => Otherwise(outcome, requestId),
    };

    public static StoredResponse CustomerCreated(Outcome<CustomerRow> outcome, string? requestId) => outcome switch
    {
        Outcome<CustomerRow>.Done { Value: var row } => new(201, GoCardlessJson.Wrap(GoCardlessStore.Customers, GoCardlessJson.Customer(row))),
        _ => Otherwise(outcome, requestId),
    };

    public static StoredResponse FlowCreated(Outcome<FlowRow> outcome, string? requestId) => outcome switch
    {
        Outcome<FlowRow>.Done { Value: var row } => new(201, FlowBody(row)),
        _ => Otherwise(outcome, requestId),
    };

    /// <summary>A flow initialised, abandoned or expired: 200 with the flow as it is now.</summary>
    public static StoredResponse Flow(Outcome<FlowRow> outcome, string? requestId) => outcome switch
    {
        Outcome<FlowRow>.Done { Value: var row } => new(200, FlowBody(row)),
        Outcome<FlowRow>.AlreadyDone { Value: var row } => new(200, FlowBody(row)),
        _ => Otherwise(outcome, requestId),
    };

    /// <summary>A mandate after a cancel or a simulated move: 200 with the mandate as it is now.</summary>
    public static StoredResponse Mandate(Outcome<MandateRow> outcome, string? requestId) => outcome switch
    {
        Outcome<MandateRow>.Done { Value: var row } => new(200, GoCardlessJson.Wrap(GoCardlessStore.Mandates, GoCardlessJson.Mandate(row))),
        _ => Otherwise(outcome, requestId),
    };

    public static StoredResponse Payment(Outcome<PaymentRow> outcome, string? requestId) => outcome switch
    {
        Outcome<PaymentRow>.Done { Value: var row } => new(200, GoCardlessJson.Wrap(GoCardlessStore.Payments, GoCardlessJson.Payment(row))),
        _ => Otherwise(outcome, requestId),
    };

    private static string BillingRequestBody(BillingRequestRow row) => GoCardlessJson.Wrap(GoCardlessStore.BillingRequests, GoCardlessJson.BillingRequest(row));

    private static string FlowBody(FlowRow row) => GoCardlessJson.Wrap(GoCardlessStore.Flows, GoCardlessJson.Flow(row));

    /// <summary>The answers every command shares: the refusal, or what is missing.</summary>
    private static StoredResponse Otherwise<T>(Outcome<T> outcome, string? requestId) => outcome switch
    {
        Outcome<T>.Refused r => Refused(r.Reason, requestId),
        Outcome<T>.NotFound n => NotFound(n.Id, requestId),
        _ => throw new InvalidOperationException($"GoCardless has no such outcome here: {outcome}"),
    };

    /// <summary>
    /// Creates: a repeat of a key whose create succeeded is the 409 <c>idempotent_creation_conflict</c> naming the
    /// resource (the official client then fetches it) [sdk]; a key whose first request failed replays that failure.
    /// Actions: a repeat returns the first answer [ours]. A key reused for a different request is 422
    /// <c>idempotency_key_reused</c> unless it created something [ours].
    /// </summary>
    public static IdempotencyPolicy Policy(TimeSpan retention, string? requestId) => new()
    {
        Retention = retention,
        OnRepeat = r => r.ResourceId is { } id && r.Response.Status == 201 ? Conflict(id, requestId) : r.Response,
        OnMismatch = r => r.ResourceId is { } id && r.Response.Status == 201
            ? Conflict(id, requestId)
            : Fail(422, InvalidApiUsage, "idempotency_key_reused", "This Idempotency-Key was already used with a different request.", requestId),
        InFlight = Fail(409, InvalidState, "idempotency_key_in_use", "A request with this Idempotency-Key is still being processed; retry shortly.", requestId),
    };

    public static StoredResponse Conflict(string resourceId, string? requestId) =>
        Fail(409, InvalidState, "idempotent_creation_conflict", "A resource has already been created with this idempotency key", requestId,
            new JsonObject { ["conflicting_resource_id"] = resourceId });

    private static StoredResponse Body(int status, string type, string message, string documentation, string? requestId, JsonArray errors) =>
        new(status, GoCardlessJson.Write(new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = message,
                ["documentation_url"] = documentation,
                ["type"] = type,
                ["request_id"] = requestId,
                ["errors"] = errors,
                ["code"] = status,
            },
        }));
}
