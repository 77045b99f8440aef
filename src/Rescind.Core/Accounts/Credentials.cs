namespace Rescind.Core.Accounts;

/// <summary>
/// A kind of credential an API hands out (Numeral's <c>sk_live_</c> key, a DigiCert dev key, …). Each API
/// registers its kinds once; creating an account issues one of every registered kind. With
/// <see cref="IdLength"/> set, the key reads <c>&lt;prefix&gt;&lt;id&gt;:&lt;secret&gt;</c> (Circle's
/// <c>TEST_API_KEY:&lt;id&gt;:&lt;secret&gt;</c>); the whole string is the secret that is hashed.
/// </summary>
public sealed record CredentialKind(string Api, string Mode, string Prefix, int SecretLength = 32, int IdLength = 0)
{
    public string Name => $"{Api}.{Mode}";

    /// <summary>A fresh key of this kind's shape.</summary>
    public string NewSecret() =>
        Prefix + (IdLength > 0 ? Ids.Secret(IdLength) + ":" : "") + Ids.Secret(SecretLength);
}

/// <summary>A credential as its owner sees it once, at creation.</summary>
public sealed record IssuedCredential(string Id, string Api, string Mode, string Secret);

/// <summary>A credential resolved from a presented secret.</summary>
public sealed record Principal(string CredentialId, string? AccountId, string Api, string Mode)
{
    public bool IsLive => Mode == "live";
}

public sealed class CredentialKinds
{
    private readonly List<CredentialKind> kinds = [];

    public IReadOnlyList<CredentialKind> All => kinds;

    public CredentialKinds Add(CredentialKind kind)
    {
        if (kinds.Any(k => k.Name == kind.Name))
        {
            throw new InvalidOperationException($"credential kind {kind.Name} is registered twice");
        }
        kinds.Add(kind);
        return this;
    }

    public CredentialKind? Find(string api, string mode) => kinds.FirstOrDefault(k => k.Api == api && k.Mode == mode);
}
