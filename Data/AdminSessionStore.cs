using Dapper;
using Npgsql;

namespace SupportChat.Data;

public sealed record AdminSessionRow(
    long Id, long AdminId, string Username, string DisplayName, string CsrfToken, string UserAgent, string? Ip,
    DateTime CreatedAt, DateTime LastSeenAt, DateTime ExpiresAt, DateTime? RevokedAt);

/// <summary>Admin login sessions. Tokens arrive here already hashed; this layer never sees a cookie.</summary>
public static class AdminSessionStore
{
    public static Task<long> CreateAsync(NpgsqlConnection c, NpgsqlTransaction? tx, long adminId, byte[] tokenHash, string csrfToken,
        string userAgent, string? ip, DateTime expiresAt) =>
        c.ExecuteScalarAsync<long>("""
            INSERT INTO admin_sessions (admin_id, token_hash, csrf_token, user_agent, ip, expires_at)
            VALUES (@adminId, @tokenHash, @csrfToken, @userAgent, @ip::inet, @expiresAt)
            RETURNING id
            """, new { adminId, tokenHash, csrfToken, userAgent, ip, expiresAt }, tx);

    // Ends with a space: a WHERE clause follows.
    const string SelectSession = """
        SELECT s.id, s.admin_id, a.username, a.display_name, s.csrf_token, s.user_agent, host(s.ip) AS ip,
               s.created_at, s.last_seen_at, s.expires_at, s.revoked_at
        FROM admin_sessions s JOIN admins a ON a.id = s.admin_id
        """ + " ";

    // A live session: neither revoked, expired, idle too long, nor of a removed admin. Finding it marks it used, at most
    // once a minute, in the same round trip: this runs on every admin request.
    const string FindLiveAndTouch = "WITH found AS (" + SelectSession + """
            WHERE {0} AND s.revoked_at IS NULL AND s.expires_at > now()
              AND s.last_seen_at > now() - @idleTimeout AND a.status = 'active'
        ), touched AS (
            UPDATE admin_sessions SET last_seen_at = now()
            WHERE id = (SELECT id FROM found) AND last_seen_at < now() - interval '1 minute'
        )
        SELECT * FROM found
        """;

    public static async Task<AdminSessionRow?> FindLiveAsync(NpgsqlDataSource db, byte[] tokenHash, TimeSpan idleTimeout)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<AdminSessionRow>(string.Format(FindLiveAndTouch, "s.token_hash = @tokenHash"), new { tokenHash, idleTimeout });
    }

    public static async Task<AdminSessionRow?> FindLiveAsync(NpgsqlDataSource db, long sessionId, TimeSpan idleTimeout)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<AdminSessionRow>(string.Format(FindLiveAndTouch, "s.id = @sessionId"), new { sessionId, idleTimeout });
    }

    public static async Task<IReadOnlyList<AdminSessionRow>> ListLiveAsync(NpgsqlDataSource db, long adminId, TimeSpan idleTimeout)
    {
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<AdminSessionRow>(SelectSession + """
            WHERE s.admin_id = @adminId AND s.revoked_at IS NULL AND s.expires_at > now() AND s.last_seen_at > now() - @idleTimeout
            ORDER BY s.last_seen_at DESC
            """, new { adminId, idleTimeout })).ToList();
    }

    /// <summary>Whether the admin named username started a session from ip (a login or enrollment that succeeded) within the given time.</summary>
    public static Task<bool> HasLoggedInFromAsync(NpgsqlConnection c, NpgsqlTransaction tx, string username, string ip, TimeSpan within) =>
        c.ExecuteScalarAsync<bool>("""
            SELECT EXISTS (
                SELECT 1 FROM admin_sessions s JOIN admins a ON a.id = s.admin_id
                WHERE lower(a.username) = @username AND s.ip = @ip::inet AND s.created_at > now() - @within)
            """, new { username, ip, within }, tx);

    /// <summary>Is the session still unrevoked, unexpired and of an active admin? Reads only: it does not count as use.</summary>
    public static Task<bool> IsLiveAsync(NpgsqlConnection c, NpgsqlTransaction? tx, long sessionId) =>
        c.ExecuteScalarAsync<bool>("""
            SELECT EXISTS (SELECT 1 FROM admin_sessions s JOIN admins a ON a.id = s.admin_id
                           WHERE s.id = @sessionId AND s.revoked_at IS NULL AND s.expires_at > now() AND a.status = 'active')
            """, new { sessionId }, tx);

    /// <summary>Revokes the given live sessions of an admin (all of them when sessionId is null); returns the ids revoked.</summary>
    public static async Task<IReadOnlyList<long>> RevokeAsync(NpgsqlConnection c, NpgsqlTransaction? tx, long adminId, long? sessionId, string reason) =>
        (await c.QueryAsync<long>("""
            UPDATE admin_sessions SET revoked_at = now(), revoked_reason = @reason
            WHERE admin_id = @adminId AND (@sessionId::bigint IS NULL OR id = @sessionId) AND revoked_at IS NULL
            RETURNING id
            """, new { adminId, sessionId, reason }, tx)).ToList();
}
