using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using Prometheus;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Admins;

/// <summary>A session just started and the opaque token its holder presents (the HTTP edge puts it in a cookie).</summary>
public sealed record StartedSession(AdminPrincipal Admin, string Token);

/// <summary>
/// Admin sessions: an opaque token bound to the User-Agent and IP it started from, and the signal that closes an
/// admin's sockets when the session ends.
/// </summary>
public sealed class AdminSessions
{
    static readonly Counter SessionReads = Metrics.CreateCounter("supportchat_admin_session_reads_total",
        "Admin session checks of HTTP requests, by where they were answered (memory: a read within a minute of the last check; database)", "from");
    readonly ConcurrentDictionary<long, CancellationTokenSource> endedSignals = new();
    // Sessions revoked on any instance, heard of on the bus, with when: a revoked session outlives no lifetime, so older ones go.
    readonly ConcurrentDictionary<long, DateTime> revoked = new();
    readonly NpgsqlDataSource db;
    readonly IOptions<AdminOptions> options;
    readonly IMemoryCache seenSessions;
    readonly IConversationEventBus bus;
    readonly IBackplaneState? backplane;
    readonly ILogger<AdminSessions> log;
    // Sessions a read (a GET) found live in the database, kept in seenSessions for a minute: further reads are answered
    // from memory. Revocations reach them as bus notices (`revoked` is checked on every hit), so they are only trusted
    // while notices arrive: always without Redis; with Redis while the backplane is up, and only entries whose lookup
    // began after the latest outage did (a notice published during it never arrived). The minute's lookup also touches the session.
    sealed record CheckedSession(AdminSessionRow Row, DateTime CheckedAt);
    static readonly TimeSpan ReadRecheck = TimeSpan.FromMinutes(1);

    public AdminSessions(NpgsqlDataSource db, IOptions<AdminOptions> options, IMemoryCache seenSessions, IConversationEventBus bus,
        ILogger<AdminSessions> log, IBackplaneState? backplane = null)
    {
        this.db = db;
        this.options = options;
        this.seenSessions = seenSessions;
        this.bus = bus;
        this.backplane = backplane;
        this.log = log;
        bus.Subscribe(e => { if (e is AdminSessionsEndedEvent ended) EndLocally(ended.SessionIds); });
    }

    AdminOptions Options => options.Value;
    TimeSpan IdleTimeout => TimeSpan.FromMinutes(Options.SessionIdleMinutes);

    /// <summary>Creates a session in the caller's transaction.</summary>
    public async Task<StartedSession> StartAsync(NpgsqlConnection c, NpgsqlTransaction tx, RequestOrigin from, long adminId, string username, string displayName)
    {
        var token = Tokens.Random();
        var csrf = Tokens.Random();
        var expiresAt = DateTime.UtcNow.AddHours(Options.SessionLifetimeHours);
        var id = await AdminSessionStore.CreateAsync(c, tx, adminId, Tokens.Hash(token), csrf, from.UserAgent ?? "", from.Ip, expiresAt);
        SeenValid(token, id, expiresAt);
        return new StartedSession(new AdminPrincipal(adminId, id, username, displayName, csrf, expiresAt), token);
    }

    static string SeenKey(string token) => "admin-session:" + Convert.ToHexString(Tokens.Hash(token));

    void SeenValid(string token, long sessionId, DateTime expiresAt) =>
        seenSessions.Set(SeenKey(token), sessionId, new MemoryCacheEntryOptions { AbsoluteExpiration = expiresAt, SlidingExpiration = IdleTimeout });

    static bool Plausible(string? token) => token is { Length: > 0 and <= 100 };

    /// <summary>
    /// The rate-limit partition of the token's session, when this instance has seen that session valid; otherwise null and the
    /// request is counted by its IP. Known without a database lookup, so made-up tokens buy no budget of their own.
    /// </summary>
    public string? KnownSessionKey(string? token) =>
        Plausible(token) && seenSessions.TryGetValue(SeenKey(token!), out long sessionId) ? "s:" + sessionId : null;

    /// <summary>
    /// The admin behind the token, or null. A session presented from another User-Agent or (per Admin:IpBinding)
    /// another network is revoked and audited: the token was probably stolen. A read (readOnly: a GET) may be answered
    /// from memory within a minute of the last database check, unless the session was revoked since; anything that
    /// acts asks the database.
    /// </summary>
    public async Task<AdminPrincipal?> AuthenticateAsync(string? token, RequestOrigin from, bool readOnly = false)
    {
        if (!Plausible(token)) return null;
        var hash = Tokens.Hash(token!);
        var key = "admin-read:" + Convert.ToHexString(hash);
        var lookupAt = DateTime.UtcNow;
        if (readOnly && seenSessions.Get<CheckedSession>(key) is { } cached && NoticesArrive(since: cached.CheckedAt)
            && cached.Row.ExpiresAt > lookupAt && !revoked.ContainsKey(cached.Row.Id) && BindingHolds(cached.Row, from))
        {
            SessionReads.WithLabels("memory").Inc();
            return Principal(cached.Row);
        }
        SessionReads.WithLabels("database").Inc();
        seenSessions.Remove(key);
        var session = await AdminSessionStore.FindLiveAsync(db, hash, IdleTimeout);
        if (session is null)
        {
            seenSessions.Remove(SeenKey(token!));
            return null;
        }

        if (!BindingHolds(session, from))
        {
            log.LogWarning("Admin session {SessionId} of admin {AdminId} presented from another client; revoked", session.Id, session.AdminId);
            await RevokeAsync(session.AdminId, session.Id, "binding_mismatch",
                AdminAudit.Of(from, "session.revoked", session.AdminId, "admin_session", session.Id.ToString(),
                    new { reason = "binding_mismatch", sessionIp = session.Ip, sessionUserAgent = session.UserAgent }));
            seenSessions.Remove(SeenKey(token!));
            return null;
        }
        SeenValid(token!, session.Id, session.ExpiresAt);
        // Revoked while this lookup ran: the notice came before the entry, so nothing would remove it.
        if (readOnly && NoticesArrive(since: lookupAt) && !revoked.ContainsKey(session.Id))
            seenSessions.Set(key, new CheckedSession(session, lookupAt), ReadRecheck);
        return Principal(session);
    }

