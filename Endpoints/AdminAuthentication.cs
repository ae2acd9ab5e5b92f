using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Setup;

namespace SupportChat.Endpoints;

/// <summary>The logged-in admin behind a request or socket. Handlers of RequireAdmin endpoints take it as a parameter.</summary>
public sealed record AdminPrincipal(long AdminId, long SessionId, string Username, string DisplayName, string CsrfToken, DateTime ExpiresAt)
{
    internal const string ItemKey = nameof(AdminPrincipal);

    public static ValueTask<AdminPrincipal?> BindAsync(HttpContext http) =>
        ValueTask.FromResult(http.Items[ItemKey] as AdminPrincipal);
}

/// <summary>
/// Admin sessions over HTTP: the opaque cookie, its binding to User-Agent and IP, CSRF and Origin checks,
/// and the signal that closes an admin's sockets when the session ends.
/// </summary>
public sealed class AdminAuthentication
{
    public const string CookieName = "sc_admin";
    public const string CsrfHeader = "X-CSRF-Token";
    readonly ConcurrentDictionary<long, CancellationTokenSource> endedSignals = new();
    // Sessions revoked on any instance, heard of on the bus, with when: a revoked session outlives no lifetime, so older ones go.
    readonly ConcurrentDictionary<long, DateTime> revoked = new();
    readonly NpgsqlDataSource db;
    readonly IOptions<AdminOptions> options;
    readonly IMemoryCache seenSessions;
    readonly IConversationEventBus bus;
    readonly ILogger<AdminAuthentication> log;

    public AdminAuthentication(NpgsqlDataSource db, IOptions<AdminOptions> options, IMemoryCache seenSessions, IConversationEventBus bus, ILogger<AdminAuthentication> log)
    {
        this.db = db;
        this.options = options;
        this.seenSessions = seenSessions;
        this.bus = bus;
        this.log = log;
        bus.Subscribe(e => { if (e is AdminSessionsEndedEvent ended) EndLocally(ended.SessionIds); });
    }

    AdminOptions Options => options.Value;
    TimeSpan IdleTimeout => TimeSpan.FromMinutes(Options.SessionIdleMinutes);

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static string RandomToken() => Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? ClientIp(HttpContext http) => http.Connection.RemoteIpAddress is { } ip
        ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
        : null;

    public static string UserAgent(HttpContext http)
    {
        var ua = http.Request.Headers.UserAgent.ToString();
        return ua.Length > 512 ? ua[..512] : ua;
    }

    /// <summary>The audit fields every admin action records: who, and from where.</summary>
    public static AuditEntry Audit(HttpContext http, string action, long? adminId, string? targetType = null, string? targetId = null, object? details = null) =>
        new(action, adminId, ClientIp(http), UserAgent(http), targetType, targetId, details);

