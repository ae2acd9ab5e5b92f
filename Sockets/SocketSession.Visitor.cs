using System.Net.WebSockets;
using System.Text.Json;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Sockets;

/// <summary>A visitor socket's session: auth by the first frame, the welcome and replay, and presence while it is open.</summary>
sealed partial class SocketSession
{
    /// <summary>Visitor: the first frame must be auth with the token, within the auth timeout.</summary>
    public async Task RunVisitorAsync(VisitorSessions visitors)
    {
        var sendLoop = connection.SendLoopAsync();
        VisitorSession? visitor = null;
        try
        {
            ClientFrame? auth;
            using (new Timer(_ => connection.RequestClose(CloseCodes.AuthTimeout, "auth timeout"), null, options.AuthTimeout, Timeout.InfiniteTimeSpan))
                auth = await ReadAuthFrameAsync();
            if (auth is not null && !connection.CloseRequested)
            {
                visitor = await visitors.ResumeAsync(auth.Token);
                if (visitor is null)
                    connection.RequestClose(CloseCodes.Unauthorized, "unknown or expired visitor token");
            }
            if (visitor is not null)
            {
                sender = Sender.Visitor(visitor);
                connection.ReadMissed = ReadMissedAsync;
                SocketLog.Opened(log, "visitor", connection.Id, visitor.VisitorId.ToString());
                await connection.BeginReplayAsync();
                manager.AddVisitor(visitor.ConversationId, connection);
                if (manager.Stopping) connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
                var state = await conversations.StateAsync(sender, visitor.ConversationId);
                if (state.Value is { } s)
                {
                    await connection.ReplayAsync(Frames.Of(new VisitorWelcomeFrame(visitor.VisitorId, s.Id, s.LastSeq, s.VisitorReadSeq, s.AdminReadSeq,
                        await manager.AdminsOnlineAsync(), LimitsOf(options))), connection.Receiving.Token);
                    await ReplayAsync(s.Id, auth!.LastSeq, s.LastSeq, newestPageFirst: true);
                }
                else connection.RequestClose(CloseCodes.Unauthorized, "conversation not found");
            }
            await ReceiveLoopAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { SocketLog.Aborted(log, connection.Id, ex.Message); }
        catch (Exception ex) { SocketLog.Failed(log, ex, connection.Id); connection.RequestClose(CloseCodes.ServerError, "server error"); }
        finally
        {
            connection.RequestClose(CloseCodes.Normal, "");
            await sendLoop;
            if (visitor is not null)
            {
                manager.RemoveVisitor(visitor.ConversationId, connection);
                try { await visitors.TouchAsync(visitor); } catch (NpgsqlException) { }
            }
            SocketLog.Closed(log, "visitor", connection.Id, (int)connection.CloseStatus, connection.CloseReason);
        }
    }

    async Task<ClientFrame?> ReadAuthFrameAsync()
    {
        var (kind, length, buffer) = await ReadMessageAsync();
        try
        {
            if (kind == Received.Closed) return null;
            ClientFrame? frame = null;
            if (kind == Received.Text)
            {
                try { frame = Frames.Parse(buffer.AsSpan(0, length)); }
                catch (JsonException) { }
            }
            if (frame?.Type != "auth")
            {
                if (kind != Received.TooLarge) connection.RequestClose(CloseCodes.Unauthorized, "the first frame must be auth with the visitor token");
                return null;
            }
            return frame;
        }
        finally { Return(buffer); }
    }
}
