using Dapper;
using Npgsql;

namespace SupportChat.Data;

/// <summary>A message that matched a search; Snippet marks each match between SearchStore.MarkStart and MarkStop.</summary>
public sealed record MessageHit(long MessageId, Guid ConversationId, long Seq, SenderKind Sender, DateTime CreatedAt, Guid VisitorId, string? VisitorName, string Snippet);

/// <summary>A visitor whose name or e-mail contains the search text, with their latest conversation.</summary>
public sealed record VisitorHit(Guid ConversationId, DateTime LastActivityAt, Guid VisitorId, string? VisitorName, string? VisitorEmail);

/// <summary>Admin search: full text over messages (newest first, keyset on id) and substrings of visitor names and e-mails.</summary>
public static class SearchStore
{
    /// <summary>Private-use characters: they never occur in what people type (they are removed from bodies before marking).</summary>
    public const string MarkStart = "\uE000", MarkStop = "\uE001";

    static readonly string HeadlineOptions = $"StartSel={MarkStart}, StopSel={MarkStop}, MaxWords=30, MinWords=12, ShortWord=1";

    // ts_headline's parser drops anything shaped like an HTML tag; < and > stand in as private-use characters meanwhile.
    const string Lt = "\uE002", Gt = "\uE003";

    /// <summary>How many of the newest message ids are walked in id order before the GIN index is asked instead.</summary>
    public const int RecentWindow = 10_000;

    const string Searchable = "m.body_tsv @@ websearch_to_tsquery('simple', @q) AND m.deleted_at IS NULL AND m.sender_kind <> 'note'";

    /// <summary>Matches below the recent window the GIN index is asked for at most; more than that and the word is common.</summary>
    public const int RareMatches = 2_000;

    /// <summary>
    /// Messages matching q (websearch_to_tsquery syntax, 'simple' configuration), newest first, ids below beforeId.
    /// Deleted messages and private notes are never returned. Snippets are made only for the page's rows.
    /// </summary>
    /// <remarks>
    /// Bounded steps rather than one plan: the planner cannot tell a rare word from a common one it has no statistics
    /// for, and guesses wrong either way (walking every message for a rare word, or collecting every match of a common
    /// one). So: walk the newest RecentWindow ids below the cursor (enough for any common word in ordinary traffic). When
    /// that does not fill the page, ask the GIN index for at most RareMatches older matches: fewer, and they are all of
    /// them (a rare word). As many, and the word is common but the newest ids did not have it (a burst of other messages):
    /// the older ids are walked newest first in windows sized from the density just seen, each twice the last. Collecting
    /// every older match of a common word instead took 440 ms alone (206,000 matches) and 1.4 s at p95 under writes.
    /// </remarks>
    public static async Task<IReadOnlyList<MessageHit>> MessagesAsync(
        NpgsqlDataSource db, string q, long? beforeId, int limit, int recentWindow = RecentWindow, int rareMatches = RareMatches)
    {
        await using var c = await db.OpenConnectionAsync();
        // Planned for each word, never from a generic plan (statements are auto-prepared): the right plan depends on how
        // common the word is, which a generic plan cannot know. The older-match probe's generic plan walked the whole
        // primary key for a rare word (450 ms instead of 0.1 ms).
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("SET LOCAL plan_cache_mode = force_custom_plan", transaction: tx);
        var upper = beforeId ?? await c.ExecuteScalarAsync<long>("SELECT COALESCE(max(id), 0) + 1 FROM messages", transaction: tx);
        var floor = upper - recentWindow;
        var ids = await WalkAsync(c, tx, q, floor, upper, limit);
        if (ids.Count < limit && floor > 1)
        {
            // MATERIALIZED: without the LIMIT beside it the planner takes the index for what it is, a list of matches.
            var older = (await c.QueryAsync<long>($"""
                WITH older AS MATERIALIZED (SELECT m.id FROM messages m WHERE {Searchable} AND m.id < @floor LIMIT @cap)
                SELECT id FROM older
                """, new { q, floor, cap = rareMatches }, tx)).AsList();
            if (older.Count < rareMatches)
                ids.AddRange(older.OrderDescending().Take(limit - ids.Count));
            else
            {
                var density = (double)older.Count / Math.Max(1, older.Max() - older.Min() + 1);
                var window = (long)Math.Ceiling((limit - ids.Count) / density * 2);
                for (var hi = floor; ids.Count < limit && hi > 1; hi -= window, window *= 2)
                    ids.AddRange(await WalkAsync(c, tx, q, hi - window, hi, limit - ids.Count));
            }
        }
        if (ids.Count == 0) return [];
        return (await c.QueryAsync<MessageHit>("""
            SELECT m.id AS message_id, m.conversation_id, m.seq, m.sender_kind AS sender, m.created_at, v.id AS visitor_id, v.name AS visitor_name,
                   ts_headline('simple', translate(translate(m.body, @reserved, ''), '<>', @angles), websearch_to_tsquery('simple', @q), @options) AS snippet
            FROM messages m
            JOIN conversations c ON c.id = m.conversation_id
            JOIN visitors v ON v.id = c.visitor_id
            WHERE m.id = ANY(@ids)
            ORDER BY m.id DESC
            """, new { q, ids, reserved = MarkStart + MarkStop + Lt + Gt, angles = Lt + Gt, options = HeadlineOptions }, tx))
            .Select(h => h with { Snippet = h.Snippet.Replace(Lt, "<").Replace(Gt, ">") }).ToList();
    }

    /// <summary>Matches with ids in [from, below), newest first: walked along the primary key, at most take.</summary>
    static async Task<List<long>> WalkAsync(NpgsqlConnection c, NpgsqlTransaction tx, string q, long from, long below, int take) =>
        (await c.QueryAsync<long>($"""
            SELECT m.id FROM messages m
            WHERE {Searchable} AND m.id < @below AND m.id >= @from
            ORDER BY m.id DESC LIMIT @take
            """, new { q, below, from, take }, tx)).AsList();

    /// <summary>Visitors whose name or e-mail contains text (case-insensitive; trigram indexes), most recently seen first.</summary>
    public static async Task<IReadOnlyList<VisitorHit>> VisitorsAsync(NpgsqlDataSource db, string text, int limit)
    {
        var pattern = "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
        await using var c = await db.OpenConnectionAsync();
        return (await c.QueryAsync<VisitorHit>("""
            SELECT lc.id AS conversation_id, lc.last_activity_at, v.id AS visitor_id, v.name AS visitor_name, v.email AS visitor_email
            FROM (
                SELECT id, name, email, last_seen_at FROM visitors
                WHERE name ILIKE @pattern OR email ILIKE @pattern
                ORDER BY last_seen_at DESC, id DESC LIMIT @limit
            ) v
            CROSS JOIN LATERAL (
                SELECT c.id, c.last_activity_at FROM conversations c WHERE c.visitor_id = v.id ORDER BY c.last_activity_at DESC LIMIT 1
            ) lc
            ORDER BY v.last_seen_at DESC, v.id DESC
            """, new { pattern, limit })).AsList();
    }
}
