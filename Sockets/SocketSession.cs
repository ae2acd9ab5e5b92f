using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Npgsql;
using SupportChat.Admins;
using SupportChat.Conversations;

namespace SupportChat.Sockets;

/// <summary>
/// One socket's inbound side: reads frames (one receive loop), turns each into a call on ConversationService and
/// queues the reply. Holds no business rules: access, validation and storage are the service's. How a visitor's and an
/// admin's socket open is in SocketSession.Visitor.cs and SocketSession.Admin.cs, replays in SocketSession.Replay.cs.
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

    enum Received { Text, Binary, TooLarge, Closed }

    static Limits LimitsOf(RealtimeOptions o) =>
        new(o.MaxBodyChars, o.MaxFrameBytes, o.MessagesPerSecond, o.MessageBurst, ConversationService.MaxHistoryLimit);

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
                        Refuse(new Problem(ProblemCode.BadRequest, "Binary frames are not accepted; send JSON text frames."));
                        continue;
                    }
                    ClientFrame? frame;
                    string? wrongField = null;
                    try { frame = Frames.Parse(buffer.AsSpan(0, length)); }
                    catch (JsonException ex) { frame = null; wrongField = ex.Path; }
                    if (frame is null)
                    {
                        // A send whose other field has the wrong type is still answered by its clientMsgId, so that the client can tell which one failed.
                        Refuse(new Problem(ProblemCode.BadRequest, wrongField is { Length: > 2 } path
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

    void Refuse(Problem problem, string? clientMsgId = null)
    {
        SocketLog.FrameRefused(log, connection.Id, problem.Code.Wire());
        connection.Reply(Frames.Error(problem, clientMsgId));
    }

    async Task HandleAsync(ClientFrame f)
    {
        var s = sender!;
        // An admin's resume holds live events back from the moment it is read: the checks below await the database, and a
        // live message of the conversation delivered meanwhile would overtake the replay.
        var holding = f.Type == "resume" && !s.IsVisitor;
        if (holding) await connection.BeginReplayAsync();
        try
        {
            if (admin is not null && await HasEndedAsync(admin, f.Type))
            {
                Refuse(new Problem(ProblemCode.SessionEnded, "This admin session has ended; log in again."), f.ClientMsgId);
                connection.RequestClose(CloseCodes.SessionEnded, "session ended");
                return;
            }
            Guid? conversationId = s.IsVisitor ? f.ConversationId ?? s.OwnConversationId : f.ConversationId;
            if (f.Type is "send" or "typing" or "read" or "history" or "resume" && conversationId is null)
            {
                Refuse(new Problem(ProblemCode.BadRequest, "conversationId is required."), f.ClientMsgId);
                return;
            }
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
                    if (conversations.Typing(s, conversationId!.Value) is { } typingError) Refuse(typingError);
                    break;
                case "read":
                    if (f.Seq is not { } seq) Refuse(new Problem(ProblemCode.BadRequest, "seq is required."));
                    else if (await conversations.MarkReadAsync(s, conversationId!.Value, seq) is { } readError) Refuse(readError);
                    break;
                case "history":
                    var page = await conversations.HistoryAsync(s, conversationId!.Value, f.Before, f.Limit);
                    if (page.Error is { } historyError) Refuse(historyError);
                    else connection.Reply(Frames.Of(new HistoryFrame(conversationId.Value,
                        page.Value!.Messages.Select(MessageView.From).ToList(), page.Value.HasMore)));
                    break;
                case "resume" when !s.IsVisitor:
                    if (f.LastSeq is not (>= 0 and var last)) { Refuse(new Problem(ProblemCode.BadRequest, "lastSeq is required: 0 or more.")); break; }
                    var state = await conversations.StateAsync(s, conversationId!.Value);
                    if (state.Error is { } resumeError) { Refuse(resumeError); break; }
                    holding = false; // the replay releases what was held back
                    await ReplayAsync(conversationId.Value, last, state.Value!.LastSeq, newestPageFirst: false);
                    break;
                case "auth":
                    Refuse(new Problem(ProblemCode.BadRequest, "Already authenticated."));
                    break;
                default:
                    Refuse(new Problem(ProblemCode.BadRequest, f.Type is null ? "type is required." : $"Unknown frame type '{f.Type}'."));
                    break;
            }
        }
        catch (NpgsqlException ex)
        {
            SocketLog.Failed(log, ex, connection.Id);
            Refuse(new Problem(ProblemCode.Unavailable, "The message store is unavailable; retry with the same clientMsgId."), f.ClientMsgId);
        }
        finally
        {
            if (holding) connection.EndReplay(null, 0, 0);
        }
    }
}
