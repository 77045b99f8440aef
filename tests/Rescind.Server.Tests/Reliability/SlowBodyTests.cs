using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Rescind.Server.Tests.Infrastructure;

namespace Rescind.Server.Tests.Reliability;

/// <summary>
/// A slow body (a client trickling bytes to hold a request open) is cut off by Kestrel's minimum body data rate and
/// answered 408 in the API's envelope, never a 500, while the server goes on serving others. Needs a real Kestrel
/// listener, so it runs a real <c>rescind serve</c>.
/// </summary>
[Trait("Category", "Sqlite")]
public sealed class SlowBodyTests
{
    [Fact]
    public async Task A_body_trickled_below_the_minimum_rate_is_cut_off_with_408_in_the_envelope_and_others_are_served()
    {
        var storage = new SqliteProcessStorage();
        var args = await storage.CreateAsync();
        var port = RescindProcess.FreePort();
        var token = "op_slow_" + Guid.NewGuid().ToString("N");
        using var server = RescindProcess.Start(["serve", "--urls", $"http://127.0.0.1:{port}", .. args, "--Rescind:OperatorToken=" + token, "--Rescind:Jobs:Enabled=false"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await RescindProcess.WaitHealthyAsync(http);
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", port);
            var stream = tcp.GetStream();
            var head = $"POST /operator/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{{";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            var clock = Stopwatch.StartNew();
            var answer = new StringBuilder();
            var buffer = new byte[4096];
            var read = Task.Run(async () =>
            {
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
            });
            // One byte a second: far below 240 bytes/s, past the 5 s grace period.
            while (!read.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                try
                {
                    await stream.WriteAsync(" "u8.ToArray());
                }
                catch (IOException)
                {
                    break; // the server closed the connection
                }
                // A fast request is served while the slow one holds its connection.
                using var health = await http.GetAsync("/healthz");
                Assert.True(health.IsSuccessStatusCode);
                await Task.WhenAny(read, Task.Delay(1000));
            }
            await Task.WhenAny(read, Task.Delay(5000));
            var text = answer.ToString();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the trickled body was never cut off");
            Assert.StartsWith("HTTP/1.1 408", text, StringComparison.Ordinal);
            Assert.Contains("application/problem+json", text, StringComparison.Ordinal);
            Assert.Contains("\"status\":408", text, StringComparison.Ordinal);
            var accounts = await storage.QueryAsync<long>("SELECT COUNT(*) FROM accounts");
            Assert.Equal(0, accounts.Single());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await storage.DropAsync();
        }
    }
}
