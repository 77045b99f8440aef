using Rescind.Core;
using Rescind.Core.Coordination;

namespace Rescind.Server.Http;

/// <summary>
/// The <c>Idempotency-Key</c> of a request, read the same way for every API: the header's value (absent: no key),
/// checked by the API's own rule, and the request's fingerprint (method, path and body) that tells a repeat from a
/// different request under the same key. What an API answers for a bad key, a repeat, a mismatch or a key in
/// flight is its own (its validator and its <see cref="IdempotencyPolicy"/>).
/// </summary>
public static class RequestKeys
{
    public const string Header = "Idempotency-Key";

    /// <summary>The request with its key attached to <paramref name="ctx"/>; or the API's error for a key its
    /// <paramref name="check"/> refuses (null when the key is fine); or <paramref name="ctx"/> as it is without a key.</summary>
    /// <param name="normalise">How the API compares keys (CrissCross's UUIDs are case-insensitive).</param>
    public static (OperationContext Context, StoredResponse? Error) Attach(
        HttpContext http, OperationContext ctx, string body, Func<string, StoredResponse?> check, IdempotencyPolicy policy,
        Func<string, string>? normalise = null)
    {
        var key = http.Request.Headers[Header].ToString();
        if (key.Length == 0)
        {
            return (ctx, null);
        }
        if (check(key) is { } error)
        {
            return (ctx, error);
        }
        return (ctx with { Idempotency = new IdempotencyRequest(normalise is null ? key : normalise(key), Fingerprint(http.Request, body), policy) { Mode = ModeOf(http) } }, null);
    }

    /// <summary>The authenticated credential's mode (live or test): keys are scoped to it.</summary>
    public static string ModeOf(HttpContext http) => http.User.Identities.OfType<CallerIdentity>().FirstOrDefault()?.Principal.Mode ?? "live";

    /// <summary>Method, path and body: the same key with another of these is a different request.</summary>
    public static string Fingerprint(HttpRequest request, string body) => Ids.Sha256Hex(request.Method + " " + request.Path + "\n" + body);
}
