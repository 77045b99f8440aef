using System.Buffers;
using System.Text.Json;

namespace Rescind.Server.Http;

/// <summary>The outcome of reading a JSON request body: a document, or why there is none.</summary>
public sealed record BodyRead(JsonDocument? Document, SharedFailure? Failure, string? Message)
{
    public bool Ok => Document is not null;
}

/// <summary>
/// Reads request bodies ourselves (instead of model binding) so every failure, including a body that is too large
/// or not JSON at all, is answered in the API's own envelope with a message that says what was wrong.
/// </summary>
public static class JsonBody
{
    // A name twice in one object is refused as malformed (RFC 8259 names should be unique; which one would win differs
    // between readers, and the JSON nodes some APIs build from a body cannot hold both).
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32, CommentHandling = JsonCommentHandling.Disallow, AllowDuplicateProperties = false };

    /// <summary>True when every property name and string value is well-formed UTF-16 (no lone surrogates).</summary>
    public static bool IsValidUnicode(JsonElement e)
    {
        try
        {
            return e.ValueKind switch
            {
                JsonValueKind.String => IsWellFormed(e.GetString()!),
                JsonValueKind.Array => e.EnumerateArray().All(IsValidUnicode),
                JsonValueKind.Object => e.EnumerateObject().All(p => IsWellFormed(p.Name) && IsValidUnicode(p.Value)),
                _ => true,
            };
        }
        catch (InvalidOperationException)
        {
            return false; // System.Text.Json refuses to transcode a lone surrogate escape
        }
    }

    /// <summary>The dotted path of the first property name or string value holding a NUL character, or null.</summary>
    public static string? FindNul(JsonElement e, string path = "")
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return e.GetString()!.Contains('\0', StringComparison.Ordinal) ? Named(path) : null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    if (FindNul(item, $"{path}[{i++}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    var name = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
                    if (p.Name.Contains('\0', StringComparison.Ordinal))
                    {
                        return Named(path.Length == 0 ? "a property name" : $"a property name in {path}");
                    }
                    if (FindNul(p.Value, name) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    private static string Named(string path) => path.Length == 0 ? "the body" : path;

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The body read whole, refused past <paramref name="maxBytes"/> (declared or sent).</summary>
    private static async Task<ArrayBufferWriter<byte>?> ReadBoundedAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        var buffer = new ArrayBufferWriter<byte>(4096);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.WrittenCount + n > maxBytes)
                {
                    return null;
                }
                buffer.Write(chunk.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer;
    }

    private static BodyRead TooLarge(long maxBytes) => new(null, SharedFailure.PayloadTooLarge, $"The request body is larger than {maxBytes} bytes.");

    /// <summary>A form body (URL-encoded or multipart) under the same size bound as a JSON body: null with the
    /// failure when it is larger.</summary>
    public static async Task<(IFormCollection? Form, BodyRead? Failure)> ReadFormAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (await ReadBoundedAsync(request, maxBytes, ct) is not { } buffer)
        {
            return (null, TooLarge(maxBytes));
        }
        request.Body = new MemoryStream(buffer.WrittenMemory.ToArray(), writable: false);
        return (await request.ReadFormAsync(ct), null);
    }

    public static async Task<BodyRead> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (await ReadBoundedAsync(request, maxBytes, ct) is not { } buffer)
        {
            return TooLarge(maxBytes);
        }
        if (buffer.WrittenCount == 0)
        {
            return new(null, SharedFailure.MalformedJson, "The request body is empty; a JSON object is required.");
        }
        try
        {
            var doc = JsonDocument.Parse(buffer.WrittenMemory, Options);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                return new(null, SharedFailure.MalformedJson, "The request body must be a JSON object.");
            }
            if (!IsValidUnicode(doc.RootElement))
            {
                // JSON escapes can spell a lone surrogate (\ud800), which no database can store as text: refuse it
                // here, once, for every API, instead of failing deep inside a write.
                doc.Dispose();
                return new(null, SharedFailure.MalformedJson, "The request body contains a string that is not valid Unicode (a lone surrogate escape).");
            }
            if (FindNul(doc.RootElement) is { } where)
            {
                // PostgreSQL's text type cannot hold NUL (SQLite can): refuse it here, once, for every API and on every
                // database alike, rather than as a failed write deep inside one of them.
                doc.Dispose();
                return new(null, SharedFailure.InvalidText, $"{where} must not contain NUL characters (\\u0000).");
            }
            return new(doc, null, null);
        }
        catch (JsonException e)
        {
            return new(null, SharedFailure.MalformedJson, $"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}).");
        }
        catch (InvalidOperationException)
        {
            // The duplicate-name check unescapes each name, and a name that spells a lone surrogate cannot be.
            return new(null, SharedFailure.MalformedJson, "The request body contains a string that is not valid Unicode (a lone surrogate escape).");
        }
    }
}