    /// <summary>Revocation notices reach this instance now, and have since `since` (no Redis, or Redis up and not down since then).</summary>
    bool NoticesArrive(DateTime since) => backplane is null || (backplane.IsUp && backplane.LastDownAt < since);

    static AdminPrincipal Principal(AdminSessionRow s) => new(s.AdminId, s.Id, s.Username, s.DisplayName, s.CsrfToken, s.ExpiresAt);

    bool BindingHolds(AdminSessionRow session, RequestOrigin from) =>
        string.Equals(session.UserAgent, from.UserAgent ?? "", StringComparison.Ordinal) && SameNetwork(session.Ip, from.Ip);

    /// <summary>The admin's own live sessions, newest first.</summary>
    public Task<IReadOnlyList<AdminSessionRow>> ListLiveAsync(long adminId) => AdminSessionStore.ListLiveAsync(db, adminId, IdleTimeout);
    /// <summary>For long-lived connections: is the session still live? Counts as use (keeps it from idling out).</summary>
    public async Task<bool> IsLiveAsync(long sessionId) => await AdminSessionStore.FindLiveAsync(db, sessionId, IdleTimeout) is not null;

    /// <summary>For every acting frame of a socket: neither revoked, expired nor of a removed admin, as the database says now. Reads only.</summary>
    public async Task<bool> IsUnrevokedAsync(long sessionId)
    {
        await using var c = await db.OpenConnectionAsync();
        return await AdminSessionStore.IsLiveAsync(c, null, sessionId);
    }

    /// <summary>Cancelled when the session is revoked (on any instance, as heard on the bus) or reaches its absolute expiry. Sockets close on it.</summary>
    public CancellationToken SessionEnded(AdminPrincipal admin)
    {
        var signal = endedSignals.GetOrAdd(admin.SessionId, _ =>
        {
            var cts = new CancellationTokenSource();
            var remaining = admin.ExpiresAt - DateTime.UtcNow;
            cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            return cts;
        });
        var token = signal.Token;
        // Revoked between the socket's authentication and now: EndLocally found no signal to cancel.
        if (revoked.ContainsKey(admin.SessionId) && endedSignals.TryRemove(admin.SessionId, out var late)) late.Cancel();
        return token;
    }

    /// <summary>Revokes one session (or all of an admin's when sessionId is null), audits it in the same transaction, and ends their sockets.</summary>
    public async Task<int> RevokeAsync(long adminId, long? sessionId, string reason, AuditEntry audit)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var revoked = await AdminSessionStore.RevokeAsync(c, tx, adminId, sessionId, reason);
        if (revoked.Count > 0) await AuditLog.WriteAsync(c, tx, audit with { Details = audit.Details ?? new { reason, sessions = revoked } });
        await tx.CommitAsync();
        await SignalEndedAsync(revoked);
        return revoked.Count;
    }

    /// <summary>
    /// Ends the sockets of sessions revoked in a transaction that has committed, on every instance; returns once every
    /// instance has been sent the notice, so that a frame the client sends after the revoking request's answer is refused.
    /// </summary>
    public Task SignalEndedAsync(IReadOnlyList<long> sessionIds) =>
        sessionIds.Count > 0 ? bus.PublishAndWaitAsync(new AdminSessionsEndedEvent(sessionIds)) : Task.CompletedTask;

    /// <summary>Cheap, for every frame of a long-lived connection: revoked (as heard so far) or past its absolute expiry.</summary>
    public bool HasEnded(AdminPrincipal admin) => admin.ExpiresAt <= DateTime.UtcNow || revoked.ContainsKey(admin.SessionId);

    void EndLocally(IReadOnlyList<long> sessionIds)
    {
        var now = DateTime.UtcNow;
        foreach (var (id, at) in revoked)
            if (now - at > TimeSpan.FromHours(Options.SessionLifetimeHours)) revoked.TryRemove(id, out _);
        foreach (var id in sessionIds)
        {
            revoked[id] = now;
            if (endedSignals.TryRemove(id, out var cts))
            {
                cts.Cancel();
                cts.Dispose();
            }
        }
    }

    bool SameNetwork(string? sessionIp, string? requestIp)
    {
        if (Options.IpBinding == IpBinding.Off || sessionIp == requestIp) return true;
        if (Options.IpBinding == IpBinding.Exact || sessionIp is null || requestIp is null) return false;
        if (!IPAddress.TryParse(sessionIp, out var a) || !IPAddress.TryParse(requestIp, out var b) || a.AddressFamily != b.AddressFamily) return false;
        var prefixBytes = a.AddressFamily == AddressFamily.InterNetwork ? 3 : 8; // same /24 or /64
        return a.GetAddressBytes().AsSpan(0, prefixBytes).SequenceEqual(b.GetAddressBytes().AsSpan(0, prefixBytes));
    }
}