    /// <summary>Creates a session in the caller's transaction and sets its cookie on the response.</summary>
    public async Task<AdminPrincipal> StartSessionAsync(HttpContext http, NpgsqlConnection c, NpgsqlTransaction tx, long adminId, string username, string displayName)
    {
        var token = RandomToken();
        var csrf = RandomToken();
        var expiresAt = DateTime.UtcNow.AddHours(Options.SessionLifetimeHours);
        var id = await AdminSessionStore.CreateAsync(c, tx, adminId, HashToken(token), csrf, UserAgent(http), ClientIp(http), expiresAt);
        http.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps || Options.AlwaysSecureCookies,
            Path = "/",
            Expires = expiresAt,
        });
        SeenValid(token, id, expiresAt);
        return new AdminPrincipal(adminId, id, username, displayName, csrf, expiresAt);
    }

    static string SeenKey(string token) => "admin-session:" + Convert.ToHexString(HashToken(token));

    void SeenValid(string token, long sessionId, DateTime expiresAt) =>
        seenSessions.Set(SeenKey(token), sessionId, new MemoryCacheEntryOptions { AbsoluteExpiration = expiresAt, SlidingExpiration = IdleTimeout });

    /// <summary>
    /// The rate-limit partition of the request's session, when this instance has seen that session valid; otherwise null and the
    /// request is counted by its IP. Known without a database lookup, so made-up cookies buy no budget of their own.
    /// </summary>
    public string? KnownSessionKey(HttpContext http) =>
        http.Request.Cookies[CookieName] is { Length: > 0 and <= 100 } token && seenSessions.TryGetValue(SeenKey(token), out long sessionId)
            ? "s:" + sessionId
            : null;

    public void ClearCookie(HttpContext http) => http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/" });

    /// <summary>
    /// The admin behind the request's session cookie, or null. A session presented from another User-Agent or
    /// (per Admin:IpBinding) another network is revoked and audited: the cookie was probably stolen.
    /// </summary>
    public async Task<AdminPrincipal?> AuthenticateAsync(HttpContext http)
    {
        if (http.Items[AdminPrincipal.ItemKey] is AdminPrincipal known) return known;
        var token = http.Request.Cookies[CookieName];
        if (string.IsNullOrEmpty(token) || token.Length > 100) return null;
        var session = await AdminSessionStore.FindLiveAsync(db, HashToken(token), IdleTimeout);
        if (session is null)
        {
            seenSessions.Remove(SeenKey(token));
            return null;
        }

        if (!string.Equals(session.UserAgent, UserAgent(http), StringComparison.Ordinal) || !SameNetwork(session.Ip, ClientIp(http)))
        {
            log.LogWarning("Admin session {SessionId} of admin {AdminId} presented from another client; revoked", session.Id, session.AdminId);
            await RevokeAsync(session.AdminId, session.Id, "binding_mismatch",
                Audit(http, "session.revoked", session.AdminId, "admin_session", session.Id.ToString(),
                    new { reason = "binding_mismatch", sessionIp = session.Ip, sessionUserAgent = session.UserAgent }));
            seenSessions.Remove(SeenKey(token));
            return null;
        }
        SeenValid(token, session.Id, session.ExpiresAt);
        var principal = new AdminPrincipal(session.AdminId, session.Id, session.Username, session.DisplayName, session.CsrfToken, session.ExpiresAt);
        http.Items[AdminPrincipal.ItemKey] = principal;
        return principal;
    }

    /// <summary>For long-lived connections: is the session still live? Counts as use (keeps it from idling out).</summary>
    public async Task<bool> IsLiveAsync(long sessionId) => await AdminSessionStore.FindLiveAsync(db, sessionId, IdleTimeout) is not null;

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

    /// <summary>True when the request's Origin header is this service's own origin (or Server:PublicUrl's).</summary>
    public static bool IsSameOrigin(HttpContext http, string publicBaseUrl)
    {
        var origin = WidgetOptions.NormalizeOrigin(http.Request.Headers.Origin.ToString());
        if (origin is null) return false;
        var own = WidgetOptions.NormalizeOrigin($"{http.Request.Scheme}://{http.Request.Host}");
        return origin == own || origin == WidgetOptions.NormalizeOrigin(publicBaseUrl);
    }

    public static bool CsrfMatches(HttpContext http, AdminPrincipal admin) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(http.Request.Headers[CsrfHeader].ToString()),
            Encoding.UTF8.GetBytes(admin.CsrfToken));
}

public static class AdminAuthenticationMiddleware
{
    public sealed class RequiresAdmin;

    /// <summary>
    /// Every endpoint here needs a live admin session; state-changing requests also need the session's CSRF token
    /// in X-CSRF-Token and this service's own Origin. Checked by UseAdminAuthentication before parameters are bound.
    /// </summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresAdmin());

    public static void UseAdminAuthentication(this WebApplication app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<RequiresAdmin>() is null)
        {
            await next(http);
            return;
        }
        var error = await CheckAsync(http);
        if (error is null) await next(http);
        else await error.ExecuteAsync(http);
    });

    static async Task<IResult?> CheckAsync(HttpContext http)
    {
        var changesState = !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method));
        var baseUrl = http.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value.BaseUrl;
        if (changesState && !AdminAuthentication.IsSameOrigin(http, baseUrl))
            return ApiError.Forbidden("Admin requests must come from the admin console's own origin.");
        var admin = await http.RequestServices.GetRequiredService<AdminAuthentication>().AuthenticateAsync(http);
        if (admin is null) return ApiError.Unauthorized();
        if (changesState && !AdminAuthentication.CsrfMatches(http, admin))
            return ApiError.Forbidden("Missing or wrong CSRF token.");
        return null;
    }
}
