using System.Text.Json;
using Dapper;
using Npgsql;

namespace SupportChat.Data;

/// <summary>
/// A stored message as clients see it. Sender is "visitor", "admin" or "note" (admins only); SenderName is the admin's display name.
/// The Attachment* columns describe the file the message carries, if any (flat, so that Dapper maps them).
/// </summary>
public sealed record MessageRow(
    long Id, Guid ConversationId, long Seq, SenderKind Sender, long? AdminId, string? SenderName, string Body, string? ClientMsgId, DateTime CreatedAt,
    Guid? AttachmentId = null, string? AttachmentName = null, string? AttachmentType = null, long? AttachmentSize = null, bool AttachmentHasThumbnail = false);

public sealed record MessagePage(IReadOnlyList<MessageRow> Messages, bool HasMore);

public sealed record ConversationState(Guid Id, Guid VisitorId, ConversationStatus Status, long LastSeq, long VisitorReadSeq, long AdminReadSeq);

public sealed record StatusChange(Guid ConversationId, ConversationStatus Previous, ConversationStatus Status, bool Changed, Guid VisitorId, string? VisitorName);

public sealed record ConversationSummary(
    Guid Id, ConversationStatus Status, DateTime CreatedAt, DateTime LastActivityAt, long LastSeq, long VisitorReadSeq, long AdminReadSeq,
    Guid VisitorId, string? VisitorName, string? VisitorEmail, string? PageUrl, DateTime VisitorLastSeenAt,
    string? LastMessagePreview, SenderKind? LastMessageSender, DateTime? LastMessageAt, long UnreadCount,
    string? VisitorUserAgent, DateTime VisitorFirstSeenAt, long? AssignedAdminId, string? AssignedAdminName)
{
    /// <summary>Read in the list's statement, as a JSON column (Dapper maps the record's constructor from the other columns).</summary>
    public IReadOnlyList<Tag> Tags { get; init; } = [];
}

/// <summary>
/// Which conversations a list shows; every filter is optional and they combine. Unassigned and AssigneeId exclude each
/// other; Unread means visitor messages the admins have not read.
/// </summary>
public sealed record ConversationFilter(ConversationStatus? Status = null, long? AssigneeId = null, bool Unassigned = false, long? TagId = null, bool Unread = false)
{
    /// <summary>A stable text of the filter for cache keys.</summary>
    public string Key => $"{Status?.Wire() ?? "any"}:{(Unassigned ? "none" : AssigneeId?.ToString() ?? "any")}:{TagId?.ToString() ?? "any"}:{(Unread ? "unread" : "all")}";
}

public sealed record AssignmentChange(Guid ConversationId, long? Previous, long? AdminId, bool Changed);

/// <summary>Reads of conversations and messages, and read receipts. Messages are written by ConversationWriter.</summary>
public static class ConversationStore
{
    const string SelectMessage = """
        SELECT m.id, m.conversation_id, m.seq, m.sender_kind AS sender, m.admin_id, a.display_name AS sender_name,
               m.body, m.client_msg_id, m.created_at,
               f.id AS attachment_id, f.file_name AS attachment_name, f.content_type AS attachment_type, f.size_bytes AS attachment_size,
               f.thumbnail_type IS NOT NULL AS attachment_has_thumbnail
        FROM messages m LEFT JOIN admins a ON a.id = m.admin_id LEFT JOIN attachments f ON f.message_id = m.id
        """;

