using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Rescind.Console.Tests;

/// <summary>
/// <c>rescind serve --demo</c> as a real process on a free port and a database of its own, as the README's first
/// command starts it; what it prints (console URL, operator token, keys, the demo request) is what the tests use.
/// </summary>
public sealed partial class DemoServer : IAsyncLifetime
{
    private Process? process;
    private readonly string folder = Directory.CreateTempSubdirectory("rescind-console-").FullName;
    private readonly List<string> output = [];

    public string Url { get; private set; } = "";

    public string ConsoleUrl { get; private set; } = "";

    public string OperatorToken { get; private set; } = "";

    public string NumeralLiveKey { get; private set; } = "";

    public string DemoRequestId { get; private set; } = "";

    public string Output
    {
        get
        {
            lock (output)
            {
                return string.Join('\n', output);
            }
        }
    }

    public async Task InitializeAsync()
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(Program).Assembly.Location, "serve", "--demo", "--data", folder, "--urls", $"http://127.0.0.1:{port}", "--Rescind:Jobs:Enabled=false" })
        {
            psi.ArgumentList.Add(a);
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process = Process.Start(psi)!;
        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (output)
            {
                output.Add(line);
            }
            if (line.Contains("Stop with Ctrl+C", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(2))) != ready.Task)
        {
            throw new InvalidOperationException("rescind serve --demo did not start:\n" + Output);
        }
        var text = Output;
        ConsoleUrl = Match(ConsoleLine(), text);
        Url = ConsoleUrl[..^"/console".Length];
        OperatorToken = Match(OperatorLine(), text);
        NumeralLiveKey = Match(NumeralLiveLine(), text);
        DemoRequestId = Match(RequestLine(), text);
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process?.Dispose();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans its temp folder
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private string Match(Regex regex, string text) =>
        regex.Match(text) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"{regex} not in the demo output:\n{Output}");

    [GeneratedRegex(@"Operator console\s+(http://\S+/console)")]
    private static partial Regex ConsoleLine();

    [GeneratedRegex(@"Operator token\s+(op_\S+)")]
    private static partial Regex OperatorLine();

    [GeneratedRegex(@"Numeral live key\s+(\S+)")]
    private static partial Regex NumeralLiveLine();

    [GeneratedRegex(@"A pending certificate request (\S+) ")]
    private static partial Regex RequestLine();
}
