using System.Text.Json;
using Rescind.Core.Coordination;

namespace Rescind.Server.Http;

/// <summary>
/// How one API shapes its errors. Shared middleware (rate limits, oversized bodies, unknown routes, outages,
/// bugs) answers through the envelope of the API whose path prefix the request falls under.
/// </summary>
public interface IErrorEnvelope
{
    StoredResponse Error(int status, string code, string message);

    /// <summary>The same, for envelopes that carry the request's id in their body (GoCardless).</summary>
    StoredResponse Error(int status, string code, string message, string? requestId) => Error(status, code, message);

    /// <summary>The API's own code for the shared failure kinds.</summary>
    string CodeFor(SharedFailure failure);
}

public enum SharedFailure
{
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    Internal,
    MalformedJson,
    /// <summary>A string (body field, query value or path) holding a NUL character, which no text column can store.</summary>
    InvalidText,
}

/// <summary>Maps path prefixes to error envelopes; the longest prefix wins.</summary>
public sealed class EnvelopeRegistry
{
    private readonly List<(string Prefix, IErrorEnvelope Envelope)> entries = [];

    public EnvelopeRegistry Add(string prefix, IErrorEnvelope envelope)
    {
        entries.Add((prefix, envelope));
        entries.Sort((a, b) => b.Prefix.Length.CompareTo(a.Prefix.Length));
        return this;
    }

    public IErrorEnvelope For(PathString path)
    {
        foreach (var (prefix, envelope) in entries)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return envelope;
            }
        }
        return ProblemEnvelope.Instance;
    }
}

/// <summary>RFC 9457 problem details: Rescind's own envelope (operator API, health, anything unclaimed).</summary>
public sealed class ProblemEnvelope : IErrorEnvelope
{
    public static ProblemEnvelope Instance { get; } = new();

    public StoredResponse Error(int status, string code, string message) =>
        new(status, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "https://rescind.dev/problems/" + code.ToLowerInvariant().Replace('_', '-'),
            ["title"] = code,
            ["status"] = status,
            ["detail"] = message,
        }));

    public string CodeFor(SharedFailure failure) => failure switch
    {
        SharedFailure.Unauthorized => "unauthorized",
        SharedFailure.NotFound => "not_found",
        SharedFailure.MethodNotAllowed => "method_not_allowed",
        SharedFailure.PayloadTooLarge => "payload_too_large",
        SharedFailure.RateLimited => "rate_limited",
        SharedFailure.Unavailable => "service_unavailable",
        SharedFailure.MalformedJson => "invalid_json",
        SharedFailure.InvalidText => "invalid_request",
        _ => "internal_error",
    };
}

public static class StoredResponseResults
{
    /// <summary>Writes a stored answer byte for byte (the replay of an idempotent request must match the first).</summary>
    public static IResult ToResult(this StoredResponse response, string contentType = "application/json") =>
        Results.Text(response.Body, contentType, System.Text.Encoding.UTF8, response.Status);

    public static Task WriteAsync(this StoredResponse response, HttpContext http, string contentType = "application/json")
    {
        http.Response.StatusCode = response.Status;
        http.Response.ContentType = contentType;
        return http.Response.WriteAsync(response.Body, http.RequestAborted);
    }

    public static Task WriteFailureAsync(this HttpContext http, SharedFailure failure, int status, string message)
    {
        var envelope = http.RequestServices.GetRequiredService<EnvelopeRegistry>().For(http.Request.Path);
        var contentType = envelope is ProblemEnvelope ? "application/problem+json" : "application/json";
        var requestId = http.Items.TryGetValue(RequestIds.Header, out var id) ? id as string : null;
        return envelope.Error(status, envelope.CodeFor(failure), message, requestId).WriteAsync(http, contentType);
    }
}
