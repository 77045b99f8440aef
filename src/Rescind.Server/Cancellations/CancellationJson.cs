using Rescind.Server.Http;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rescind.Core;

namespace Rescind.Server.Cancellations;

/// <summary>Rescind's own wire shapes: snake_case, nulls left out, timestamps ISO-8601 UTC.</summary>
public static class CancellationJson
{
    public static readonly JsonSerializerOptions Options = WireJson.Options(JsonNamingPolicy.SnakeCaseLower, writeNulls: false, htmlSafe: true);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)!;

    public const string Canceled = "canceled";
    public const string AlreadyCanceled = "already_canceled";
    public const string Pending = "pending_cancellation";
    public const string Refused = "refused";
    public const string NotFound = "not_found";

    public static readonly IReadOnlyList<string> Outcomes = [Canceled, AlreadyCanceled, Pending, Refused, NotFound];

    /// <summary>One resource's outcome in the one vocabulary.</summary>
    public static OutcomeObject Outcome(string resource, CancelTarget? target, CancelOutcome outcome) => outcome switch
    {
        CancelOutcome.Canceled c => new(resource, Canceled, target?.Api, target?.Type, c.After.Resource.Id, c.After.Resource.State,
            [.. c.Effects.Select(Effect)], c.Notes, null, null),
        CancelOutcome.AlreadyCanceled a => new(resource, AlreadyCanceled, target?.Api, target?.Type, a.After.Resource.Id, a.After.Resource.State,
            null, null, null, null),
        CancelOutcome.PendingCancellation p => new(resource, Pending, target?.Api, target?.Type, p.After.Resource.Id, p.After.Resource.State,
            [.. p.Effects.Select(Effect)], p.Notes, [.. p.Unstoppable.Select(Resource)], null),
        CancelOutcome.Refused r => new(resource, Refused, target?.Api, target?.Type, null, null, null, null, null,
            new ErrorObject(r.Status, r.Code, r.Message)),
        _ => new(resource, NotFound, null, null, null, null, null, null, null, null),
    };

    public static EffectObject Effect(Rescind.Core.Coordination.Change c) => new(c.Api, c.ResourceType, c.ResourceId, c.Action, c.From, c.To);

    public static ResourceObject Resource(ResourceSummary r) =>
        new(r.Api, r.Type, r.Id, r.Mode, r.State, r.Reference, Time.Iso(r.CreatedAt)!, Time.Iso(r.UpdatedAt)!);

    public static SummaryObject Summary(IReadOnlyCollection<OutcomeObject> outcomes) => new(
        outcomes.Count,
        outcomes.Count(o => o.Outcome == Canceled),
        outcomes.Count(o => o.Outcome == AlreadyCanceled),
        outcomes.Count(o => o.Outcome == Pending),
        outcomes.Count(o => o.Outcome == Refused),
        outcomes.Count(o => o.Outcome == NotFound));
}

public sealed record ErrorObject(int Status, string Code, string Message);

public sealed record EffectObject(string Api, string ResourceType, string ResourceId, string Action, string? From, string? To);

public sealed record ResourceObject(string Api, string Type, string Id, string Mode, string State, string? Reference, string CreatedAt, string UpdatedAt);

/// <summary>What happened (or in a dry run would happen) to one named resource.</summary>
public sealed record OutcomeObject(
    string Resource,
    string Outcome,
    string? Api,
    string? Type,
    string? Id,
    string? State,
    IReadOnlyList<EffectObject>? Effects,
    IReadOnlyList<string>? Notes,
    IReadOnlyList<ResourceObject>? Unstoppable,
    ErrorObject? Error);

public sealed record SummaryObject(int Total, int Canceled, int AlreadyCanceled, int PendingCancellation, int Refused, int NotFound);

/// <summary>The cancellation object. Status: <c>scheduled</c>, <c>processing</c>, <c>pending</c> (some outcome still
/// pending cancellation), <c>completed</c>, or <c>canceled</c> (a schedule canceled before it ran).</summary>
public sealed record CancellationObject(
    string Id,
    string Object,
    string Status,
    string Mode,
    bool DryRun,
    string? Reason,
    string? IdempotencyKey,
    IReadOnlyList<string> Resources,
    string? CancelAt,
    string CreatedAt,
    string UpdatedAt,
    SummaryObject? Summary,
    IReadOnlyList<OutcomeObject> Outcomes);

public sealed record ResourceDetailObject(
    string Api, string Type, string Id, string Mode, string State, string? Reference, string CreatedAt, string UpdatedAt,
    IReadOnlyList<ResourceObject> Children, JsonElement Vendor);

public sealed record PageObject<T>(IReadOnlyList<T> Data, bool HasMore, string? NextCursor);

/// <summary>The body of <c>POST /v1/cancellations</c>: the resources (ids or <c>api:id</c>), the caller's key, and
/// optionally a reason, a dry run, or a time to run at (ISO-8601 UTC).</summary>
public sealed record NewCancellationBody(IReadOnlyList<string> Resources, string IdempotencyKey, string? Reason = null, bool DryRun = false, string? CancelAt = null);

/// <summary>Outcomes counted by day, API, reason and outcome over [from, to).</summary>
public sealed record CancellationReport(string From, string To, IReadOnlyList<ReportRow> Data);
