using Dapper;
using Npgsql;

namespace SupportChat.Data;

public sealed record CannedReply(long Id, string Shortcut, string Title, string Body, long? CreatedBy, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Canned replies. Writes run in the caller's transaction, so the audit entry commits with them.</summary>
public static class CannedReplyStore
{
    /// <summary>PostgreSQL's unique_violation: another canned reply has this shortcut.</summary>
    public const string DuplicateShortcut = PostgresErrorCodes.UniqueViolation;

    public static async Task<IReadOnlyList<CannedReply>> ListAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<CannedReply>("""
            SELECT id, shortcut, title, body, created_by, created_at, updated_at FROM canned_replies ORDER BY shortcut
            """)).AsList();
    }

    public static Task<CannedReply> AddAsync(NpgsqlConnection c, NpgsqlTransaction tx, string shortcut, string title, string body, long adminId) =>
        c.QuerySingleAsync<CannedReply>("""
            INSERT INTO canned_replies (shortcut, title, body, created_by) VALUES (@shortcut, @title, @body, @adminId)
            RETURNING id, shortcut, title, body, created_by, created_at, updated_at
            """, new { shortcut, title, body, adminId }, tx);

    /// <summary>Null when there is no such canned reply.</summary>
    public static Task<CannedReply?> UpdateAsync(NpgsqlConnection c, NpgsqlTransaction tx, long id, string shortcut, string title, string body) =>
        c.QuerySingleOrDefaultAsync<CannedReply>("""
            UPDATE canned_replies SET shortcut = @shortcut, title = @title, body = @body, updated_at = now() WHERE id = @id
            RETURNING id, shortcut, title, body, created_by, created_at, updated_at
            """, new { id, shortcut, title, body }, tx);

    /// <summary>The deleted reply's shortcut; null when there was none.</summary>
    public static Task<string?> DeleteAsync(NpgsqlConnection c, NpgsqlTransaction tx, long id) =>
        c.QuerySingleOrDefaultAsync<string?>("DELETE FROM canned_replies WHERE id = @id RETURNING shortcut", new { id }, tx);
}
