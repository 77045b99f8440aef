using System.Security.Cryptography;
using System.Text;

namespace Rescind.Core.Webhooks;

public static class Signatures
{
    public static string HmacSha256Hex(string secret, string message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(message)));

    /// <summary>Constant-time comparison of two hex signatures.</summary>
    public static bool HexEquals(string a, string b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
