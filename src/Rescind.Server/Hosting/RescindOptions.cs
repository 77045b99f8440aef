namespace Rescind.Server.Hosting;

/// <summary>The <c>Rescind</c> configuration section (appsettings, <c>Rescind__X</c> environment variables, CLI).</summary>
public sealed class RescindOptions
{
    public const string Section = "Rescind";

    /// <summary>A PostgreSQL connection string or URI, or a SQLite connection string/path. Empty: SQLite in <see cref="Data"/>.</summary>
    public string? Database { get; set; }

    /// <summary>The data folder of the embedded default.</summary>
    public string Data { get; set; } = "./data";

    /// <summary>An operator secret accepted in addition to any issued operator credential.</summary>
    public string? OperatorToken { get; set; }

    /// <summary>The base of absolute URLs the APIs hand out (e.g. <c>https://rescind.example.com</c>); unset, the URL
    /// each request came in on, <c>Host</c> header included.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Largest request body any API accepts, in bytes.</summary>
    public long MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Long-lived streams (server-sent events) one account may hold open at once; more are 429.</summary>
    public int MaxStreamsPerAccount { get; set; } = 4;

    /// <summary>SQLite only: concurrent requests' transactions are committed together by one writer.</summary>
    public bool GroupCommit { get; set; } = true;

    public string DatabaseSpec() =>
        string.IsNullOrWhiteSpace(Database) ? Path.Combine(Path.GetFullPath(Data), "rescind.db") : Database;
}
