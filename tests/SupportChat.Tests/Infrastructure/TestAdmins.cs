using SupportChat.Conversations;
using Dapper;
using Npgsql;
using SupportChat.Endpoints;

namespace SupportChat.Tests.Infrastructure;

public sealed record TestAdminSession(long AdminId, string Username, string Cookie, string CsrfToken, string UserAgent)
{
    public string CookieHeader => $"{AdminHttp.CookieName}={Cookie}";
}

/// <summary>Admins and logged-in sessions for tests.</summary>
public static class TestAdmins
{
    public const string UserAgent = "SupportChat-Tests/1.0";

    /// <summary>An active admin with a live session, as a login would leave it.</summary>
    public static async Task<TestAdminSession> SignInAsync(string connectionString, string? username = null, string userAgent = UserAgent)
    {
        username ??= "agent_" + Guid.NewGuid().ToString("N")[..8];
        var token = Tokens.Random();
        var csrf = Tokens.Random();
        await using var c = new NpgsqlConnection(connectionString);
        var adminId = await c.ExecuteScalarAsync<long>("""
            INSERT INTO admins (username, display_name, status, enrolled_at) VALUES (@username, @username, 'active', now())
            ON CONFLICT (lower(username)) DO UPDATE SET status = 'active'
            RETURNING id
            """, new { username });
        await c.ExecuteAsync("""
            INSERT INTO admin_sessions (admin_id, token_hash, csrf_token, user_agent, ip, expires_at)
            VALUES (@adminId, @hash, @csrf, @userAgent, NULL, now() + interval '1 hour')
            """, new { adminId, hash = Tokens.Hash(token), csrf, userAgent });
        return new TestAdminSession(adminId, username, token, csrf, userAgent);
    }

    /// <summary>A client that sends the session cookie, its User-Agent, the CSRF token and the app's own Origin.</summary>
    public static HttpClient CreateClient(SupportChatApp app, TestAdminSession session)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("Cookie", session.CookieHeader);
        client.DefaultRequestHeaders.UserAgent.ParseAdd(session.UserAgent);
        client.DefaultRequestHeaders.Add(AdminHttp.CsrfHeader, session.CsrfToken);
        client.DefaultRequestHeaders.Add("Origin", client.BaseAddress!.GetLeftPart(UriPartial.Authority));
        return client;
    }
}
