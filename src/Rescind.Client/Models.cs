using System.Text.Json;

namespace Rescind.Client;

/// <summary>The body of POST /v1/cancellations. <see cref="CancelAt"/> in the future schedules the cancel.</summary>
public sealed record CancellationRequest(
    IReadOnlyList<string> Resources,
    string IdempotencyKey,
    string? Reason = null,
    bool? DryRun = null,
    DateTimeOffset? CancelAt = null);

/// <summary>A cancellation: <c>scheduled</c>, <c>processing</c>, <c>pending</c>, <c>completed</c> or <c>canceled</c>.</summary>
public sealed record Cancellation(
    string Id,
    string Status,
    string Mode,
    bool DryRun,
    string? Reason,
    string? IdempotencyKey,
    IReadOnlyList<string> Resources,
    DateTimeOffset? CancelAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    CancellationSummary? Summary,
    IReadOnlyList<CancellationOutcome> Outcomes);

/// <summary>How many resources ended in each outcome.</summary>
public sealed record CancellationSummary(int Total, int Canceled, int AlreadyCanceled, int PendingCancellation, int Refused, int NotFound);

/// <summary>One resource's outcome: <c>canceled</c>, <c>already_canceled</c>, <c>pending_cancellation</c>,
/// <c>refused</c> (with the vendor API's <see cref="Error"/>) or <c>not_found</c>.</summary>
public sealed record CancellationOutcome(
    string Resource,
    string Outcome,
    string? Api,
    string? Type,
    string? Id,
    string? State,
    IReadOnlyList<StateChange>? Effects,
    IReadOnlyList<string>? Notes,
    IReadOnlyList<ResourceRef>? Unstoppable,
    VendorError? Error);

/// <summary>One state change a cancel made (the resource or its cascade).</summary>
public sealed record StateChange(string Api, string ResourceType, string ResourceId, string Action, string? From, string? To);

/// <summary>The vendor API's refusal: its HTTP status, code and message.</summary>
public sealed record VendorError(int Status, string Code, string Message);

/// <summary>A resource in brief (a child, or one that cannot be stopped).</summary>
public sealed record ResourceRef(string Api, string Type, string Id, string Mode, string State, string? Reference, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A resource with its children and the vendor API's own JSON for it.</summary>
public sealed record Resource(
    string Api, string Type, string Id, string Mode, string State, string? Reference, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<ResourceRef> Children, JsonElement Vendor);

/// <summary>A page of cancellations, newest first.</summary>
public sealed record CancellationPage(IReadOnlyList<Cancellation> Data, bool HasMore, string? NextCursor);

/// <summary>Outcome counts in [<see cref="From"/>, <see cref="To"/>).</summary>
public sealed record CancellationReport(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<ReportLine> Data);

/// <summary>How many outcomes of one kind a day, API and reason had.</summary>
public sealed record ReportLine(string Day, string? Api, string? Reason, string Outcome, long Count);

/// <summary>A server-sent event: its id (resume with it), type (<c>cancellation.completed</c>, …) and JSON data.</summary>
public sealed record RescindEvent(string? Id, string Type, string Data);
