using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace SupportChat.Sockets;

/// <summary>
/// A frame to send: its UTF-8 JSON (shared by every socket it goes to), when the message it carries arrived (0: not a
/// message), and whether that message came from another instance.
/// </summary>
public readonly record struct OutboundFrame(byte[] Utf8, long ReceivedAt = 0, bool Remote = false);

/// <summary>
/// One open socket's outbound side: a bounded queue drained by a single send loop. Delivery never waits: a socket
/// whose queue is full is closed (4001) and catches up by reconnecting with its last seq. While the socket replays
/// what it missed, live events are held back and released afterwards without the ones the replay already sent.
/// </summary>
public sealed class SocketConnection
{
    static long lastId;
    readonly WebSocket socket;
    readonly RealtimeOptions options;
    readonly ILogger log;
    readonly Channel<OutboundFrame> outbound;
    readonly Lock gate = new();
    // Held-back live events while a replay runs; null otherwise. Bounded by the outbound queue's capacity.
    List<(Guid ConversationId, long Seq, OutboundFrame Frame)>? heldBack;
    // Per conversation replayed on this socket, the highest seq the replay sent: live copies up to it are skipped.
    Dictionary<Guid, long>? sentUpTo;
    bool closeRequested;
    // While the session handles a client frame, a close waits for it, so that a send it stores is acked first.
    bool handling;
    (WebSocketCloseStatus Status, string Reason)? closeAfterFrame;
    bool dropQueued;
    WebSocketCloseStatus closeStatus = CloseCodes.Normal;
    string closeReason = "";
    readonly int capacity;

