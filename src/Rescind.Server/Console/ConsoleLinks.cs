using Rescind.Server.Cancellations;

namespace Rescind.Server.OperatorConsole;

/// <summary>The console's URLs, in one place.</summary>
public static class ConsoleLinks
{
    public static string List(CancelTarget t) => $"/console/r/{Uri.EscapeDataString(t.Api)}/{Uri.EscapeDataString(t.Type)}";

    public static string Detail(CancelTarget t, string id) => $"{List(t)}/{Uri.EscapeDataString(id)}";

    public static string Cancel(CancelTarget t, string id) => Detail(t, id) + "/cancel";

    public static string Audit(string resourceId) => "/console/audit?resource=" + Uri.EscapeDataString(resourceId);

    /// <summary>States that mean a cancel was accepted but waits (PENDING_CANCELLATION, pending_cancellation) or
    /// that a vendor calls stuck: the overview lists them as needing attention.</summary>
    public static bool NeedsAttention(string state)
    {
        var letters = new string([.. state.Where(char.IsLetter)]).ToLowerInvariant();
        return letters.Contains("pendingcancel", StringComparison.Ordinal) || letters.Contains("cancelpending", StringComparison.Ordinal) || letters == "stuck";
    }

    public static string When(long ms) => Rescind.Core.Time.FromUnixMs(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
