using System.Collections.Concurrent;
using SupportChat.Conversations;

namespace SupportChat.Sockets;

/// <summary>
/// Which sockets are open: visitor sockets by conversation, and admin sockets (they see every conversation).
/// Fans conversation events out to them without waiting on any, and tracks presence (across instances with Redis).
/// </summary>
public sealed class ConnectionManager : IPresence
{
    readonly ConcurrentDictionary<Guid, SocketConnection[]> visitors = new();
    readonly Lock gate = new();
    volatile SocketConnection[] admins = [];
    readonly IConversationEventBus bus;
    readonly ISharedPresence? shared;
    readonly ILogger<ConnectionManager> log;
    volatile bool stopping;

    public ConnectionManager(IConversationEventBus bus, IHostApplicationLifetime lifetime, ILogger<ConnectionManager> log, ISharedPresence? shared = null)
    {
        this.bus = bus;
        this.shared = shared;
        this.log = log;
        bus.Subscribe(Fanout);
        lifetime.ApplicationStopping.Register(CloseAllForShutdown);
    }

    public bool Stopping => stopping;
    /// <summary>Visitors online on this instance (the admin's welcome count).</summary>
    public int VisitorsOnline => visitors.Count;

    /// <summary>Whether an admin is online here or on another instance.</summary>
    public async Task<bool> AdminsOnlineAsync() => admins.Length > 0 || (shared is not null && await shared.AdminsOnlineAsync());

    /// <summary>Which of these conversations have their visitor online here or on another instance.</summary>
    public async Task<HashSet<Guid>> OnlineVisitorsAsync(IReadOnlyCollection<Guid> conversationIds)
    {
        var online = conversationIds.Where(visitors.ContainsKey).ToHashSet();
        if (shared is not null) online.UnionWith(await shared.OnlineVisitorsAsync(conversationIds));
        return online;
    }

    /// <summary>Number of open visitor sockets of a conversation (all tabs).</summary>
    public int VisitorSockets(Guid conversationId) => visitors.TryGetValue(conversationId, out var set) ? set.Length : 0;

    void Fanout(ConversationEvent e)
    {
        if (e is PresenceEvent presence)
        {
            _ = TellPresenceAsync(presence);
            return;
        }
        if (e.Audience == Audience.None) return; // e.g. revoked sessions: AdminSessions closes those sockets
        if (e is BackplaneRestoredEvent)
        {
            foreach (var c in Of(e.Audience)) c.RequestClose(CloseCodes.Resync, "missed events while the backplane was down; resume");
            return;
        }
        var frame = e is MessageStoredEvent m ? new OutboundFrame(Frames.Of(e), m.ReceivedAt, m.Remote) : new OutboundFrame(Frames.Of(e));
        var seq = e is MessageStoredEvent stored ? stored.Message.Seq : 0;
        if (e.Audience.HasFlag(Audience.Visitor) && visitors.TryGetValue(e.ConversationId, out var tabs))
            foreach (var c in tabs) c.Deliver(e.ConversationId, seq, frame);
        if (e.Audience.HasFlag(Audience.Admins))
            foreach (var c in admins) c.Deliver(e.ConversationId, seq, frame);
    }

    /// <summary>The open sockets of an audience that is not one conversation's (every admin, every visitor tab).</summary>
    List<SocketConnection> Of(Audience audience) =>
        (audience.HasFlag(Audience.Admins) ? admins : []).Concat(audience.HasFlag(Audience.AllVisitors) ? visitors.Values.SelectMany(v => v) : []).ToList();

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
        if (first) _ = AnnounceAsync(shared?.SetVisitorAsync(conversationId, true), new PresenceEvent(conversationId, PresenceEvent.Visitor));
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
        if (last) _ = AnnounceAsync(shared?.SetVisitorAsync(conversationId, false), new PresenceEvent(conversationId, PresenceEvent.Visitor));
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
        if (first) _ = AnnounceAsync(shared?.SetAdminsAsync(true), new PresenceEvent(Guid.Empty, PresenceEvent.Admins));
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
        if (last) _ = AnnounceAsync(shared?.SetAdminsAsync(false), new PresenceEvent(Guid.Empty, PresenceEvent.Admins));
    }

    // The shared record is written before the event goes out, so that every instance that hears of it reads the new state.
    async Task AnnounceAsync(Task? record, PresenceEvent e)
    {
        try
        {
            if (record is not null) await record;
            bus.Publish(e);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Announcing presence failed");
        }
    }

    async Task TellPresenceAsync(PresenceEvent e)
    {
        try
        {
            if (e.Audience == Audience.AllVisitors) ToVisitors(new PresenceFrame(await AdminsOnlineAsync(), null, null));
            else ToAdmins(new PresenceFrame(null, e.ConversationId, (await OnlineVisitorsAsync([e.ConversationId])).Count > 0));
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Telling presence failed");
        }
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
        var all = Of(Audience.Everyone);
        SocketLog.ShuttingDown(log, all.Count);
        foreach (var c in all) c.RequestClose(CloseCodes.GoingAway, "server shutting down");
    }
}