    public static async Task<ConversationState?> FindAsync(NpgsqlDataSource db, Guid conversationId)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<ConversationState>("""
            SELECT id, visitor_id, status, last_seq, visitor_read_seq, admin_read_seq FROM conversations WHERE id = @conversationId
            """, new { conversationId });
    }

    /// <summary>Up to limit messages with seq above afterSeq, oldest first; notes only when includeNotes (admins).</summary>
    public static async Task<IReadOnlyList<MessageRow>> AfterAsync(NpgsqlDataSource db, Guid conversationId, long afterSeq, int limit, bool includeNotes)
    {
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<MessageRow>(SelectMessage + $"""

            WHERE m.conversation_id = @conversationId AND m.seq > @afterSeq AND m.deleted_at IS NULL
              {(includeNotes ? "" : "AND m.sender_kind <> 'note'")}
            ORDER BY m.seq LIMIT @limit
            """, new { conversationId, afterSeq, limit })).AsList();
    }

    /// <summary>
    /// Up to limit messages below beforeSeq (the newest when null), returned oldest first; HasMore when older ones exist.
    /// Notes only when includeNotes (admins). Null when there is no such conversation: both asked in one round trip.
    /// </summary>
    public static async Task<MessagePage?> BeforeAsync(NpgsqlDataSource db, Guid conversationId, long? beforeSeq, int limit, bool includeNotes)
    {
        await using var c = await db.OpenConnectionAsync();
        // Each shape is its own prepared statement: "@before IS NULL OR" would keep a generic plan from starting at beforeSeq.
        await using var results = await c.QueryMultipleAsync($"""
            SELECT EXISTS (SELECT 1 FROM conversations WHERE id = @conversationId);
            {SelectMessage}
            WHERE m.conversation_id = @conversationId{(beforeSeq is null ? "" : " AND m.seq < @beforeSeq")} AND m.deleted_at IS NULL
              {(includeNotes ? "" : "AND m.sender_kind <> 'note'")}
            ORDER BY m.seq DESC LIMIT @take
            """, new { conversationId, beforeSeq, take = limit + 1 });
        if (!await results.ReadSingleAsync<bool>()) return null;
        var rows = (await results.ReadAsync<MessageRow>()).AsList();
        var hasMore = rows.Count > limit;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        rows.Reverse();
        return new MessagePage(rows, hasMore);
    }

    /// <summary>The message a sender stored under this client id, if any.</summary>
    public static async Task<MessageRow?> FindByClientIdAsync(NpgsqlDataSource db, Guid conversationId, SenderKind sender, long? adminId, string clientMsgId)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<MessageRow>(SelectMessage + """

            WHERE m.conversation_id = @conversationId AND m.sender_kind = @sender
              AND COALESCE(m.admin_id, 0) = COALESCE(@adminId::bigint, 0) AND m.client_msg_id = @clientMsgId
            """, new { conversationId, sender = sender.Wire(), adminId, clientMsgId });
    }

    /// <summary>
    /// Moves one side's read mark up to seq (never down, never past the last message). Returns the new mark when it
    /// moved, 0 when it did not, null when the conversation does not exist.
    /// </summary>
    public static async Task<long?> MarkReadAsync(NpgsqlDataSource db, Guid conversationId, bool byVisitor, long seq)
    {
        await using var c = await db.OpenConnectionAsync();
        // Two statements rather than a column name from input: which column is chosen here, never by the caller.
        var sql = byVisitor
            ? $"""
              WITH conv AS (SELECT 1 FROM conversations WHERE id = @conversationId),
              upd AS (
                  UPDATE conversations SET visitor_read_seq = LEAST(@seq, last_seq)
                  WHERE id = @conversationId AND visitor_read_seq < LEAST(@seq, last_seq)
                  RETURNING visitor_read_seq AS mark),
              list_changed AS ({ListVersionBumpWhen("upd")})
              SELECT COALESCE((SELECT mark FROM upd), 0) FROM conv
              """
            : $"""
              WITH conv AS (SELECT 1 FROM conversations WHERE id = @conversationId),
              upd AS (
                  UPDATE conversations SET admin_read_seq = LEAST(@seq, last_seq)
                  WHERE id = @conversationId AND admin_read_seq < LEAST(@seq, last_seq)
                  RETURNING admin_read_seq AS mark),
              list_changed AS ({ListVersionBumpWhen("upd")})
              SELECT COALESCE((SELECT mark FROM upd), 0) FROM conv
              """;
        return await c.QuerySingleOrDefaultAsync<long?>(sql, new { conversationId, seq });
    }

    /// <summary>
    /// Sets the status in the caller's transaction; null when there is no such conversation. Changed is false when it
    /// already had that status (nothing is written then).
    /// </summary>
    public static Task<StatusChange?> SetStatusAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid conversationId, ConversationStatus status) =>
        c.QuerySingleOrDefaultAsync<StatusChange>($"""
            WITH old AS (
                SELECT c.id, c.status, v.id AS visitor_id, v.name FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = @conversationId FOR UPDATE OF c
            ), upd AS (
                UPDATE conversations SET status = @status, closed_at = CASE WHEN @status = 'closed' THEN now() END
                WHERE id = @conversationId AND status <> @status
                RETURNING id
            ), list_changed AS (
                {ListVersionBumpWhen("upd")}
            )
            SELECT old.id AS conversation_id, old.status AS previous, @status AS status, EXISTS (SELECT 1 FROM upd) AS changed, old.visitor_id, old.name AS visitor_name
            FROM old
            """, new { conversationId, status = status.Wire() }, tx);

    /// <summary>The version of the conversation lists: it moves in the transaction of every change that affects them.</summary>
    public static async Task<long> ListVersionAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<long>("SELECT version FROM conversation_list_version WHERE id = 1");
    }

    /// <summary>One conversation as the list shows it (a search result opens conversations that are not on the list's pages).</summary>
    public static async Task<ConversationSummary?> SummaryAsync(NpgsqlDataSource db, Guid conversationId) =>
        (await ListAsync(db, new ConversationFilter(), null, null, 1, conversationId)).SingleOrDefault();

    /// <summary>
    /// The admin's conversation list, newest activity first, keyset-paged on (last_activity_at, id):
    /// pass the last row's values to get the next page. One statement with the page's tags.
    /// </summary>
    public static async Task<IReadOnlyList<ConversationSummary>> ListAsync(
        NpgsqlDataSource db, ConversationFilter filter, DateTime? afterActivity, Guid? afterId, int limit, Guid? conversationId = null)
    {
        await using var c = await db.OpenConnectionAsync();
        // Only the conditions this filter has: each combination is its own (auto-prepared) statement, whose generic plan
        // walks the keyset index; "(@x IS NULL OR ...)" would leave the index unusable for the cursor (0.2 -> 5.6 ms a page).
        var where = new List<string>();
        if (filter.Status is not null) where.Add("c.status = @status");
        if (conversationId is not null) where.Add("c.id = @conversationId");
        if (afterActivity is not null) where.Add("(c.last_activity_at, c.id) < (@afterActivity, @afterId)");
        if (filter.AssigneeId is not null) where.Add("c.assigned_admin_id = @assigneeId");
        if (filter.Unassigned) where.Add("c.assigned_admin_id IS NULL");
        if (filter.TagId is not null) where.Add("EXISTS (SELECT 1 FROM conversation_tags ct WHERE ct.conversation_id = c.id AND ct.tag_id = @tagId)");
        // Unread asks "is there one" (stops at the first) and first compares seqs on the row, so read conversations cost nothing.
        if (filter.Unread) where.Add("""
            c.last_seq > c.admin_read_seq AND EXISTS (
                SELECT 1 FROM messages u
                WHERE u.conversation_id = c.id AND u.seq > c.admin_read_seq AND u.sender_kind = 'visitor' AND u.deleted_at IS NULL)
            """);
        var sql = """
            SELECT c.id, c.status, c.created_at, c.last_activity_at, c.last_seq, c.visitor_read_seq, c.admin_read_seq,
                   v.id AS visitor_id, v.name AS visitor_name, v.email AS visitor_email, v.page_url, v.last_seen_at AS visitor_last_seen_at,
                   lm.preview AS last_message_preview, lm.sender_kind AS last_message_sender, lm.created_at AS last_message_at,
                   (SELECT count(*) FROM messages u
                    WHERE u.conversation_id = c.id AND u.seq > c.admin_read_seq AND u.sender_kind = 'visitor' AND u.deleted_at IS NULL) AS unread_count,
                   v.user_agent AS visitor_user_agent, v.first_seen_at AS visitor_first_seen_at,
                   c.assigned_admin_id, aa.display_name AS assigned_admin_name,
                   (SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'color', t.color) ORDER BY lower(t.name), t.id)
                    FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.conversation_id = c.id)::text AS tags
            FROM conversations c
            JOIN visitors v ON v.id = c.visitor_id
            LEFT JOIN admins aa ON aa.id = c.assigned_admin_id
            LEFT JOIN LATERAL (
                SELECT left(m.body, 140) AS preview, m.sender_kind, m.created_at FROM messages m
                WHERE m.conversation_id = c.id AND m.deleted_at IS NULL ORDER BY m.seq DESC LIMIT 1
            ) lm ON true
            """ + (where.Count > 0 ? "\nWHERE " + string.Join("\n  AND ", where) : "") + """

            ORDER BY c.last_activity_at DESC, c.id DESC
            LIMIT @limit
            """;
        var args = new
        {
            status = filter.Status?.Wire(), afterActivity, afterId, limit, conversationId, assigneeId = filter.AssigneeId, tagId = filter.TagId,
        };
        return (await c.QueryAsync<ConversationSummary, TagsColumn, ConversationSummary>(sql,
            // Dapper hands a null TagsColumn when its one column is null (no tags).
            (row, tags) => tags?.Tags is null ? row : row with { Tags = JsonSerializer.Deserialize<List<Tag>>(tags.Tags, JsonSerializerOptions.Web)! },
            args, splitOn: "tags")).AsList();
    }

    /// <summary>The list's last column: the conversation's tags as a JSON array, null when it has none.</summary>
    sealed record TagsColumn(string? Tags);

    /// <summary>
    /// Assigns the conversation (adminId null: to nobody) in the caller's transaction; null when there is no such
    /// conversation. Changed is false when it already was (nothing is written then).
    /// </summary>
    public static Task<AssignmentChange?> AssignAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid conversationId, long? adminId) =>
        c.QuerySingleOrDefaultAsync<AssignmentChange>($"""
            WITH old AS (
                SELECT id, assigned_admin_id FROM conversations WHERE id = @conversationId FOR UPDATE
            ), upd AS (
                UPDATE conversations SET assigned_admin_id = @adminId
                WHERE id = @conversationId AND assigned_admin_id IS DISTINCT FROM @adminId::bigint
                RETURNING id
            ), list_changed AS (
                {ListVersionBumpWhen("upd")}
            )
            SELECT old.id AS conversation_id, old.assigned_admin_id AS previous, @adminId::bigint AS admin_id, EXISTS (SELECT 1 FROM upd) AS changed
            FROM old
            """, new { conversationId, adminId }, tx);

    /// <summary>Takes every conversation off an admin (who is being removed); returns the conversations changed.</summary>
    public static async Task<IReadOnlyList<Guid>> UnassignAllAsync(NpgsqlConnection c, NpgsqlTransaction tx, long adminId) =>
        (await c.QueryAsync<Guid>("UPDATE conversations SET assigned_admin_id = NULL WHERE assigned_admin_id = @adminId RETURNING id",
            new { adminId }, tx)).AsList();

    /// <summary>
    /// The one statement that moves the list version (cached list pages of an older version are not served again). Every
    /// change the lists show runs it in its own transaction, most of them as a CTE beside the change itself.
    /// </summary>
    public const string ListVersionBump = "UPDATE conversation_list_version SET version = version + 1 WHERE id = 1";

    /// <summary>The bump as a CTE statement that runs only when the CTE named cte (a constant of the caller's SQL) returned rows.</summary>
    public static string ListVersionBumpWhen(string cte) => $"{ListVersionBump} AND EXISTS (SELECT 1 FROM {cte})";

    /// <summary>Moves the list version in the caller's transaction, for a change the lists show that has no statement of its own here.</summary>
    public static Task BumpListVersionAsync(NpgsqlConnection c, NpgsqlTransaction tx) => c.ExecuteAsync(ListVersionBump, transaction: tx);

    /// <summary>Whether the conversation exists, locked against deletion until the caller's transaction ends.</summary>
    public static async Task<bool> ExistsForShareAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid conversationId) =>
        await c.QuerySingleOrDefaultAsync<int?>("SELECT 1 FROM conversations WHERE id = @conversationId FOR SHARE", new { conversationId }, tx) is not null;
}
