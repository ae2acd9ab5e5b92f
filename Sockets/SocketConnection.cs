// Past 300 lines on purpose: the queue, the replay hold-back, the seq ordering with its gap fill and the close are one
// state machine under one lock; apart, each part would reach into the others' fields.
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
    const int GapPage = 100;
    // Held-back live events while a replay or a gap fill runs; null otherwise. Bounded by the outbound queue's capacity.
    List<Held>? heldBack;
    // The running gap fill (or a finished task): a replay waits for it.
    Task catchUp = Task.CompletedTask;
    // Per conversation, the seqs this socket has sent every message of (or the client said it had): copies are dropped.
    readonly Dictionary<Guid, SentRange> sent = [];
    bool closeRequested;
    // While the session handles a client frame, a close waits for it, so that a send it stores is acked first.
    bool handling;
    (WebSocketCloseStatus Status, string Reason)? closeAfterFrame;
    bool dropQueued;
    WebSocketCloseStatus closeStatus = CloseCodes.Normal;
    string closeReason = "";
    readonly int capacity;
    // The send loop's timer for the frame in flight; an overflow shortens it.
    readonly CancellationTokenSource sendTimeout = new();

    readonly record struct Held(Guid ConversationId, long Seq, OutboundFrame Frame);
    readonly record struct SentRange(long From, long UpTo);

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

    /// <summary>
    /// Queues a live event's frame without waiting; seq &gt; 0 for messages. Messages of a conversation go out in seq
    /// order without a hole: a copy of one this socket already sent is dropped, and a message whose seq is past the next
    /// one this socket owes (the backplane lost some while Redis was down) waits until the missing ones are read from
    /// the database and sent first.
    /// </summary>
    public void Deliver(Guid conversationId, long seq, OutboundFrame frame)
    {
        lock (gate) DeliverLocked(new Held(conversationId, seq, frame));
    }

    void DeliverLocked(Held item)
    {
        // Closing, even if still answering a frame: the client resumes from its contiguous seq after the close.
        if (closeRequested || closeAfterFrame is not null) return;
        if (heldBack is not null)
        {
            if (heldBack.Count < capacity) heldBack.Add(item);
            else Overflow();
            return;
        }
        if (item.Seq > 0 && sent.TryGetValue(item.ConversationId, out var range))
        {
            if (item.Seq >= range.From && item.Seq <= range.UpTo) return;
            if (item.Seq > range.UpTo + 1 && ReadMissed is not null)
            {
                heldBack = [item];
                var (conversationId, after, before) = (item.ConversationId, range.UpTo, item.Seq);
                catchUp = Task.Run(() => FillGapAsync(conversationId, after, before));
                return;
            }
            // Below the range (older than where this socket started): sent, but the range only grows without a hole.
            if (item.Seq == range.UpTo + 1 || item.Seq == range.From - 1) MarkSent(item.ConversationId, item.Seq, item.Seq);
        }
        else if (item.Seq > 0) MarkSent(item.ConversationId, item.Seq, item.Seq);
        if (outbound.Writer.TryWrite(item.Frame)) RealtimeMetrics.Queued(1);
        else Overflow();
    }

    /// <summary>Reads the messages between after and before from the database, sends them, then releases what was held.</summary>
    async Task FillGapAsync(Guid conversationId, long after, long before)
    {
        try
        {
            var next = after;
            while (true)
            {
                var missed = await ReadMissed!(conversationId, next, GapPage);
                foreach (var (seq, frame) in missed.Where(m => m.Seq < before))
                {
                    await ReplayAsync(frame, Receiving.Token);
                    next = seq;
                }
                if (missed.Count < GapPage || missed[^1].Seq >= before) break;
            }
            RealtimeMetrics.GapsFilled.Inc();
        }
        catch (OperationCanceledException) { return; }
        catch (Exception ex)
        {
            // Releasing what is held would leave the hole; the client reconnects and replays instead.
            SocketLog.Failed(log, ex, Id);
            RequestClose(CloseCodes.ServerError, "gap fill failed: reconnect with lastSeq");
            return;
        }
        // Every message below before has been sent now (seqs without a row here are notes a visitor never sees).
        EndReplay(conversationId, after + 1, before - 1);
    }

    /// <summary>Reads up to limit messages after a seq, oldest first, as this socket's sender may see them: what a gap fill sends.</summary>
    public Func<Guid, long, int, Task<IReadOnlyList<(long Seq, byte[] Frame)>>>? ReadMissed { get; set; }

    /// <summary>The seqs of a conversation this socket has sent every message of (null: none yet), read after BeginReplayAsync.</summary>
    public (long From, long UpTo)? Sent(Guid conversationId)
    {
        lock (gate) return sent.TryGetValue(conversationId, out var r) ? (r.From, r.UpTo) : null;
    }

    void MarkSent(Guid conversationId, long from, long upTo)
    {
        sent[conversationId] = sent.TryGetValue(conversationId, out var r)
            ? new SentRange(Math.Min(r.From, from), Math.Max(r.UpTo, upTo))
            : new SentRange(from, upTo);
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

    /// <summary>
    /// Holds back live events until EndReplay: call before reading what the client missed from the database. Waits for a
    /// gap fill in progress, so that one catch-up at a time writes to the queue.
    /// </summary>
    public async Task BeginReplayAsync()
    {
        while (true)
        {
            Task running;
            lock (gate)
            {
                if (heldBack is null || closeRequested)
                {
                    heldBack = [];
                    return;
                }
                running = catchUp;
            }
            await running;
        }
    }

    /// <summary>
    /// The client has every message of conversationId (none: null) from seq from (or upTo) up to upTo: release the held-back
    /// events, skipping messages the replay already sent (a release may start a gap fill; the rest stays held for it).
    /// </summary>
    public void EndReplay(Guid? conversationId, long from, long upTo)
    {
        lock (gate)
        {
            if (conversationId is { } replayed && upTo > 0) MarkSent(replayed, Math.Min(from, upTo), upTo);
            var held = heldBack;
            heldBack = null;
            if (held is null || closeRequested) return;
            for (var i = 0; i < held.Count; i++)
            {
                DeliverLocked(held[i]);
                if (heldBack is not null)
                {
                    heldBack.AddRange(held.Skip(i + 1));
                    return;
                }
            }
        }
    }

    void Overflow()
    {
        SocketLog.TooSlow(log, Id);
        RealtimeMetrics.SlowSocketsClosed.Inc();
        RequestCloseLocked(CloseCodes.TooSlow, "too slow: reconnect with lastSeq", drop: true);
        // A send stalled on a peer that stopped reading would hold the close for the whole send timeout: it gets the close timeout.
        sendTimeout.CancelAfter(options.CloseTimeout);
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
        var timeout = sendTimeout;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var frame))
                {
                    RealtimeMetrics.Queued(-1);
                    // The runtime closed the socket itself (invalid UTF-8: 1007): nothing more can be sent, and aborting now would
                    // reset the connection before the peer has read that close.
                    if (Volatile.Read(ref dropQueued) || socket.State == WebSocketState.CloseSent) continue;
                    timeout.CancelAfter(Volatile.Read(ref dropQueued) ? options.CloseTimeout : options.SendTimeout);
                    await socket.SendAsync(frame.Utf8, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
                    if (!timeout.TryReset()) throw new OperationCanceledException();
                    if (frame.ReceivedAt != 0)
                        (frame.Remote ? RealtimeMetrics.RemoteDelivery : RealtimeMetrics.LocalDelivery).Observe(Stopwatch.GetElapsedTime(frame.ReceivedAt).TotalSeconds);
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
            // A send that does not finish in time means the peer stopped reading (an overflow counted it already).
            if (closeStatus != CloseCodes.TooSlow)
            {
                SocketLog.TooSlow(log, Id);
                RealtimeMetrics.SlowSocketsClosed.Inc();
            }
            RequestClose(CloseCodes.TooSlow, "too slow: reconnect with lastSeq", dropQueued: true);
            socket.Abort();
        }
        catch (WebSocketException ex)
        {
            SocketLog.Aborted(log, Id, ex.Message);
            RequestClose(CloseCodes.ServerError, "connection lost", dropQueued: true);
            // A close the runtime sent is left for the peer to read (the session lingers); anything else is cut.
            if (socket.State != WebSocketState.CloseSent) socket.Abort();
        }
        finally
        {
            while (reader.TryRead(out _)) RealtimeMetrics.Queued(-1);
            timeout.Dispose();
        }
    }
}
