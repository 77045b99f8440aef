namespace Rescind.Core.Coordination;

/// <summary>Who caused a change: an account's credential, the operator, or the system's own clock.</summary>
public sealed record Actor(string Kind, string? Id)
{
    public static Actor Credential(string credentialId) => new("credential", credentialId);

    public static Actor Operator(string? credentialId) => new("operator", credentialId);

    public static Actor System { get; } = new("system", null);
}

/// <summary>Everything about a write that is not the write itself.</summary>
public sealed record OperationContext(string? AccountId, string Api, Actor Actor, string? RequestId)
{
    public IdempotencyRequest? Idempotency { get; init; }
}

/// <summary>An idempotency key with the fingerprint of the request it came with, and how the API answers reuse.
/// Keys are scoped to the credential's <see cref="Mode"/> as well as the account and API: a test-mode request never
/// replays a live answer (nor the other way round).</summary>
public sealed record IdempotencyRequest(string Key, string Fingerprint, IdempotencyPolicy Policy)
{
    public string Mode { get; init; } = "live";
}

/// <summary>
/// How an API answers a key it has seen before. The default replays the stored response; an API may answer
/// differently (GoCardless answers a repeated create with a conflict naming the resource).
/// </summary>
public sealed class IdempotencyPolicy
{
    public required TimeSpan Retention { get; init; }

    /// <summary>Same key, same request.</summary>
    public Func<IdempotencyRecord, StoredResponse> OnRepeat { get; init; } = r => r.Response;

    /// <summary>Same key, different request.</summary>
    public required Func<IdempotencyRecord, StoredResponse> OnMismatch { get; init; }

    /// <summary>Same key, the first request has not finished.</summary>
    public required StoredResponse InFlight { get; init; }
}

public sealed record IdempotencyRecord(string Key, string Fingerprint, StoredResponse Response, string? ResourceId, long CreatedAt);

/// <summary>A complete HTTP answer, as stored for replay: status and the exact body bytes (as text).</summary>
public sealed record StoredResponse(int Status, string Body)
{
    /// <summary>Whether the answer is worth keeping under an idempotency key (server faults are not).</summary>
    public bool Storable => Status < 500;
}

/// <summary>A state change of one resource: written as one audit row and, when it has an event, one outbox event.</summary>
public sealed record Change(
    string Api,
    string ResourceType,
    string ResourceId,
    string Action,
    string? From,
    string? To,
    string? EventType = null,
    string? EventPayload = null,
    string? Reason = null);
