using System.Text.Json.Nodes;
using Rescind.Core.Coordination;
using Rescind.Core.Lifecycles;
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

    /// <summary>The reason of the first error is the specific code [doc]; without one, the error's type.</summary>
    public (string Code, string Message) Read(string body)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        var error = doc.RootElement.GetProperty("error");
        var reason = error.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0 && errors[0].TryGetProperty("reason", out var r)
            ? r.GetString() : error.GetProperty("type").GetString();
        return (reason ?? "", error.GetProperty("message").GetString() ?? "");
    }

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

    /// <summary>A refusal from the lifecycle table, in GoCardless's words.</summary>
    public static StoredResponse Refused(Decision.Refused r, string? requestId) => r.Code switch
    {
        GoCardlessRules.CancellationFailed => State(r.Code, $"This billing request cannot be cancelled because it is {r.State}.", requestId),
        GoCardlessRules.NotReady => State(r.Code, $"This billing request is {r.State}; it can only be fulfilled when it is ready_to_fulfil.", requestId),
        GoCardlessRules.NotPending => State(r.Code, $"This billing request is {r.State} and no longer accepts this action.", requestId),
        _ => State(r.Code, $"This billing request is {r.State} and cannot take this action.", requestId),
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
