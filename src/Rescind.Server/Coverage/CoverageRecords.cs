using System.Collections.Concurrent;
using Rescind.Server.Http;

namespace Rescind.Server.Coverage;

/// <summary>
/// A route parameter that stands for a fixed set of the vendor's literal path segments (GoCardless's billing request
/// actions, DigiCert's products): each value counts as the vendor's operation on that literal path.
/// </summary>
public sealed record ServedValues(string Parameter, IReadOnlyCollection<string> Values);

/// <summary>
/// <c>Rescind:Coverage:Records=DIR</c>: which documented routes were called (answered past authentication and routing), and by whom (the suite's test class in
/// <c>X-Rescind-Test</c>, else the caller's User-Agent), written to a file of its own in DIR when the host stops.
/// <c>rescind coverage</c> reads them into the coverage tables.
/// </summary>
public sealed class CoverageRecords(string folder) : IHostedService
{
    public const string TestHeader = "X-Rescind-Test";

    private readonly ConcurrentDictionary<string, byte> seen = new(StringComparer.Ordinal);

    public void Add(HttpContext http)
    {
        if (DocumentedRoute.Of(http.GetEndpoint()) is not { } route)
        {
            return;
        }
        var template = Concrete(route.Template, http);
        // Only calls that got past authentication and routing count: a 401, 404 or 405 exercised nothing.
        if (http.Response.StatusCode is 401 or 404 or 405)
        {
            return;
        }
        var test = http.Request.Headers[TestHeader].ToString();
        if (test == "-")
        {
            return; // a test that sends generated requests: what it reaches differs between runs
        }
        var by = test.Length > 0 ? "test:" + test : "agent:" + http.Request.Headers.UserAgent;
        seen.TryAdd(string.Join('\t', route.Document, http.Request.Method, template, Clean(by)), 0);
    }

    /// <summary>The template with each <see cref="ServedValues"/> parameter replaced by the value of this request,
    /// when it is one of the served values.</summary>
    private static string Concrete(string template, HttpContext http)
    {
        foreach (var served in http.GetEndpoint()?.Metadata.GetOrderedMetadata<ServedValues>() ?? [])
        {
            if (http.Request.RouteValues[served.Parameter] is string value && served.Values.Contains(value))
            {
                template = template.Replace("{" + served.Parameter + "}", value, StringComparison.Ordinal);
            }
        }
        return template;
    }

    private static string Clean(string s) => new([.. s.Take(200).Select(c => char.IsControl(c) ? ' ' : c)]);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (seen.IsEmpty)
        {
            return;
        }
        Directory.CreateDirectory(folder);
        await File.WriteAllLinesAsync(Path.Combine(folder, Guid.NewGuid().ToString("N") + ".tsv"), seen.Keys.Order(StringComparer.Ordinal), cancellationToken);
    }

    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        if (configuration["Rescind:Coverage:Records"] is { Length: > 0 } folder)
        {
            services.AddSingleton(new CoverageRecords(folder));
            services.AddHostedService(sp => sp.GetRequiredService<CoverageRecords>());
        }
    }

    public static void Use(IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetService<CoverageRecords>() is { } records)
        {
            app.Use(async (http, next) =>
            {
                await next(http);
                records.Add(http);
            });
        }
    }

    /// <summary>Every record (of a call answered past authentication and routing) in <paramref name="folder"/>: (document, method, template, who).</summary>
    public static IReadOnlyList<(string Document, string Method, string Template, string By)> Read(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*.tsv", SearchOption.AllDirectories).SelectMany(File.ReadLines).Select(l => l.Split('\t')).Where(p => p.Length == 4)
            .Select(p => (p[0], p[1], p[2], p[3])).Distinct()];
}
