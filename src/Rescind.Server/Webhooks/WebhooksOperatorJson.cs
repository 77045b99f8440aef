namespace Rescind.Server.Webhooks;

// The webhook objects of the operator API (snake_case, as Operator.OperatorJson writes them).

public sealed record NewWebhookEndpointBody(string AccountId, string Api, string Url, int? TimeoutMs = null);

/// <summary>An endpoint as created: its signing secret is shown this once.</summary>
public sealed record CreatedWebhookEndpoint(string Id, string AccountId, string Api, string Url, int TimeoutMs, string Secret);

public sealed record WebhookEndpointObject(string Id, string AccountId, string Api, string Url, int TimeoutMs, string CreatedAt, string? DisabledAt);

public sealed record WebhookEndpointList(IReadOnlyList<WebhookEndpointObject> Endpoints);

public sealed record DisabledWebhookEndpoint(string Id, bool Disabled);

/// <summary>A delivery: <c>pending</c> (with its next attempt), <c>delivered</c> or <c>dead</c>.</summary>
public sealed record WebhookDeliveryObject(
    long Id, string EventId, string EndpointId, string AccountId, string Status, int Attempts, string? NextAttemptAt,
    int? LastStatusCode, string? LastError, string CreatedAt, string? DeliveredAt);

public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryObject> Deliveries);

public sealed record WebhookAttemptObject(int Attempt, string StartedAt, int DurationMs, int? StatusCode, string? Error, string? ResponseExcerpt);

public sealed record WebhookAttemptList(IReadOnlyList<WebhookAttemptObject> Attempts);

public sealed record WebhookRedelivery(long Id, string Status);
