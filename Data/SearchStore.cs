using Dapper;
using Npgsql;

namespace SupportChat.Data;

/// <summary>A message that matched a search; Snippet marks each match between SearchStore.MarkStart and MarkStop.</summary>
public sealed record MessageHit(long MessageId, Guid ConversationId, long Seq, string Sender, DateTime CreatedAt, string? VisitorName, string Snippet);

/// <summary>A visitor whose name or e-mail contains the search text, with their latest conversation.</summary>
public sealed record VisitorHit(Guid ConversationId, DateTime LastActivityAt, string? VisitorName, string? VisitorEmail);

/// <summary>Admin search: full text over messages (newest first, keyset on id) and substrings of visitor names and e-mails.</summary>
public static class SearchStore
{
    /// <summary>Private-use characters: they never occur in what people type (they are removed from bodies before marking).</summary>
    public const string MarkStart = "\uE000", MarkStop = "\uE001";

    static readonly string HeadlineOptions = $"StartSel={MarkStart}, StopSel={MarkStop}, MaxWords=30, MinWords=12, ShortWord=1";

    // ts_headline's parser drops anything shaped like an HTML tag; < and > stand in as private-use characters meanwhile.
    const string Lt = "\uE002", Gt = "\uE003";

    /// <summary>
    /// Messages matching q (websearch_to_tsquery syntax, 'simple' configuration), newest first, ids below beforeId.
    /// Deleted messages and private notes are never returned. Snippets are made only for the page's rows.
    /// </summary>
    public static async Task<IReadOnlyList<MessageHit>> MessagesAsync(NpgsqlDataSource db, string q, long? beforeId, int limit)
    {
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<MessageHit>("""
            WITH query AS (SELECT websearch_to_tsquery('simple', @q) AS tsq),
            page AS (
                SELECT m.id, m.conversation_id, m.seq, m.sender_kind, m.created_at, m.body
                FROM messages m, query
                WHERE m.body_tsv @@ query.tsq AND m.deleted_at IS NULL AND m.sender_kind <> 'note'
                  AND (@beforeId::bigint IS NULL OR m.id < @beforeId)
                ORDER BY m.id DESC LIMIT @limit)
            SELECT p.id AS message_id, p.conversation_id, p.seq, p.sender_kind AS sender, p.created_at, v.name AS visitor_name,
                   ts_headline('simple', translate(translate(p.body, @reserved, ''), '<>', @angles), query.tsq, @options) AS snippet
            FROM page p CROSS JOIN query
            JOIN conversations c ON c.id = p.conversation_id
            JOIN visitors v ON v.id = c.visitor_id
            ORDER BY p.id DESC
            """, new { q, beforeId, limit, reserved = MarkStart + MarkStop + Lt + Gt, angles = Lt + Gt, options = HeadlineOptions }))
            .Select(h => h with { Snippet = h.Snippet.Replace(Lt, "<").Replace(Gt, ">") }).ToList();
    }

    /// <summary>Visitors whose name or e-mail contains text (case-insensitive; trigram indexes), most recently active first.</summary>
    public static async Task<IReadOnlyList<VisitorHit>> VisitorsAsync(NpgsqlDataSource db, string text, int limit)
    {
        var pattern = "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<VisitorHit>("""
            SELECT lc.id AS conversation_id, lc.last_activity_at, v.name AS visitor_name, v.email AS visitor_email
            FROM visitors v
            CROSS JOIN LATERAL (
                SELECT c.id, c.last_activity_at FROM conversations c WHERE c.visitor_id = v.id ORDER BY c.last_activity_at DESC LIMIT 1
            ) lc
            WHERE v.name ILIKE @pattern OR v.email ILIKE @pattern
            ORDER BY lc.last_activity_at DESC, lc.id DESC
            LIMIT @limit
            """, new { pattern, limit })).AsList();
    }
}
