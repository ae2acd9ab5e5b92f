using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using SupportChat.Endpoints;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

/// <summary>The app on real Kestrel on a loopback port, with clients for visitor sessions and both sockets.</summary>
public sealed class RealtimeHost : IAsyncDisposable
{
    public const string WidgetOrigin = "https://shop.example";
    public SupportChatApp App { get; }
    public string ConnectionString { get; }
    public Uri BaseUri { get; }
    public string OwnOrigin => BaseUri.GetLeftPart(UriPartial.Authority);

    public RealtimeHost(string connectionString, IDictionary<string, string?>? settings = null)
    {
        ConnectionString = connectionString;
        var port = AppProcess.FreePort();
        var all = new Dictionary<string, string?>
        {
            ["Server:Port"] = port.ToString(),
            ["Server:ListenAddress"] = "127.0.0.1",
            ["Widget:AllowedOrigins:0"] = WidgetOrigin,
            // Test admin sessions carry no IP; real Kestrel sees 127.0.0.1.
            ["Admin:IpBinding"] = "Off",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        App = new SupportChatApp(connectionString, all);
        App.UseKestrel();
        App.StartServer();
        BaseUri = new Uri($"http://127.0.0.1:{port}");
    }

    public HttpClient Http(string? origin = WidgetOrigin)
    {
        var client = new HttpClient { BaseAddress = BaseUri };
        if (origin is not null) client.DefaultRequestHeaders.Add("Origin", origin);
        return client;
    }

    /// <summary>An HTTP client of the admin's session: its cookie, User-Agent, CSRF token and this service's own Origin.</summary>
    public HttpClient AdminHttp(TestAdminSession admin)
    {
        var http = Http(OwnOrigin);
        http.DefaultRequestHeaders.Add("Cookie", admin.CookieHeader);
        http.DefaultRequestHeaders.UserAgent.ParseAdd(admin.UserAgent);
        http.DefaultRequestHeaders.Add(SupportChat.Endpoints.AdminHttp.CsrfHeader, admin.CsrfToken);
        return http;
    }

    public async Task<VisitorSessionResponse> StartVisitorAsync(object? body = null)
    {
        using var http = Http();
        var response = await http.PostAsJsonAsync("/api/visitor/sessions", body ?? new { name = "Visitor" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<VisitorSessionResponse>())!;
    }

    /// <summary>A visitor socket after auth: the welcome frame has been read.</summary>
    public async Task<(TestSocket Socket, JsonElement Welcome)> ConnectVisitorAsync(string token, long? lastSeq = null, Action<ClientWebSocketOptions>? configure = null,
        HttpMessageInvoker? invoker = null)
    {
        var socket = await TestSocket.ConnectAsync(new Uri(BaseUri, "/ws/visitor"), o =>
        {
            o.SetRequestHeader("Origin", WidgetOrigin);
            configure?.Invoke(o);
        }, invoker);
        await socket.SendAsync(new { type = "auth", token, lastSeq });
        var welcome = await socket.ReceiveAsync();
        Assert.Equal("welcome", welcome.GetProperty("type").GetString());
        return (socket, welcome);
    }

    public async Task<(TestSocket Socket, JsonElement Welcome)> ConnectAdminAsync(TestAdminSession admin)
    {
        var socket = await TestSocket.ConnectAsync(new Uri(BaseUri, "/ws/admin"), o =>
        {
            o.SetRequestHeader("Origin", OwnOrigin);
            o.SetRequestHeader("Cookie", admin.CookieHeader);
            o.SetRequestHeader("User-Agent", admin.UserAgent);
        });
        var welcome = await socket.ReceiveAsync();
        Assert.Equal("welcome", welcome.GetProperty("type").GetString());
        return (socket, welcome);
    }

    public async Task<long> CountMessagesAsync(Guid? conversationId = null)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM messages WHERE @conversationId::uuid IS NULL OR conversation_id = @conversationId",
            new { conversationId });
    }

    /// <summary>A client whose socket receive buffer is tiny, so that a client that stops reading stalls the server's sends quickly.</summary>
    public static HttpMessageInvoker SmallReceiveBufferClient() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
            try
            {
                await s.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        },
    });

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

/// <summary>A client WebSocket speaking JSON frames. Every wait has a guard so that a broken server fails the test instead of hanging it.</summary>
public sealed class TestSocket : IAsyncDisposable
{
    static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);
    public ClientWebSocket Client { get; }

    TestSocket(ClientWebSocket client) => Client = client;

    public static async Task<TestSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions> configure, HttpMessageInvoker? invoker = null)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        configure(ws.Options);
        var wsUri = new UriBuilder(uri) { Scheme = uri.Scheme == "https" ? "wss" : "ws" }.Uri;
        using var guard = new CancellationTokenSource(Guard);
        if (invoker is null) await ws.ConnectAsync(wsUri, guard.Token);
        else await ws.ConnectAsync(wsUri, invoker, guard.Token);
        return new TestSocket(ws);
    }

    public Task SendAsync(object frame) => SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(frame, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

    public async Task SendRawAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        using var guard = new CancellationTokenSource(Guard);
        await Client.SendAsync(bytes, type, true, guard.Token);
    }

    public Task SendTextAsync(string text) => SendRawAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>The next frame; fails on close.</summary>
    public async Task<JsonElement> ReceiveAsync()
    {
        var (frame, close) = await ReceiveOrCloseAsync();
        if (frame is null) Assert.Fail($"The socket closed ({close}) while a frame was expected.");
        return frame.Value;
    }

    /// <summary>The next frame of this type, skipping others (presence, typing, ...).</summary>
    public async Task<JsonElement> ReceiveAsync(string type, Func<JsonElement, bool>? match = null)
    {
        while (true)
        {
            var frame = await ReceiveAsync();
            if (frame.GetProperty("type").GetString() == type && (match is null || match(frame))) return frame;
        }
    }

    public async Task<(JsonElement? Frame, WebSocketCloseStatus? Close)> ReceiveOrCloseAsync()
    {
        using var guard = new CancellationTokenSource(Guard);
        var buffer = new byte[64 * 1024];
        var stream = new MemoryStream();
        while (true)
        {
            var r = await Client.ReceiveAsync(buffer, guard.Token);
            if (r.MessageType == WebSocketMessageType.Close) return (null, r.CloseStatus);
            stream.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (JsonDocument.Parse(stream.ToArray()).RootElement.Clone(), null);
        }
    }

    /// <summary>Reads until the server closes; returns its close status (frames before it are skipped).</summary>
    public async Task<WebSocketCloseStatus?> ExpectCloseAsync()
    {
        while (true)
        {
            var (frame, close) = await ReceiveOrCloseAsync();
            if (frame is null) return close;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Client.State == WebSocketState.Open)
        {
            try
            {
                using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", guard.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
        }
        Client.Dispose();
    }
}
