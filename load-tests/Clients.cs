using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;

namespace SupportChat.LoadTests;

/// <summary>A socket of the load run: one send loop fed by a channel, one receive loop handing each frame to a callback.</summary>
public sealed class LoadSocket : IAsyncDisposable
{
    readonly ClientWebSocket socket = new();
    readonly Channel<byte[]> outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    Task loops = Task.CompletedTask;

    public static async Task<LoadSocket> ConnectAsync(Uri baseUrl, string path, Action<ClientWebSocketOptions> configure, CancellationToken ct)
    {
        var s = new LoadSocket();
        s.socket.Options.KeepAliveInterval = TimeSpan.Zero;
        s.socket.Options.SetRequestHeader("Origin", baseUrl.GetLeftPart(UriPartial.Authority));
        configure(s.socket.Options);
        await s.socket.ConnectAsync(new UriBuilder(baseUrl) { Scheme = baseUrl.Scheme == "https" ? "wss" : "ws", Path = path }.Uri, ct);
        return s;
    }

    public void Start(Action<FrameInfo> onFrame, CancellationToken ct) => loops = Task.WhenAll(SendLoopAsync(ct), ReceiveLoopAsync(onFrame, ct));

    public void Send(object frame) => outbound.Writer.TryWrite(JsonSerializer.SerializeToUtf8Bytes(frame, Json.Web));

    public Task SendNowAsync(object frame, CancellationToken ct) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame, Json.Web), WebSocketMessageType.Text, true, ct);

    // One buffer per socket, grown when a frame needs it: the generator must not be the bottleneck it measures.
    byte[] buffer = new byte[8 * 1024];

    async Task<ReadOnlyMemory<byte>> ReceiveBytesAsync(CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            var r = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            if (r.MessageType == WebSocketMessageType.Close) throw new WebSocketException($"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
            length += r.Count;
            if (r.EndOfMessage) return buffer.AsMemory(0, length);
        }
    }

    public async Task<JsonElement> ReceiveOneAsync(CancellationToken ct) => JsonDocument.Parse(await ReceiveBytesAsync(ct)).RootElement.Clone();

    async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var bytes in outbound.Reader.ReadAllAsync(ct))
                await socket.SendAsync(bytes, WebSocketMessageType.Text, true, ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException) { }
    }

    /// <summary>Set when the server closed the socket or the connection broke before the run ended it (e.g. 4001: too slow).</summary>
    public string? LostBecause { get; private set; }
    volatile bool closing;

    async Task ReceiveLoopAsync(Action<FrameInfo> onFrame, CancellationToken ct)
    {
        try
        {
            while (socket.State == WebSocketState.Open) onFrame(FrameInfo.Read((await ReceiveBytesAsync(ct)).Span));
        }
        catch (Exception ex) when (ex is WebSocketException or JsonException) { if (!closing) LostBecause ??= ex.Message; }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        closing = true;
        outbound.Writer.TryComplete();
        if (socket.State == WebSocketState.Open)
        {
            try
            {
                using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", guard.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
        }
        socket.Abort();
        await loops;
        socket.Dispose();
    }
}

/// <summary>The few top-level fields of a server frame the measurements need, read without building a document.</summary>
public readonly record struct FrameInfo(string? Type, string? ClientMsgId, string? Sender, string? Error)
{
    public static FrameInfo Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        string? type = null, clientMsgId = null, sender = null, error = null;
        reader.Read();
        while (reader.Read() && reader.CurrentDepth >= 1)
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            var name = reader.ValueSpan;
            reader.Read();
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) { reader.Skip(); continue; }
            if (reader.TokenType != JsonTokenType.String) continue;
            if (name.SequenceEqual("type"u8)) type = reader.GetString();
            else if (name.SequenceEqual("clientMsgId"u8)) clientMsgId = reader.GetString();
            else if (name.SequenceEqual("sender"u8)) sender = reader.GetString();
            else if (name.SequenceEqual("error"u8)) error = reader.GetString();
        }
        return new FrameInfo(type, clientMsgId, sender, error);
    }
}

public static class Json
{
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
}

public sealed record Visitor(string Token, Guid ConversationId);

public sealed record AdminSession(string Cookie, string Csrf, string UserAgent);

public static class Clients
{
    public static HttpClient Http(Uri baseUrl) => new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = baseUrl,
        DefaultRequestHeaders = { { "Origin", baseUrl.GetLeftPart(UriPartial.Authority) } },
        Timeout = TimeSpan.FromSeconds(60),
    };

    public static async Task<Visitor> StartVisitorAsync(HttpClient http, int n, CancellationToken ct)
    {
        var response = await http.PostAsJsonAsync("/api/visitor/sessions", new { name = $"Load visitor {n}" }, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return new Visitor(body.GetProperty("token").GetString()!, body.GetProperty("conversationId").GetGuid());
    }

    public static async Task<LoadSocket> ConnectVisitorAsync(Uri baseUrl, Visitor v, CancellationToken ct)
    {
        var socket = await LoadSocket.ConnectAsync(baseUrl, "/ws/visitor", _ => { }, ct);
        await socket.SendNowAsync(new { type = "auth", token = v.Token }, ct);
        var welcome = await socket.ReceiveOneAsync(ct);
        if (welcome.GetProperty("type").GetString() != "welcome") throw new InvalidOperationException("no welcome: " + welcome);
        return socket;
    }

    public static Task<LoadSocket> ConnectAdminAsync(Uri baseUrl, AdminSession a, CancellationToken ct) =>
        LoadSocket.ConnectAsync(baseUrl, "/ws/admin", o =>
        {
            o.SetRequestHeader("Cookie", a.Cookie);
            o.SetRequestHeader("User-Agent", a.UserAgent);
        }, ct);

    /// <summary>
    /// Admin sessions for the run, made directly in the service's database as a login would leave them (TOTP cannot be
    /// typed by a load generator). Bound to 127.0.0.1 and this tool's User-Agent.
    /// </summary>
    public static async Task<List<AdminSession>> CreateAdminSessionsAsync(string database, int count)
    {
        const string userAgent = "SupportChat-LoadTest/1.0";
        await using var c = new NpgsqlConnection(database);
        await c.OpenAsync();
        await using var upsert = new NpgsqlCommand("""
            INSERT INTO admins (username, display_name, status, enrolled_at) VALUES ('loadtest', 'Load test', 'active', now())
            ON CONFLICT (lower(username)) DO UPDATE SET status = 'active' RETURNING id
            """, c);
        var adminId = (long)(await upsert.ExecuteScalarAsync())!;
        var sessions = new List<AdminSession>();
        for (var i = 0; i < count; i++)
        {
            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
            var csrf = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            await using var insert = new NpgsqlCommand("""
                INSERT INTO admin_sessions (admin_id, token_hash, csrf_token, user_agent, ip, expires_at)
                VALUES ($1, $2, $3, $4, '127.0.0.1', now() + interval '12 hours')
                """, c)
            {
                Parameters = { new() { Value = adminId }, new() { Value = SHA256.HashData(Encoding.UTF8.GetBytes(token)) }, new() { Value = csrf }, new() { Value = userAgent } },
            };
            await insert.ExecuteNonQueryAsync();
            sessions.Add(new AdminSession($"sc_admin={token}", csrf, userAgent));
        }
        return sessions;
    }
}
