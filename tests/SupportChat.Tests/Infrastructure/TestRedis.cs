using System.Diagnostics;

namespace SupportChat.Tests.Infrastructure;

/// <summary>The Redis server tests use: SUPPORTCHAT_TEST_REDIS (scripts/test starts one). A test that needs it fails without it.</summary>
public static class TestRedis
{
    public const string EnvironmentVariable = "SUPPORTCHAT_TEST_REDIS";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"No Redis for the tests: run them with scripts/test (it starts one), or set {EnvironmentVariable} to host:port of a Redis server.");
}

/// <summary>A Redis server of a test's own, which the test may stop and start again on the same port.</summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    Process? process;
    public int Port { get; } = AppProcess.FreePort();
    public string ConnectionString => ConnectionStringWithTimeouts(1000);

    /// <summary>With the client's connect and command timeouts at this many milliseconds.</summary>
    public string ConnectionStringWithTimeouts(int milliseconds) =>
        $"127.0.0.1:{Port},connectTimeout={milliseconds},syncTimeout={milliseconds},asyncTimeout={milliseconds}";

    public static async Task<PrivateRedis> StartAsync()
    {
        var redis = new PrivateRedis();
        await redis.StartAgainAsync();
        return redis;
    }

    public async Task StartAgainAsync()
    {
        process = Process.Start(new ProcessStartInfo("redis-server", ["--bind", "127.0.0.1", "--port", Port.ToString(), "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("redis-server did not start (scripts/test installs it)");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, Port);
                return;
            }
            catch (System.Net.Sockets.SocketException) { await Task.Delay(50); }
        }
        throw new InvalidOperationException($"redis-server did not listen on {Port}");
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and nothing answers, like a hung or overloaded Redis.</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process!.Id.ToString()]);
        kill.WaitForExit();
    }

    public async Task StopAsync()
    {
        if (process is null || process.HasExited) return;
        process.Kill();
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process?.Dispose();
    }
}
