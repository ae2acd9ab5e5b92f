using System.Collections.Concurrent;
using SupportChat.Conversations;

namespace SupportChat.Sockets;

/// <summary>
/// Which sockets are open: visitor sockets by conversation, and admin sockets (they see every conversation).
/// Fans conversation events out to them without waiting on any, and tracks presence.
/// </summary>
public sealed class ConnectionManager
{
    readonly ConcurrentDictionary<Guid, SocketConnection[]> visitors = new();
    readonly Lock gate = new();
    volatile SocketConnection[] admins = [];
    readonly ILogger<ConnectionManager> log;
    volatile bool stopping;

    public ConnectionManager(IConversationEventBus bus, IHostApplicationLifetime lifetime, ILogger<ConnectionManager> log)
    {
        this.log = log;
        bus.Subscribe(Fanout);
        lifetime.ApplicationStopping.Register(CloseAllForShutdown);
    }

    public bool Stopping => stopping;
    public bool AdminsOnline => admins.Length > 0;
    public int VisitorsOnline => visitors.Count;
    public bool IsVisitorOnline(Guid conversationId) => visitors.ContainsKey(conversationId);

    /// <summary>Number of open visitor sockets of a conversation (all tabs).</summary>
    public int VisitorSockets(Guid conversationId) => visitors.TryGetValue(conversationId, out var set) ? set.Length : 0;

    void Fanout(ConversationEvent e)
    {
        var frame = new OutboundFrame(Frames.Of(e), e is MessageStoredEvent m ? m.ReceivedAt : 0);
        var seq = e is MessageStoredEvent stored ? stored.Message.Seq : 0;
        // A visitor's own typing goes to admins only; everything else goes to both sides.
        if (e is not TypingEvent { Sender: Sender.VisitorKind } && visitors.TryGetValue(e.ConversationId, out var tabs))
            foreach (var c in tabs) c.Deliver(e.ConversationId, seq, frame);
        foreach (var c in admins) c.Deliver(e.ConversationId, seq, frame);
    }

    public void AddVisitor(Guid conversationId, SocketConnection c)
    {
        bool first;
        lock (gate)
        {
            var set = visitors.GetValueOrDefault(conversationId, []);
            first = set.Length == 0;
            visitors[conversationId] = [.. set, c];
        }
        RealtimeMetrics.OpenSockets.WithLabels("visitor").Inc();
        if (first) ToAdmins(new PresenceFrame(null, conversationId, true));
    }

    public void RemoveVisitor(Guid conversationId, SocketConnection c)
    {
        bool last = false;
        lock (gate)
        {
            if (!visitors.TryGetValue(conversationId, out var set) || !set.Contains(c)) return;
            var rest = set.Where(x => x != c).ToArray();
            if (rest.Length == 0) { visitors.TryRemove(conversationId, out _); last = true; }
            else visitors[conversationId] = rest;
        }
        RealtimeMetrics.OpenSockets.WithLabels("visitor").Dec();
        if (last) ToAdmins(new PresenceFrame(null, conversationId, false));
    }

    public void AddAdmin(SocketConnection c)
    {
        bool first;
        lock (gate)
        {
            first = admins.Length == 0;
            admins = [.. admins, c];
        }
        RealtimeMetrics.OpenSockets.WithLabels("admin").Inc();
        if (first) ToVisitors(new PresenceFrame(true, null, null));
    }

    public void RemoveAdmin(SocketConnection c)
    {
        bool last;
        lock (gate)
        {
            if (!admins.Contains(c)) return;
            admins = admins.Where(x => x != c).ToArray();
            last = admins.Length == 0;
        }
        RealtimeMetrics.OpenSockets.WithLabels("admin").Dec();
        if (last) ToVisitors(new PresenceFrame(false, null, null));
    }

    void ToAdmins(PresenceFrame presence)
    {
        var frame = new OutboundFrame(Frames.Of(presence));
        foreach (var c in admins) c.Deliver(presence.ConversationId ?? Guid.Empty, 0, frame);
    }

    void ToVisitors(PresenceFrame presence)
    {
        var frame = new OutboundFrame(Frames.Of(presence));
        foreach (var (conversationId, tabs) in visitors)
            foreach (var c in tabs) c.Deliver(conversationId, 0, frame);
    }

    /// <summary>Shutdown: every socket sends what it has queued, then closes with 1001.</summary>
    void CloseAllForShutdown()
    {
        stopping = true;
        var all = admins.Concat(visitors.Values.SelectMany(v => v)).ToList();
        SocketLog.ShuttingDown(log, all.Count);
        foreach (var c in all) c.RequestClose(CloseCodes.GoingAway, "server shutting down");
    }
}
