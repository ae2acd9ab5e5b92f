using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Npgsql;
using SupportChat.Admins;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Endpoints;

namespace SupportChat.Sockets;

/// <summary>
/// One socket's inbound side: reads frames (one receive loop), turns each into a call on ConversationService and
/// queues the reply. Holds no business rules: access, validation and storage are the service's. Replays are in
/// SocketSession.Replay.cs.
/// </summary>
sealed partial class SocketSession(
    WebSocket socket, SocketConnection connection, ConversationService conversations, ConnectionManager manager,
    RealtimeOptions options, ILogger log)
{
    // Small frames (typing, read, short messages) fit here; bigger ones borrow a pooled buffer for the moment.
    readonly byte[] small = new byte[256];
    Sender? sender;
    // Admin sockets: the session, checked on every frame against revocations heard of and its expiry.
    AdminPrincipal? admin;
    AdminSessions? adminAuth;
    long? lastTypingAt;

    enum Received { Text, Binary, TooLarge, Closed }

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

    /// <summary>Admin: already authenticated by the session cookie; the socket closes when the session ends.</summary>
    public async Task RunAdminAsync(AdminPrincipal admin, Sender adminSender, AdminSessions auth)
    {
        sender = adminSender;
        this.admin = admin;
        adminAuth = auth;
        connection.ReadMissed = ReadMissedAsync;
        var sendLoop = connection.SendLoopAsync();
        using var ended = auth.SessionEnded(admin).Register(() => connection.RequestClose(CloseCodes.SessionEnded, "session ended"));
        using var stopChecks = new CancellationTokenSource();
        var checks = CheckSessionAsync(admin, auth, stopChecks.Token);
        SocketLog.Opened(log, "admin", connection.Id, admin.AdminId.ToString());
        try
        {
            await connection.BeginReplayAsync();
            manager.AddAdmin(connection);
            if (manager.Stopping) connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
            connection.Reply(Frames.Of(new AdminWelcomeFrame(admin.AdminId, admin.DisplayName, manager.VisitorsOnline, LimitsOf(options))));
            connection.EndReplay(null, 0, 0);
            await ReceiveLoopAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { SocketLog.Aborted(log, connection.Id, ex.Message); }
        catch (Exception ex) { SocketLog.Failed(log, ex, connection.Id); connection.RequestClose(CloseCodes.ServerError, "server error"); }
        finally
        {
            connection.RequestClose(CloseCodes.Normal, "");
            await stopChecks.CancelAsync();
            await sendLoop;
            await checks;
            manager.RemoveAdmin(connection);
            SocketLog.Closed(log, "admin", connection.Id, (int)connection.CloseStatus, connection.CloseReason);
        }
    }

    async Task CheckSessionAsync(AdminPrincipal admin, AdminSessions auth, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.AdminSessionCheckSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                if (!await auth.IsLiveAsync(admin.SessionId))
                {
                    connection.RequestClose(CloseCodes.SessionEnded, "session ended");
                    return;
                }
        }
        catch (OperationCanceledException) { }
        catch (NpgsqlException) { } // the database is away; the next open will check again
    }

    static Limits LimitsOf(RealtimeOptions o) =>
        new(o.MaxBodyChars, o.MaxFrameBytes, o.MessagesPerSecond, o.MessageBurst, ConversationService.MaxHistoryLimit);

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

    /// <summary>Reads frames until the peer closes; after a close was requested, only drains until the peer's close arrives.</summary>
    async Task ReceiveLoopAsync()
    {
        while (true)
        {
            var (kind, length, buffer) = await ReadMessageAsync();
            try
            {
                if (kind == Received.Closed) return;
                if (kind == Received.TooLarge || !connection.BeginFrame()) continue;
                try
                {
                    if (kind == Received.Binary)
                    {
                        Refuse(new ApiError("bad_request", "Binary frames are not accepted; send JSON text frames."));
                        continue;
                    }
                    ClientFrame? frame;
                    string? wrongField = null;
                    try { frame = Frames.Parse(buffer.AsSpan(0, length)); }
                    catch (JsonException ex) { frame = null; wrongField = ex.Path; }
                    if (frame is null)
                    {
                        // A send whose other field has the wrong type is still answered by its clientMsgId, so that the client can tell which one failed.
                        Refuse(new ApiError("bad_request", wrongField is { Length: > 2 } path
                            ? $"The field {path[2..]} has the wrong type."
                            : "The frame is not a JSON object of the protocol."), Frames.ClientMsgIdOf(buffer.AsSpan(0, length)));
                        continue;
                    }
                    Return(buffer);
                    buffer = small;
                    await HandleAsync(frame);
                }
                finally { connection.EndFrame(); }
            }
            finally { Return(buffer); }
        }
    }

    void Return(byte[] buffer)
    {
        if (buffer != small) ArrayPool<byte>.Shared.Return(buffer);
    }

    async ValueTask<(Received Kind, int Length, byte[] Buffer)> ReadMessageAsync()
    {
        var buffer = small;
        var count = 0;
        var tooLarge = false;
        while (true)
        {
            if (count == buffer.Length)
            {
                if (buffer == small)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(options.MaxFrameBytes + 1);
                    small.CopyTo(bigger, 0);
                    buffer = bigger;
                }
                else count = 0; // over the limit already: discard the rest of the message
            }
            var r = await socket.ReceiveAsync(buffer.AsMemory(count), connection.Receiving.Token);
            if (r.MessageType == WebSocketMessageType.Close) return (Received.Closed, 0, buffer);
            count += r.Count;
            if (count > options.MaxFrameBytes && !tooLarge)
            {
                tooLarge = true;
                SocketLog.FrameRefused(log, connection.Id, "too_large");
                connection.RequestClose(CloseCodes.TooLarge, $"frame larger than {options.MaxFrameBytes} bytes");
            }
            if (r.EndOfMessage)
                return (tooLarge ? Received.TooLarge : r.MessageType == WebSocketMessageType.Binary ? Received.Binary : Received.Text, count, buffer);
        }
    }

    void Refuse(ApiError error, string? clientMsgId = null)
    {
        SocketLog.FrameRefused(log, connection.Id, error.Error);
        connection.Reply(Frames.Error(error, clientMsgId));
    }

    async Task HandleAsync(ClientFrame f)
    {
        var s = sender!;
        if (admin is not null && adminAuth!.HasEnded(admin))
        {
            Refuse(new ApiError("session_ended", "This admin session has ended; log in again."), f.ClientMsgId);
            connection.RequestClose(CloseCodes.SessionEnded, "session ended");
            return;
        }
        Guid? conversationId = s.IsVisitor ? f.ConversationId ?? s.OwnConversationId : f.ConversationId;
        if (f.Type is "send" or "typing" or "read" or "history" or "resume" && conversationId is null)
        {
            Refuse(new ApiError("bad_request", "conversationId is required."), f.ClientMsgId);
            return;
        }
        try
        {
            switch (f.Type)
            {
                case "send":
                    var sent = await conversations.SendAsync(s, conversationId!.Value, f.ClientMsgId, f.Body, connection.Receiving.Token, f.Note == true);
                    if (sent.Error is { } sendError) Refuse(sendError, f.ClientMsgId);
                    else
                    {
                        var m = sent.Value!.Message;
                        connection.Reply(Frames.Of(new AckFrame(m.ConversationId, m.ClientMsgId!, m.Seq, m.Id, m.CreatedAt, sent.Value.Duplicate)));
                    }
                    break;
                case "typing":
                    var now = Environment.TickCount64;
                    if (now - lastTypingAt < options.TypingThrottleMilliseconds) break; // null: never typed yet
                    lastTypingAt = now;
                    if (conversations.Typing(s, conversationId!.Value) is { } typingError) Refuse(typingError);
                    break;
                case "read":
                    if (f.Seq is not { } seq) Refuse(new ApiError("bad_request", "seq is required."));
                    else if (await conversations.MarkReadAsync(s, conversationId!.Value, seq) is { } readError) Refuse(readError);
                    break;
                case "history":
                    var page = await conversations.HistoryAsync(s, conversationId!.Value, f.Before, f.Limit);
                    if (page.Error is { } historyError) Refuse(historyError);
                    else connection.Reply(Frames.Of(new HistoryFrame(conversationId.Value,
                        page.Value!.Messages.Select(MessageView.From).ToList(), page.Value.HasMore)));
                    break;
                case "resume" when !s.IsVisitor:
                    if (f.LastSeq is not (>= 0 and var last)) { Refuse(new ApiError("bad_request", "lastSeq is required: 0 or more.")); break; }
                    var state = await conversations.StateAsync(s, conversationId!.Value);
                    if (state.Error is { } resumeError) { Refuse(resumeError); break; }
                    await connection.BeginReplayAsync();
                    await ReplayAsync(conversationId.Value, last, state.Value!.LastSeq, newestPageFirst: false);
                    break;
                case "auth":
                    Refuse(new ApiError("bad_request", "Already authenticated."));
                    break;
                default:
                    Refuse(new ApiError("bad_request", f.Type is null ? "type is required." : $"Unknown frame type '{f.Type}'."));
                    break;
            }
        }
        catch (NpgsqlException ex)
        {
            SocketLog.Failed(log, ex, connection.Id);
            Refuse(new ApiError("unavailable", "The message store is unavailable; retry with the same clientMsgId."), f.ClientMsgId);
        }
    }
}
