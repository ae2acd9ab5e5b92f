using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using SupportChat.Admins;
using SupportChat.Conversations;
using SupportChat.Sockets;

namespace SupportChat.Endpoints;

/// <summary>The two socket endpoints: the HTTP checks (origin, admin cookie) and the upgrade; Sockets runs the accepted socket.</summary>
public static class RealtimeApi
{
    public static void MapRealtime(this WebApplication app)
    {
        app.Map("/ws/visitor", VisitorAsync).ExcludeFromDescription();
        app.Map("/ws/admin", AdminAsync).ExcludeFromDescription();
    }

    sealed record Services(RealtimeSockets Sockets, IOptions<RealtimeOptions> Options, IOptions<ServerOptions> Server, IOptions<WidgetOptions> Widget);

    static async Task<IResult> VisitorAsync(HttpContext http, [AsParameters] Services s)
    {
        if (!http.WebSockets.IsWebSocketRequest) return ApiError.BadRequest("Expected a WebSocket upgrade.");
        if (!VisitorApi.IsAllowedOrigin(http, s.Widget.Value, s.Server.Value))
            return ApiError.Forbidden("This origin may not open the visitor socket (see Widget:AllowedOrigins).");
        if (s.Sockets.Stopping) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        using var socket = await AcceptAsync(http, s.Options.Value);
        await s.Sockets.RunVisitorAsync(socket, http.RequestAborted);
        return Results.Empty;
    }

    static async Task<IResult> AdminAsync(HttpContext http, AdminSessions sessions, [AsParameters] Services s)
    {
        if (!http.WebSockets.IsWebSocketRequest) return ApiError.BadRequest("Expected a WebSocket upgrade.");
        if (!AdminHttp.IsSameOrigin(http, s.Server.Value.BaseUrl))
            return ApiError.Forbidden("The admin socket may only be opened from the admin console's own origin.");
        var admin = await AdminHttp.AuthenticateAsync(http, sessions);
        if (admin is null) return ApiError.Unauthorized();
        if (s.Sockets.Stopping) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        var sender = admin.AsSender(RequestOrigins.Of(http));
        using var socket = await AcceptAsync(http, s.Options.Value);
        await s.Sockets.RunAdminAsync(socket, admin, sender, sessions, http.RequestAborted);
        return Results.Empty;
    }

    // WebSocket pings go out every interval; a peer that does not answer one within the interval is dropped.
    static Task<WebSocket> AcceptAsync(HttpContext http, RealtimeOptions o) =>
        http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = o.PingInterval, KeepAliveTimeout = o.PingInterval });
}
