using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rescind.Server.Tests.Infrastructure;

public sealed record Received(string Path, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A real HTTP receiver on a loopback port, recording what arrives. <see cref="Behave"/> decides each answer
/// (status code and delay) from the running count of requests to that path.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, int> counts = new();

    public ConcurrentQueue<Received> Requests { get; } = new();

    public Func<string, int, (int Status, TimeSpan Delay)> Behave { get; set; } = (_, _) => (200, TimeSpan.Zero);

    /// <summary>Awaited before a request to a path is answered (e.g. a gate the test opens), after it is counted.</summary>
    public Func<string, Task> Hold { get; set; } = _ => Task.CompletedTask;

    public string BaseUrl { get; }

    private Receiver(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        Receiver? self = null;
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var path = http.Request.Path.Value ?? "/";
            var n = self!.counts.AddOrUpdate(path, 1, (_, c) => c + 1);
            var (status, delay) = self.Behave(path, n);
            await self.Hold(path).WaitAsync(http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            if (status is >= 200 and < 300)
            {
                self.Requests.Enqueue(new Received(path, body, http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            }
            http.Response.StatusCode = status;
            await http.Response.WriteAsync(status < 300 ? "ok" : "receiver says no");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new Receiver(app, address);
        return self;
    }

    public int Count(string path) => counts.GetValueOrDefault(path);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
