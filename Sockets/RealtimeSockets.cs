using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using SupportChat.Admins;
using SupportChat.Conversations;

namespace SupportChat.Sockets;

/// <summary>Where an accepted WebSocket is handed over: one session per socket, run until it closes.</summary>
internal sealed class RealtimeSockets(
    ConversationService conversations, ConnectionManager manager, VisitorSessions visitors, IOptions<RealtimeOptions> options, ILogger<SocketSession> log)
{
    public bool Stopping => manager.Stopping;

    public async Task RunVisitorAsync(WebSocket socket, CancellationToken peerGone)
    {
        // One logger for every socket: Serilog's factory builds a new logger (with its own caches, ~1 KB) per CreateLogger call.
        var connection = new SocketConnection(socket, "visitor", options.Value, log);
        await new SocketSession(socket, connection, conversations, manager, options.Value, log).RunVisitorAsync(visitors);
        await LingerAsync(socket, options.Value.CloseTimeout, peerGone);
    }

    public async Task RunAdminAsync(WebSocket socket, AdminPrincipal admin, Sender sender, AdminSessions sessions, CancellationToken peerGone)
    {
        var connection = new SocketConnection(socket, "admin", options.Value, log);
        await new SocketSession(socket, connection, conversations, manager, options.Value, log).RunAdminAsync(admin, sender, sessions);
        await LingerAsync(socket, options.Value.CloseTimeout, peerGone);
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
}
