using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rescind.Server.Tests.Infrastructure;

/// <summary>How a <see cref="HostileReceiver"/> answers a request to a path.</summary>
public enum Hostility
{
    /// <summary>A 200 whose <c>Content-Length</c> promises more than is sent before the connection closes.</summary>
    TruncatedBody,

    /// <summary>A 500 with a truncated body.</summary>
    TruncatedErrorBody,

    /// <summary>The status line and headers, then a TCP reset.</summary>
    ResetAfterHeaders,

    /// <summary>A chunked 200 whose chunk size is not hexadecimal.</summary>
    BrokenChunked,

    /// <summary>Half a status line, then close.</summary>
    GarbageStatusLine,
}

/// <summary>
/// A raw TCP receiver on a loopback port that breaks HTTP on purpose, as a hostile tenant's webhook endpoint may:
/// the path of each request (<c>/truncated-body</c>, …) chooses the <see cref="Hostility"/>.
/// </summary>
public sealed class HostileReceiver : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public ConcurrentDictionary<Hostility, int> Served { get; } = new();

    public HostileReceiver()
    {
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public static string PathOf(Hostility h) => "/" + string.Concat(h.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var stream = client.GetStream();
                var path = await ReadRequestAsync(stream, timeout.Token);
                var mode = Enum.GetValues<Hostility>().FirstOrDefault(h => PathOf(h) == path, Hostility.TruncatedBody);
                Served.AddOrUpdate(mode, 1, (_, n) => n + 1);
                var answer = mode switch
                {
                    Hostility.TruncatedBody => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
                    Hostility.TruncatedErrorBody => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100\r\n\r\nshort",
                    Hostility.ResetAfterHeaders => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
                    Hostility.BrokenChunked => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n",
                    _ => "HTTP/1.1 2",
                };
                await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), timeout.Token);
                await stream.FlushAsync(timeout.Token);
                if (mode == Hostility.ResetAfterHeaders)
                {
                    client.Client.LingerState = new LingerOption(true, 0); // close with RST
                }
            }
            catch (Exception)
            {
                // the peer went away first: nothing to break
            }
        }
    }

    /// <summary>Reads the request line, the headers and a Content-Length body; returns the path.</summary>
    private static async Task<string> ReadRequestAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var one = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(buffer)) < 0)
        {
            var n = await stream.ReadAsync(one, ct);
            if (n == 0)
            {
                return "/";
            }
            buffer.AddRange(one.AsSpan(0, n).ToArray());
        }
        var head = Encoding.ASCII.GetString(buffer.ToArray(), 0, headerEnd);
        var lines = head.Split("\r\n");
        var length = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var have = buffer.Count - (headerEnd + 4);
        while (have < length)
        {
            var n = await stream.ReadAsync(one, ct);
            if (n == 0)
            {
                break;
            }
            have += n;
        }
        return lines[0].Split(' ') is { Length: >= 2 } parts ? parts[1] : "/";
    }

    private static int IndexOfBlankLine(List<byte> b)
    {
        for (var i = 0; i + 3 < b.Count; i++)
        {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await loop;
        }
        catch (Exception)
        {
            // stopped
        }
        stop.Dispose();
    }
}
