using System.Security.Cryptography;
using System.Text;

namespace Rescind.Core;

public static class Ids
{
    /// <summary>A time-ordered (UUID v7) id with the vendor's prefix, e.g. <c>cert_req_0190…</c>.</summary>
    public static string New(string prefix, TimeProvider clock) =>
        prefix + Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");

    public static bool HasUuidSuffix(string? id, string prefix) =>
        id is not null && id.Length == prefix.Length + 36 && id.StartsWith(prefix, StringComparison.Ordinal)
        && Guid.TryParseExact(id.AsSpan(prefix.Length), "D", out _);

    /// <summary>A bare time-ordered UUID in its canonical lower-case form (CrissCross and Circle ids).</summary>
    public static bool IsUuidV7(string? id) =>
        Guid.TryParseExact(id, "D", out var g) && g.Version == 7 && id == g.ToString("D");

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A random secret of base62 characters (about 5.95 bits each).</summary>
    public static string Secret(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(chars);
    }

    public static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
