using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rescind.Bench;

/// <summary>
/// The load generator's transport: one keep-alive HTTP/1.1 connection per closed-loop client, requests written as
/// bytes and answers read with only what a check needs (status line, Content-Length or chunked body). It does the
/// work wrk does and no more, so that the client's share of the two cores goes to the server under test instead
/// of to <see cref="HttpClient"/>'s request objects, header collections and handler pipeline (the first CPU
/// profile showed the HttpClient generator taking a large share of the machine).
/// </summary>
public sealed class RawHttpConnection(IPEndPoint endpoint, string host) : IDisposable
{
    private Socket? socket;
    private byte[] buffer = new byte[16 * 1024];
    private int start;
    private int end;

    public async Task<(int Status, string Body)> SendAsync(string method, string path, string? bearer, string? body, (string Name, string Value)[] headers)
    {
        var request = new StringBuilder(256)
            .Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: ").Append(host).Append("\r\n");
        if (bearer is not null)
        {
            request.Append("Authorization: Bearer ").Append(bearer).Append("\r\n");
        }
        foreach (var (name, value) in headers)
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        var content = body is null ? [] : Encoding.UTF8.GetBytes(body);
        if (body is not null)
        {
            request.Append("Content-Type: application/json; charset=utf-8\r\n");
        }
        if (body is not null || method is "POST" or "PUT" or "PATCH")
        {
            request.Append("Content-Length: ").Append(content.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }
        request.Append("\r\n");
        var head = Encoding.ASCII.GetBytes(request.ToString());
        for (var attempt = 1; ; attempt++)
        {
            var fresh = socket is null;
            try
            {
                if (socket is null)
                {
                    socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(endpoint);
                    (start, end) = (0, 0);
                }
                if (content.Length == 0)
                {
                    await socket.SendAsync(head, SocketFlags.None);
                }
                else
                {
                    await socket.SendAsync(new List<ArraySegment<byte>> { head, content }, SocketFlags.None);
                }
                return await ReadResponseAsync(socket);
            }
            catch (Exception e) when (e is SocketException or IOException && !fresh && attempt == 1)
            {
                // The server closed an idle keep-alive connection: reconnect once, as HttpClient would.
                Dispose();
            }
        }
    }

    private async Task<(int Status, string Body)> ReadResponseAsync(Socket s)
    {
        int headerEnd;
        while ((headerEnd = IndexOf("\r\n\r\n"u8)) < 0)
        {
            await FillAsync(s);
        }
        var headerText = Encoding.ASCII.GetString(buffer, start, headerEnd - start);
        start = headerEnd + 4;
        var lines = headerText.Split("\r\n");
        var status = int.Parse(lines[0].AsSpan(9, 3), CultureInfo.InvariantCulture);
        long? length = null;
        var chunked = false;
        var close = false;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                close = value.Equals("close", StringComparison.OrdinalIgnoreCase);
            }
        }
        string body;
        if (chunked)
        {
            var parts = new MemoryStream();
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf("\r\n"u8)) < 0)
                {
                    await FillAsync(s);
                }
                var sizeText = Encoding.ASCII.GetString(buffer, start, lineEnd - start).Split(';')[0];
                var size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                start = lineEnd + 2;
                while (end - start < size + 2)
                {
                    await FillAsync(s);
                }
                parts.Write(buffer, start, size);
                start += size + 2;
                if (size == 0)
                {
                    break;
                }
            }
            body = Encoding.UTF8.GetString(parts.GetBuffer(), 0, (int)parts.Length);
        }
        else
        {
            var n = (int)(length ?? 0);
            while (end - start < n)
            {
                await FillAsync(s);
            }
            body = Encoding.UTF8.GetString(buffer, start, n);
            start += n;
        }
        if (close)
        {
            Dispose();
        }
        return (status, body);
    }

    private int IndexOf(ReadOnlySpan<byte> marker)
    {
        var i = buffer.AsSpan(start, end - start).IndexOf(marker);
        return i < 0 ? -1 : start + i;
    }

    private async Task FillAsync(Socket s)
    {
        if (start > 0 && start == end)
        {
            (start, end) = (0, 0);
        }
        if (end == buffer.Length)
        {
            if (start > 0)
            {
                Array.Copy(buffer, start, buffer, 0, end - start);
                (start, end) = (0, end - start);
            }
            else
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }
        var read = await s.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }
        end += read;
    }

    public void Dispose()
    {
        socket?.Dispose();
        socket = null;
        (start, end) = (0, 0);
    }
}
