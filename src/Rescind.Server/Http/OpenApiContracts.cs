namespace Rescind.Server.Http;

/// <summary>Rescind's RFC 9457 problem details as <see cref="ProblemEnvelope"/> writes them: <c>type</c> (a URL
/// naming the code), <c>title</c> (the code), <c>status</c> and <c>detail</c>. Declared for the OpenAPI documents;
/// the envelope itself writes the bytes.</summary>
public sealed record ProblemBody(string Type, string Title, int Status, string Detail);

/// <summary>The body of a write that takes no fields (any body is ignored), for the OpenAPI documents, which ask a
/// request body schema of every POST: <c>.Accepts&lt;EmptyBody&gt;(isOptional: true, "application/json")</c>.</summary>
public sealed record EmptyBody;

/// <summary>Declarations every document shares: problem details on error statuses, the no-fields body.</summary>
public static class OpenApiContracts
{
    public const string ProblemContentType = "application/problem+json";

    /// <summary>Error statuses answered in Rescind's problem details (the operator API, Rescind's own API, and
    /// anything else in <see cref="ProblemEnvelope"/>).</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata([.. statuses.Select(s => new ProducesResponseTypeMetadata(s, typeof(ProblemBody), [ProblemContentType]))]);

    /// <summary>Error statuses answered in a vendor's envelope, the record <paramref name="body"/>.</summary>
    public static TBuilder ProducesErrors<TBuilder>(this TBuilder builder, Type body, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata([.. statuses.Select(s => new ProducesResponseTypeMetadata(s, body, ["application/json"]))]);

    /// <summary>A POST without fields: an optional JSON body that is not read.</summary>
    public static RouteHandlerBuilder AcceptsNoFields(this RouteHandlerBuilder builder) =>
        builder.Accepts<EmptyBody>(isOptional: true, "application/json");
}
