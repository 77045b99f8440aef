using System.Globalization;

namespace Rescind.Core;

/// <summary>Timestamps are stored as UTC unix milliseconds on both databases and shown as ISO-8601 with Z.</summary>
public static class Time
{
    public static long ToUnixMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static string Iso(long ms) => Iso(FromUnixMs(ms));

    public static string Iso(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string? Iso(long? ms) => ms is { } v ? Iso(v) : null;

    /// <summary>Parses an ISO-8601 timestamp that states UTC explicitly (a trailing Z or +00:00).</summary>
    public static bool TryParseUtc(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 40)
        {
            return false;
        }
        var explicitUtc = text.EndsWith('Z') || text.EndsWith("+00:00", StringComparison.Ordinal);
        if (!explicitUtc)
        {
            return false;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
            && text.Contains('T', StringComparison.Ordinal);
    }
}
