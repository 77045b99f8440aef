using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rescind.Server.Http;

/// <summary>
/// The serializer options of an API's wire JSON, made one way: the vendor's property naming, whether it writes
/// null members or leaves them out, and whether it escapes only what JSON requires (vendors send <c>+</c>, <c>&lt;</c>
/// and non-ASCII text as they are) or also HTML-sensitive characters (System.Text.Json's default).
/// </summary>
public static class WireJson
{
    public static JsonSerializerOptions Options(JsonNamingPolicy naming, bool writeNulls, bool htmlSafe = false) => new()
    {
        PropertyNamingPolicy = naming,
        DefaultIgnoreCondition = writeNulls ? JsonIgnoreCondition.Never : JsonIgnoreCondition.WhenWritingNull,
        Encoder = htmlSafe ? JavaScriptEncoder.Default : JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
