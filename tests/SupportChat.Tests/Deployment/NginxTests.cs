using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using Xunit.Abstractions;

namespace SupportChat.Tests.Deployment;

/// <summary>
/// The shipped deploy/nginx.conf, run by Debian's nginx in front of the shipped service, with only its addresses
/// moved to loopback ports: the public listener serves the product and keeps internals to the instances' network.
/// </summary>
public sealed class NginxTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    // Spellings that nginx and ASP.NET Core both take for the same path.
    static readonly string[] Internals =
        ["/metrics", "/METRICS", "/metrics/", "/%6Detrics", "//metrics", "/api/../metrics", "/openapi/v1.json", "/OpenAPI/v1.json"];

    [Fact]
    public async Task The_proxy_answers_404_for_metrics_and_openapi_and_passes_health_and_the_api()
    {
        var (app, direct) = await AppProcess.StartReadyAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Widget:AllowedOrigins:0"] = RealtimeHost.WidgetOrigin,
            ["Admin:TrustedProxies:0"] = "127.0.0.1",
        });
        await using var _ = app;
        using var _1 = direct;
        await using var proxy = await Nginx.StartAsync(direct.BaseAddress!.Port);
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        // The instance itself serves them (Prometheus scrapes it there)...
        Assert.Equal(HttpStatusCode.OK, (await direct.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await direct.GetAsync("/openapi/v1.json")).StatusCode);
        // ...the public listener does not, however the path is spelled.
        foreach (var path in Internals)
        {
            var response = await SendRawPathAsync(http, path);
            output.WriteLine($"GET {path} via nginx: {(int)response.StatusCode}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("supportchat_", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/admin/me")).StatusCode);
        using var start = new HttpRequestMessage(HttpMethod.Post, "/api/visitor/sessions") { Content = JsonContent.Create(new { name = "Via proxy" }) };
        start.Headers.Add("Origin", RealtimeHost.WidgetOrigin);
        var session = await http.SendAsync(start);
        output.WriteLine($"POST /api/visitor/sessions via nginx: {(int)session.StatusCode}");
        Assert.True(session.IsSuccessStatusCode);
    }

    /// <summary>Sends the path exactly as written (HttpClient would otherwise normalise "/api/../metrics" itself).</summary>
    static Task<HttpResponseMessage> SendRawPathAsync(HttpClient http, string path)
    {
        var uri = new Uri(http.BaseAddress!, path);
        if (path.Contains("..", StringComparison.Ordinal) || path.StartsWith("//", StringComparison.Ordinal))
            uri = new Uri(http.BaseAddress!.GetLeftPart(UriPartial.Authority) + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        return http.SendAsync(new HttpRequestMessage(HttpMethod.Get, uri));
    }
}

/// <summary>Debian's nginx running the shipped deploy/nginx.conf with its listener and upstreams on loopback ports.</summary>
public sealed class Nginx : IAsyncDisposable
{
    readonly Process process;
    readonly string directory;
    public Uri BaseAddress { get; }

    Nginx(Process process, string directory, int port)
    {
        this.process = process;
        this.directory = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public static async Task<Nginx> StartAsync(int upstreamPort)
    {
        var binary = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        var shipped = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "deploy", "nginx.conf"));
        var port = AppProcess.FreePort();
        var directory = Directory.CreateTempSubdirectory("supportchat-nginx-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, (UnixFileMode)0x1FF); // workers may run as another user
        var config = Replace(shipped, "server app1:8080;", $"server 127.0.0.1:{upstreamPort};");
        config = Replace(config, "server app2:8080;", "");
        config = Replace(config, "listen 8080;", $"listen 127.0.0.1:{port};");
        // Only where nginx keeps its files changes: the test runs without root's /var/lib/nginx.
        config = Replace(config, "http {", "http {\n" + string.Join('\n',
            new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" }.Select(t => $"    {t}_temp_path {directory}/{t};")) + $"\n    access_log {directory}/access.log;");
        await File.WriteAllTextAsync(Path.Combine(directory, "nginx.conf"), config);
        var start = new ProcessStartInfo(binary, ["-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-e", Path.Combine(directory, "error.log"),
            "-g", $"daemon off; pid {directory}/nginx.pid;"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("nginx is missing: apt-get install nginx-light (.ci/run installs it)");
        }
        var nginx = new Nginx(process, directory, port);
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"nginx stopped: {await process.StandardError.ReadToEndAsync()} {ReadLog(directory)}");
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return nginx;
            }
            catch (System.Net.Sockets.SocketException) { await Task.Delay(50); }
        }
        await nginx.DisposeAsync();
        throw new InvalidOperationException("nginx did not listen: " + ReadLog(directory));
    }

    static string Replace(string text, string from, string to)
    {
        Assert.Contains(from, text); // The shipped file changed shape: adapt the test, not the check.
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    static string ReadLog(string directory)
    {
        var log = Path.Combine(directory, "error.log");
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
    }
}
