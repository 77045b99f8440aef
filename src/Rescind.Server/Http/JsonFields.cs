using System.Text.Json;
using Rescind.Core;

namespace Rescind.Server.Http;

/// <summary>What was wrong with a field, for the APIs whose error codes tell these apart.</summary>
public enum FieldProblem
{
    /// <summary>The value is there and of the right JSON type, but not acceptable (length, format, range).</summary>
    Invalid,

    /// <summary>A required field is absent or null.</summary>
    Missing,

    /// <summary>A field the operation does not take.</summary>
    Unrecognized,

    /// <summary>The JSON type is wrong (a number for a string, a string for an array, …).</summary>
    WrongType,
}

/// <summary>A field that failed validation, named as the caller wrote it.</summary>
public sealed record FieldError(string Field, string Message, FieldProblem Problem = FieldProblem.Invalid);

/// <summary>
/// Typed access to a request's JSON object that stops at the first problem and says which field and why. Unknown
/// fields are rejected so a typo never silently does nothing.
/// </summary>
public sealed class JsonFields(JsonElement root)
{
    public FieldError? Error { get; private set; }

    public bool Ok => Error is null;

    public JsonFields Allow(params string[] names)
    {
        foreach (var p in root.EnumerateObject())
        {
            if (Error is null && Array.IndexOf(names, p.Name) < 0)
            {
                Error = new(p.Name, $"{p.Name} is not a recognised field.", FieldProblem.Unrecognized);
            }
        }
        return this;
    }

    public string? String(string name, bool required, int maxLength = 255, Func<string, bool>? valid = null, string? format = null)
    {
        if (!Present(name, required, out var v))
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            Error = new(name, $"{name} must be a string.", FieldProblem.WrongType);
            return null;
        }
        var s = v.GetString()!;
        if (s.Length == 0 || s.Length > maxLength)
        {
            Error = new(name, $"{name} must be 1 to {maxLength} characters.");
            return null;
        }
        if (valid is not null && !valid(s))
        {
            Error = new(name, $"{name} is not valid{(format is null ? "" : $"; expected {format}")}.");
            return null;
        }
        if (s.Contains('\0', StringComparison.Ordinal))
        {
            // Stored text: PostgreSQL's text type cannot hold NUL, so it is refused the same way on every database.
            Error = new(name, $"{name} must not contain NUL characters.");
            return null;
        }
        return s;
    }

    public IReadOnlyList<string>? StringArray(string name, bool required, int maxItems, int maxLength, Func<string, bool>? valid = null, string? format = null)
    {
        if (!Present(name, required, out var v))
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Array)
        {
            Error = new(name, $"{name} must be an array of strings.", FieldProblem.WrongType);
            return null;
        }
        var items = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                Error = new(name, $"{name} must contain only strings{(format is null ? "" : $" like {format}")}.", FieldProblem.WrongType);
                return null;
            }
            if (item.GetString() is not { Length: > 0 } s || s.Length > maxLength
                || s.Contains('\0', StringComparison.Ordinal) || (valid is not null && !valid(s)))
            {
                Error = new(name, $"{name} must contain only strings{(format is null ? "" : $" like {format}")}.");
                return null;
            }
            items.Add(s);
        }
        if (items.Count == 0 || items.Count > maxItems)
        {
            Error = new(name, $"{name} must have 1 to {maxItems} items.");
            return null;
        }
        if (items.Distinct(StringComparer.Ordinal).Count() != items.Count)
        {
            Error = new(name, $"{name} must not repeat an item.");
            return null;
        }
        return items;
    }

    /// <summary>An ISO-8601 timestamp that states UTC (trailing Z).</summary>
    public DateTimeOffset? Timestamp(string name, bool required)
    {
        var s = String(name, required, 40);
        if (s is null)
        {
            return null;
        }
        if (!Time.TryParseUtc(s, out var t))
        {
            Error = new(name, $"{name} must be an ISO-8601 UTC timestamp such as 2026-12-31T23:59:59Z.");
            return null;
        }
        return t;
    }

    /// <summary>An integer from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public long? Integer(string name, bool required, long min, long max)
    {
        if (!Present(name, required, out var v))
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Number)
        {
            Error = new(name, $"{name} must be an integer from {min} to {max}.", FieldProblem.WrongType);
            return null;
        }
        if (!v.TryGetInt64(out var n) || n < min || n > max)
        {
            Error = new(name, $"{name} must be an integer from {min} to {max}.");
            return null;
        }
        return n;
    }

    /// <summary>A JSON boolean.</summary>
    public bool? Boolean(string name, bool required)
    {
        if (!Present(name, required, out var v))
        {
            return null;
        }
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Error = new(name, $"{name} must be true or false.", FieldProblem.WrongType);
            return null;
        }
        return v.GetBoolean();
    }

    /// <summary>A JSON object, as its raw text.</summary>
    public string? Object(string name, bool required)
    {
        if (!Present(name, required, out var v))
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Object)
        {
            Error = new(name, $"{name} must be an object.", FieldProblem.WrongType);
            return null;
        }
        return v.GetRawText();
    }

    /// <summary>A JSON object whose values are all strings (a map from strings to strings), as its raw text.</summary>
    public string? StringMap(string name, bool required, int maxEntries, int maxKeyLength, int maxValueLength)
    {
        var raw = Object(name, required);
        if (raw is null)
        {
            return null;
        }
        var count = 0;
        foreach (var p in root.GetProperty(name).EnumerateObject())
        {
            if (++count > maxEntries || p.Name.Length is 0 || p.Name.Length > maxKeyLength || p.Value.ValueKind != JsonValueKind.String
                || p.Value.GetString()!.Length > maxValueLength || p.Name.Contains('\0', StringComparison.Ordinal)
                || p.Value.GetString()!.Contains('\0', StringComparison.Ordinal))
            {
                Error = new(name, $"{name} must map at most {maxEntries} keys of 1 to {maxKeyLength} characters to strings of at most {maxValueLength} characters.");
                return null;
            }
        }
        return raw;
    }

    public void Fail(string name, string message) => Error ??= new(name, message);

    /// <summary>Whether the field is there to read (not null); a missing required one is the error.</summary>
    private bool Present(string name, bool required, out JsonElement value)
    {
        value = default;
        if (Error is not null)
        {
            return false;
        }
        if (!root.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error = new(name, $"{name} is required.", FieldProblem.Missing);
            }
            return false;
        }
        return true;
    }
}
