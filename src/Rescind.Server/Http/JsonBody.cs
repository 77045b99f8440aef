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
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32, CommentHandling = JsonCommentHandling.Disallow };

    public static async Task<BodyRead> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return new(null, SharedFailure.PayloadTooLarge, $"The request body is larger than {maxBytes} bytes.");
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
                    return new(null, SharedFailure.PayloadTooLarge, $"The request body is larger than {maxBytes} bytes.");
                }
                buffer.Write(chunk.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
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
            if (!StringsDecode(doc.RootElement))
            {
                doc.Dispose();
                return new(null, SharedFailure.MalformedJson, "The request body contains a string that is not valid Unicode (an unpaired surrogate escape).");
            }
            return new(doc, null, null);
        }
        catch (JsonException e)
        {
            return new(null, SharedFailure.MalformedJson, $"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}).");
        }
    }

    /// <summary>
    /// The parser accepts escapes such as a lone <c>\ud800</c>, which only fail when the string is read; reading
    /// every string and name once here turns that into a 400 instead of a fault deep inside a handler.
    /// </summary>
    private static bool StringsDecode(JsonElement e)
    {
        try
        {
            Walk(e);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        static void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        _ = p.Name;
                        Walk(p.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                    {
                        Walk(item);
                    }
                    break;
                case JsonValueKind.String:
                    _ = e.GetString();
                    break;
            }
        }
    }
}