    public SocketConnection(WebSocket socket, string kind, RealtimeOptions options, ILogger log)
    {
        this.socket = socket;
        this.options = options;
        this.log = log;
        Kind = kind;
        Id = Interlocked.Increment(ref lastId);
        capacity = kind == "admin" ? options.AdminOutboundQueueCapacity : options.OutboundQueueCapacity;
        outbound = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long Id { get; }
    public string Kind { get; }
    /// <summary>Cancelled when the socket should stop receiving: the close handshake took too long.</summary>
    public CancellationTokenSource Receiving { get; } = new();
    public WebSocketCloseStatus CloseStatus => closeStatus;
    public string CloseReason => closeReason;
    /// <summary>A close was requested (it may still wait for the frame being handled): no further frame is handled.</summary>
    public bool CloseRequested { get { lock (gate) return closeRequested || closeAfterFrame is not null; } }

    /// <summary>The session starts handling a client frame; false when the socket is closing and the frame must be ignored.</summary>
    public bool BeginFrame()
    {
        lock (gate)
        {
            if (closeRequested || closeAfterFrame is not null) return false;
            handling = true;
            return true;
        }
    }

    /// <summary>The frame's replies are queued: a close requested meanwhile goes ahead now.</summary>
    public void EndFrame()
    {
        lock (gate)
        {
            handling = false;
            if (closeAfterFrame is { } close)
            {
                closeAfterFrame = null;
                RequestCloseLocked(close.Status, close.Reason, drop: false);
            }
        }
    }

    /// <summary>Queues a live event's frame without waiting; seq &gt; 0 for messages (for de-duplication after a replay).</summary>
    public void Deliver(Guid conversationId, long seq, OutboundFrame frame)
    {
        lock (gate)
        {
            // Closing, even if still answering a frame: the client resumes from its last seq after the close.
            if (closeRequested || closeAfterFrame is not null) return;
            if (heldBack is not null)
            {
                if (heldBack.Count < capacity) heldBack.Add((conversationId, seq, frame));
                else Overflow();
                return;
            }
            // Only what a replay already sent is skipped: with several instances, live messages of one conversation
            // can arrive slightly out of seq order, and a lower seq after a higher one is still new to this client.
            if (seq > 0 && sentUpTo is not null && sentUpTo.TryGetValue(conversationId, out var upTo) && seq <= upTo) return;
            if (outbound.Writer.TryWrite(frame)) RealtimeMetrics.Queued(1);
            else Overflow();
        }
    }

    /// <summary>Queues a reply to this socket's own request (ack, error, history) without waiting.</summary>
    public void Reply(byte[] frame)
    {
        lock (gate)
        {
            if (closeRequested) return;
            if (outbound.Writer.TryWrite(new OutboundFrame(frame))) RealtimeMetrics.Queued(1);
            else Overflow();
        }
    }

    /// <summary>Queues a replayed frame, waiting for room: replay is paced by the client's reading, not dropped.</summary>
    public async ValueTask ReplayAsync(byte[] frame, CancellationToken ct)
    {
        try
        {
            await outbound.Writer.WriteAsync(new OutboundFrame(frame), ct);
            RealtimeMetrics.Queued(1);
        }
        catch (ChannelClosedException) { }
    }

    /// <summary>Holds back live events until EndReplay: call before reading what the client missed from the database.</summary>
    public void BeginReplay()
    {
        lock (gate) heldBack ??= [];
    }

    /// <summary>
    /// The replay of conversationId (none: null) has sent everything up to seq: release the held-back events,
    /// skipping messages of that conversation the replay already sent.
    /// </summary>
    public void EndReplay(Guid? conversationId, long seq)
    {
        lock (gate)
        {
            if (conversationId is { } replayed)
            {
                sentUpTo ??= [];
                sentUpTo[replayed] = Math.Max(seq, sentUpTo.GetValueOrDefault(replayed));
            }
            var held = heldBack;
            heldBack = null;
            if (held is null || closeRequested) return;
            foreach (var (c, s, frame) in held)
            {
                if (s > 0 && sentUpTo is not null && sentUpTo.TryGetValue(c, out var upTo) && s <= upTo) continue;
                if (outbound.Writer.TryWrite(frame)) RealtimeMetrics.Queued(1);
                else { Overflow(); return; }
            }
        }
    }

    void Overflow()
    {
        SocketLog.TooSlow(log, Id);
        RealtimeMetrics.SlowSocketsClosed.Inc();
        RequestCloseLocked(CloseCodes.TooSlow, "too slow: reconnect with lastSeq", drop: true);
    }

    /// <summary>
    /// Starts the close: the replies of the frame being handled and the frames already queued are sent first (unless
    /// dropQueued), then the close frame. A peer that does not complete the close in time is aborted.
    /// </summary>
    public void RequestClose(WebSocketCloseStatus status, string reason, bool dropQueued = false)
    {
        lock (gate) RequestCloseLocked(status, reason, dropQueued);
    }

    void RequestCloseLocked(WebSocketCloseStatus status, string reason, bool drop)
    {
        if (closeRequested) return;
        if (handling && !drop)
        {
            closeAfterFrame ??= (status, reason);
            Receiving.CancelAfter(options.SendTimeout + options.CloseTimeout);
            return;
        }
        closeRequested = true;
        closeStatus = status;
        closeReason = reason;
        dropQueued = drop;
        heldBack = null;
        outbound.Writer.TryComplete();
        // Queued sends are bounded by the send timeout each; past this the peer is not completing the close.
        Receiving.CancelAfter(options.SendTimeout + options.CloseTimeout);
    }

    /// <summary>The single writer of this socket: sends queued frames in order, then the close frame.</summary>
    public async Task SendLoopAsync()
    {
        var reader = outbound.Reader;
        using var timeout = new CancellationTokenSource();
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var frame))
                {
                    RealtimeMetrics.Queued(-1);
                    if (Volatile.Read(ref dropQueued)) continue;
                    timeout.CancelAfter(options.SendTimeout);
                    await socket.SendAsync(frame.Utf8, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
                    if (!timeout.TryReset()) throw new OperationCanceledException();
                    if (frame.ReceivedAt != 0)
                        RealtimeMetrics.DeliveryLatency.WithLabels(frame.Remote ? "remote" : "local").Observe(Stopwatch.GetElapsedTime(frame.ReceivedAt).TotalSeconds);
                }
            }
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                timeout.CancelAfter(options.CloseTimeout);
                await socket.CloseOutputAsync(closeStatus, closeReason, timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // A send that does not finish in time means the peer stopped reading.
            SocketLog.TooSlow(log, Id);
            RealtimeMetrics.SlowSocketsClosed.Inc();
            RequestClose(CloseCodes.TooSlow, "too slow: reconnect with lastSeq", dropQueued: true);
            socket.Abort();
        }
        catch (WebSocketException ex)
        {
            SocketLog.Aborted(log, Id, ex.Message);
            RequestClose(CloseCodes.ServerError, "connection lost", dropQueued: true);
            socket.Abort();
        }
        finally
        {
            while (reader.TryRead(out _)) RealtimeMetrics.Queued(-1);
        }
    }
}
