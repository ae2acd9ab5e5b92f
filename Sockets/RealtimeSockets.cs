using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Endpoints;
using SupportChat.Admins;

namespace SupportChat.Sockets;

/// <summary>The realtime subsystem: conversation service, event bus, connection manager, and the two socket endpoints.</summary>
public static class RealtimeSockets
{
    public static void AddRealtime(this IServiceCollection services)
    {
        services.AddSingleton<IConversationEventBus, InProcessEventBus>();
        services.AddSingleton<ConversationService>();
        services.AddSingleton<ConnectionManager>();
    }

    public static void MapRealtime(this WebApplication app)
    {
        app.Map("/ws/visitor", VisitorAsync).ExcludeFromDescription();
        app.Map("/ws/admin", AdminAsync).ExcludeFromDescription();
    }

    sealed record Services(
        ConversationService Conversations, ConnectionManager Manager, NpgsqlDataSource Db, IOptions<RealtimeOptions> Options,
        IOptions<ServerOptions> Server, IOptions<WidgetOptions> Widget, ILogger<SocketSession> Log);

    static async Task<IResult> VisitorAsync(HttpContext http, [AsParameters] Services s)
    {
        if (!http.WebSockets.IsWebSocketRequest) return ApiError.BadRequest("Expected a WebSocket upgrade.");
        if (!VisitorApi.IsAllowedOrigin(http, s.Widget.Value, s.Server.Value))
            return ApiError.Forbidden("This origin may not open the visitor socket (see Widget:AllowedOrigins).");
        if (s.Manager.Stopping) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        using var socket = await AcceptAsync(http, s.Options.Value);
        // One logger for every socket: Serilog's factory builds a new logger (with its own caches, ~1 KB) per CreateLogger call.
        var connection = new SocketConnection(socket, "visitor", s.Options.Value, s.Log);
        await new SocketSession(socket, connection, s.Conversations, s.Manager, s.Options.Value, s.Log).RunVisitorAsync(s.Db);
        await LingerAsync(socket, s.Options.Value.CloseTimeout, http.RequestAborted);
        return Results.Empty;
    }

    static async Task<IResult> AdminAsync(HttpContext http, AdminAuthentication auth, [AsParameters] Services s)
    {
        if (!http.WebSockets.IsWebSocketRequest) return ApiError.BadRequest("Expected a WebSocket upgrade.");
        if (!AdminAuthentication.IsSameOrigin(http, s.Server.Value.BaseUrl))
            return ApiError.Forbidden("The admin socket may only be opened from the admin console's own origin.");
        var admin = await auth.AuthenticateAsync(http);
        if (admin is null) return ApiError.Unauthorized();
        if (s.Manager.Stopping) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        var sender = Sender.Admin(admin, http);
        using var socket = await AcceptAsync(http, s.Options.Value);
        var connection = new SocketConnection(socket, "admin", s.Options.Value, s.Log);
        await new SocketSession(socket, connection, s.Conversations, s.Manager, s.Options.Value, s.Log).RunAdminAsync(admin, sender, auth);
        await LingerAsync(socket, s.Options.Value.CloseTimeout, http.RequestAborted);
        return Results.Empty;
    }

    /// <summary>
    /// After a close the runtime sent on a receive error (invalid UTF-8: 1007), the peer's close has not been read, and it
    /// cannot be: the runtime dropped the rest of the bad frame, so it would parse whatever follows as that frame's payload
    /// and abort the connection, resetting it before the peer had read our close frame. So nothing more is read: the
    /// connection stays up until the peer hangs up, at most the close timeout, as the two-phase close does everywhere else.
    /// </summary>
    static async Task LingerAsync(WebSocket socket, TimeSpan closeTimeout, CancellationToken peerGone)
    {
        if (socket.State != WebSocketState.CloseSent) return;
        try { await Task.Delay(closeTimeout, peerGone); }
        catch (OperationCanceledException) { }
    }

    // WebSocket pings go out every interval; a peer that does not answer one within the interval is dropped.
    static Task<WebSocket> AcceptAsync(HttpContext http, RealtimeOptions o) =>
        http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = o.PingInterval, KeepAliveTimeout = o.PingInterval });
}
