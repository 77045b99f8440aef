using System.Globalization;

namespace Rescind.Server.Http;

/// <summary>
/// The query-string checks the strict APIs share: a parameter the operation does not take, or one given twice, is
/// an error (a typo must not silently widen a list); integers are plain digits within the operation's range. Each
/// API words and wraps the error in its own envelope.
/// </summary>
public static class StrictQuery
{
    /// <summary>The first parameter not in <paramref name="known"/> or given more than once, said as the APIs say
    /// it; null when every parameter is known and single.</summary>
    public static string? Stray(IQueryCollection query, IReadOnlyCollection<string> known)
    {
        foreach (var name in query.Keys)
        {
            if (!known.Contains(name))
            {
                return $"Unknown query parameter '{name}'.";
            }
            if (query[name].Count > 1)
            {
                return $"Query parameter '{name}' is given more than once.";
            }
        }
        return null;
    }

    /// <summary>The parameter's value as sent (null when absent).</summary>
    public static string? Value(IQueryCollection query, string name) => query.TryGetValue(name, out var v) ? v.ToString() : null;

    /// <summary>Reads an optional integer: true when <paramref name="text"/> is absent (<paramref name="value"/> keeps
    /// its default) or plain digits from <paramref name="min"/> to <paramref name="max"/>; false otherwise.</summary>
    public static bool TryInteger(string? text, int min, int max, ref int value)
    {
        if (text is null)
        {
            return true;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            return false;
        }
        value = parsed;
        return true;
    }
}
