using Dapper;
using Npgsql;

namespace SupportChat.Data;

/// <summary>A label admins put on conversations; Color is "#rrggbb".</summary>
public sealed record Tag(long Id, string Name, string Color);

/// <summary>Tags and which conversations carry them. Writes run in the caller's transaction, so the audit entry commits with them.</summary>
public static class TagStore
{
    /// <summary>PostgreSQL's unique_violation: another tag has this name (names are unique whatever their case).</summary>
    public const string DuplicateName = PostgresErrorCodes.UniqueViolation;

    public static async Task<IReadOnlyList<Tag>> ListAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<Tag>("SELECT id, name, color FROM tags ORDER BY lower(name), id")).AsList();
    }

    /// <summary>The tag, locked against deletion until the caller's transaction ends; null when there is none.</summary>
    public static Task<Tag?> FindForShareAsync(NpgsqlConnection c, NpgsqlTransaction tx, long id) =>
        c.QuerySingleOrDefaultAsync<Tag>("SELECT id, name, color FROM tags WHERE id = @id FOR SHARE", new { id }, tx);

    public static Task<Tag> AddAsync(NpgsqlConnection c, NpgsqlTransaction tx, string name, string color) =>
        c.QuerySingleAsync<Tag>("INSERT INTO tags (name, color) VALUES (@name, @color) RETURNING id, name, color", new { name, color }, tx);

    /// <summary>Renames and/or recolours (null keeps the old value); the tag before and after, or null when there is none.</summary>
    public static async Task<(Tag Before, Tag After)?> UpdateAsync(NpgsqlConnection c, NpgsqlTransaction tx, long id, string? name, string? color)
    {
        var before = await c.QuerySingleOrDefaultAsync<Tag>("SELECT id, name, color FROM tags WHERE id = @id FOR UPDATE", new { id }, tx);
        if (before is null) return null;
        var after = await c.QuerySingleAsync<Tag>("""
            UPDATE tags SET name = COALESCE(@name, name), color = COALESCE(@color, color) WHERE id = @id RETURNING id, name, color
            """, new { id, name, color }, tx);
        return (before, after);
    }

    /// <summary>The deleted tag and how many conversations carried it; null when there was none.</summary>
    public static async Task<(Tag Tag, long Conversations)?> DeleteAsync(NpgsqlConnection c, NpgsqlTransaction tx, long id)
    {
        var carried = await c.ExecuteScalarAsync<long>("SELECT count(*) FROM conversation_tags WHERE tag_id = @id", new { id }, tx);
        var tag = await c.QuerySingleOrDefaultAsync<Tag>("DELETE FROM tags WHERE id = @id RETURNING id, name, color", new { id }, tx);
        return tag is null ? null : (tag, carried);
    }

    /// <summary>Puts the tag on the conversation; false when it was already there.</summary>
    public static async Task<bool> AttachAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid conversationId, long tagId) =>
        await c.ExecuteAsync("""
            INSERT INTO conversation_tags (conversation_id, tag_id) VALUES (@conversationId, @tagId) ON CONFLICT DO NOTHING
            """, new { conversationId, tagId }, tx) == 1;

    /// <summary>Takes the tag off the conversation; false when it was not there.</summary>
    public static async Task<bool> DetachAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid conversationId, long tagId) =>
        await c.ExecuteAsync("DELETE FROM conversation_tags WHERE conversation_id = @conversationId AND tag_id = @tagId",
            new { conversationId, tagId }, tx) == 1;

    /// <summary>A conversation's tags, by name.</summary>
    public static async Task<IReadOnlyList<Tag>> OfConversationAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid conversationId) =>
        (await OfConversationsAsync(c, tx, [conversationId])).GetValueOrDefault(conversationId, []);

    /// <summary>The tags of a page of conversations in one query, by name.</summary>
    public static async Task<Dictionary<Guid, IReadOnlyList<Tag>>> OfConversationsAsync(NpgsqlConnection c, NpgsqlTransaction? tx, IReadOnlyCollection<Guid> ids)
    {
        if (ids.Count == 0) return [];
        var rows = await c.QueryAsync<(Guid ConversationId, long Id, string Name, string Color)>("""
            SELECT ct.conversation_id, t.id, t.name, t.color
            FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id
            WHERE ct.conversation_id = ANY(@ids)
            ORDER BY lower(t.name), t.id
            """, new { ids = ids.ToArray() }, tx);
        return rows.GroupBy(r => r.ConversationId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Tag>)g.Select(r => new Tag(r.Id, r.Name, r.Color)).ToList());
    }
}
