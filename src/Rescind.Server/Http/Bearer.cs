using Rescind.Core.Accounts;

namespace Rescind.Server.Http;

/// <summary>The <c>Authorization: Bearer &lt;secret&gt;</c> lookup the APIs with plain bearer keys share; each API
/// answers a missing or unknown key in its own envelope.</summary>
public static class Bearer
{
    public static async ValueTask<Principal?> PrincipalAsync(HttpContext http, string api)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal)
            ? await http.RequestServices.GetRequiredService<AccountStore>().AuthenticateAsync(api, header[7..].Trim(), http.RequestAborted)
            : null;
    }
}
