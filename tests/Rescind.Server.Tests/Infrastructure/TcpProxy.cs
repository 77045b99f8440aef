using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy that can be cut: while cut, every open connection is dropped and new ones are closed at
/// once, as when a database server goes away; restored, it forwards again.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string upstreamHost;
    private readonly int upstreamPort;
    private readonly ConcurrentDictionary<TcpClient, byte> open = new();
    private readonly CancellationTokenSource stop = new();
    private volatile bool cut;

    public TcpProxy(string upstreamHost, int upstreamPort)
    {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public void Cut()
    {
        cut = true;
        foreach (var c in open.Keys)
        {
            c.Close();
        }
        open.Clear();
    }

    public void Restore() => cut = false;

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            if (cut)
            {
                client.Close();
                continue;
            }
            _ = PipeAsync(client);
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(upstreamHost, upstreamPort, stop.Token);
            open[client] = 0;
            open[upstream] = 0;
            var a = client.GetStream().CopyToAsync(upstream.GetStream(), stop.Token);
            var b = upstream.GetStream().CopyToAsync(client.GetStream(), stop.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception)
        {
            // either side went away: the connection ends, as a dropped database connection does
        }
        finally
        {
            open.TryRemove(client, out _);
            open.TryRemove(upstream, out _);
            client.Close();
        }
    }

    public ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        Cut();
        stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
