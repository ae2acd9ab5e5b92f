using System.Collections.Concurrent;
using System.Diagnostics;

namespace SupportChat.Tests.Infrastructure;

/// <summary>The service as it ships (dotnet SupportChat.dll) in its own process, with only the settings a test gives it.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    static readonly string[] InheritedPrefixes = ["Database__", "Server__", "Widget__", "Redis__", "Telegram__", "ASPNETCORE_", "DOTNET_ENVIRONMENT"];
    readonly Process process;
    readonly ConcurrentQueue<string> lines = new();

    public AppProcess(IDictionary<string, string> settings, string environment = "Production")
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "SupportChat.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var key in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
            start.Environment.Remove(key);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Output => lines.ToList();

    /// <summary>Waits for the process to end by itself; the guard only stops a hung test.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(guard.Token);
        process.WaitForExit(); // flushes the redirected output
        return process.ExitCode;
    }

    public bool HasExited => process.HasExited;

    /// <summary>Sends SIGTERM, as a container runtime or systemd does to stop the service.</summary>
    public void Terminate()
    {
        if (kill(process.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {process.Id} failed");
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    /// <summary>Starts the service on a free loopback port (or the Server:Port given) and waits until /health/ready answers 200.</summary>
    public static async Task<(AppProcess App, HttpClient Http)> StartReadyAsync(IDictionary<string, string> settings, string environment = "Production")
    {
        var port = settings.TryGetValue("Server:Port", out var given) ? int.Parse(given) : FreePort();
        var app = new AppProcess(new Dictionary<string, string>(settings) { ["Server:Port"] = port.ToString() }, environment);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        for (var i = 0; i < 300 && !app.HasExited; i++)
        {
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode) return (app, http);
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        await app.DisposeAsync();
        throw new InvalidOperationException("The service did not become ready:\n" + string.Join('\n', app.Output));
    }

    /// <summary>Starts the service, expects it to stop by itself with exit code != 0 and one "Start-up failed" line, no stack trace; returns that line.</summary>
    public static async Task<string> ExpectStartupFailureAsync(IDictionary<string, string> settings)
    {
        await using var app = new AppProcess(settings);
        var exitCode = await app.WaitForExitAsync();
        var output = app.Output;
        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain(output, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        return Assert.Single(output, l => l.Contains("Start-up failed", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
