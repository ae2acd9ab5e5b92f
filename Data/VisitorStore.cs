using Dapper;
using Npgsql;

namespace SupportChat.Data;

public sealed record VisitorDetails(string? Name, string? Email, string? Locale, string? PageUrl, string? UserAgent);

/// <summary>The visitor behind a token and its (newest) conversation.</summary>
public sealed record VisitorSession(Guid VisitorId, Guid ConversationId, string? Name);

/// <summary>Visitors and their conversation. Tokens arrive here already hashed; this layer never sees one.</summary>
public static class VisitorStore
{
    /// <summary>Creates a visitor and its first conversation in one transaction.</summary>
    public static async Task<VisitorSession> CreateAsync(NpgsqlDataSource db, byte[] tokenHash, VisitorDetails d)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleAsync<VisitorSession>($"""
            WITH v AS (
                INSERT INTO visitors (token_hash, name, email, locale, page_url, user_agent)
                VALUES (@tokenHash, @Name, @Email, @Locale, @PageUrl, @UserAgent)
                RETURNING id, name
            ), conv AS (
                INSERT INTO conversations (visitor_id) SELECT id FROM v RETURNING id
            ), list_changed AS (
                {ConversationStore.ListVersionBump}
            )
            SELECT v.id AS visitor_id, conv.id AS conversation_id, v.name FROM v, conv
            """, new { tokenHash, d.Name, d.Email, d.Locale, d.PageUrl, d.UserAgent });
    }

    // A visitor's session is the visitor and its newest conversation; {0} is the visitors (a table or a CTE) as v.
    const string SessionOf = """

        SELECT v.id AS visitor_id, conv.id AS conversation_id, v.name
        FROM {0} v CROSS JOIN LATERAL (
            SELECT id FROM conversations WHERE visitor_id = v.id ORDER BY created_at DESC LIMIT 1
        ) conv
        """;

    /// <summary>
    /// The visitor with this token hash, unless unused for longer than maxIdle; records the details given
    /// (null keeps what is stored) and marks it seen now.
    /// </summary>
    public static async Task<VisitorSession?> ResumeAsync(NpgsqlDataSource db, byte[] tokenHash, TimeSpan maxIdle, VisitorDetails? d = null)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<VisitorSession>($"""
            WITH v AS (
                UPDATE visitors SET last_seen_at = now(),
                    name = COALESCE(@Name, name), email = COALESCE(@Email, email), locale = COALESCE(@Locale, locale),
                    page_url = COALESCE(@PageUrl, page_url), user_agent = COALESCE(@UserAgent, user_agent)
                WHERE token_hash = @tokenHash AND last_seen_at > now() - @maxIdle
                RETURNING id, name
            ), list_changed AS (
                {ConversationStore.ListVersionBumpWhen("v")}
            )
            """ + string.Format(SessionOf, "v"), new { tokenHash, maxIdle, d?.Name, d?.Email, d?.Locale, d?.PageUrl, d?.UserAgent });
    }

    /// <summary>The visitor with this token hash, unless unused for longer than maxIdle; changes nothing (downloads run it per file).</summary>
    public static async Task<VisitorSession?> FindAsync(NpgsqlDataSource db, byte[] tokenHash, TimeSpan maxIdle)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<VisitorSession>(string.Format(SessionOf, "visitors") + """

            WHERE v.token_hash = @tokenHash AND v.last_seen_at > now() - @maxIdle
            """, new { tokenHash, maxIdle });
    }

    /// <summary>Marks the visitor seen now (when a socket of theirs closes).</summary>
    public static async Task TouchAsync(NpgsqlDataSource db, Guid visitorId)
    {
        await using var c = await db.OpenConnectionAsync();
        await c.ExecuteAsync("UPDATE visitors SET last_seen_at = now() WHERE id = @visitorId", new { visitorId });
    }
}
