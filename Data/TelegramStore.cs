using Dapper;
using Npgsql;

namespace SupportChat.Data;

/// <summary>A message for Telegram: to a chat, maybe about a conversation (a notification), maybe answering a message.</summary>
public sealed record TelegramOutgoing(long ChatId, Guid? ConversationId, string Text, long? ReplyToMessageId = null);

/// <summary>A claimed outbox row.</summary>
public sealed record TelegramOutboxRow(long Id, long ChatId, Guid? ConversationId, string Text, long? ReplyToMessageId, int Attempts, int Timeouts);

/// <summary>What a notification needs to know about the visitor message that caused it.</summary>
public sealed record VisitorMessageContext(long MessageId, Guid VisitorId, string? VisitorName, string? PageUrl, bool FirstFromVisitor);

public sealed record TelegramAdmin(long Id, string DisplayName);

/// <summary>The Telegram outbox, the notification-to-conversation map, handled update ids and link codes.</summary>
public static class TelegramStore
{
    /// <summary>Adds rows to the outbox on the caller's transaction, so they commit with what caused them.</summary>
    public static Task AddToOutboxAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<TelegramOutgoing> rows) =>
        rows.Count == 0 ? Task.CompletedTask : c.ExecuteAsync("""
            INSERT INTO telegram_outbox (chat_id, conversation_id, text, reply_to_message_id)
            SELECT * FROM unnest(@chats::bigint[], @conversations::uuid[], @texts::text[], @replyTo::bigint[])
            """, new
        {
            chats = rows.Select(r => r.ChatId).ToArray(),
            conversations = rows.Select(r => r.ConversationId).ToArray(),
            texts = rows.Select(r => r.Text).ToArray(),
            replyTo = rows.Select(r => r.ReplyToMessageId).ToArray(),
        }, tx);

    /// <summary>Who sent these visitor messages, from which page, and whether each is its visitor's first in the conversation.</summary>
    public static async Task<IReadOnlyList<VisitorMessageContext>> VisitorMessageContextAsync(NpgsqlConnection c, NpgsqlTransaction tx, long[] messageIds) =>
        (await c.QueryAsync<VisitorMessageContext>("""
            SELECT m.id AS message_id, v.id AS visitor_id, v.name AS visitor_name, v.page_url,
                   NOT EXISTS (SELECT 1 FROM messages p
                               WHERE p.conversation_id = m.conversation_id AND p.sender_kind = 'visitor' AND p.seq < m.seq) AS first_from_visitor
            FROM messages m JOIN conversations cv ON cv.id = m.conversation_id JOIN visitors v ON v.id = cv.visitor_id
            WHERE m.id = ANY(@messageIds)
            """, new { messageIds }, tx)).AsList();

    // Only the oldest pending row of each chat may go (so a chat gets its messages in order, and a row that waits
    // holds back the rest of its chat); of those, the oldest due one that no other instance holds. The lock lasts
    // while it is sent, so each row goes out once across instances.
    const string PendingHeads = """
        FROM telegram_outbox o
        WHERE o.sent_at IS NULL AND o.failed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM telegram_outbox e
                          WHERE e.chat_id = o.chat_id AND e.id < o.id AND e.sent_at IS NULL AND e.failed_at IS NULL)
        """;

    public static Task<TelegramOutboxRow?> ClaimNextAsync(NpgsqlConnection c, NpgsqlTransaction tx) =>
        c.QuerySingleOrDefaultAsync<TelegramOutboxRow>($"""
            SELECT o.id, o.chat_id, o.conversation_id, o.text, o.reply_to_message_id, o.attempts, o.timeouts
            {PendingHeads}
              AND o.next_attempt_at <= now()
            ORDER BY o.id LIMIT 1
            FOR UPDATE OF o SKIP LOCKED
            """, transaction: tx);

    /// <summary>Marks the row sent and, for a notification, remembers which conversation the Telegram message is about.</summary>
    public static async Task MarkSentAsync(NpgsqlConnection c, NpgsqlTransaction tx, TelegramOutboxRow row, long telegramMessageId)
    {
        await c.ExecuteAsync("""
            UPDATE telegram_outbox SET sent_at = now(), attempts = attempts + 1, telegram_message_id = @telegramMessageId, last_error = NULL
            WHERE id = @Id
            """, new { row.Id, telegramMessageId }, tx);
        if (row.ConversationId is { } conversationId)
            await c.ExecuteAsync("""
                INSERT INTO telegram_notifications (chat_id, message_id, conversation_id) VALUES (@ChatId, @telegramMessageId, @conversationId)
                ON CONFLICT (chat_id, message_id) DO UPDATE SET conversation_id = EXCLUDED.conversation_id, created_at = now()
                """, new { row.ChatId, telegramMessageId, conversationId }, tx);
    }

    /// <summary>
    /// A failed attempt: the row, and with it the rest of its chat, waits `delay` (Telegram's retry_after or a backoff).
    /// timedOut: Telegram did not answer in time, so it may have delivered the message.
    /// </summary>
    public static Task PostponeAsync(NpgsqlConnection c, NpgsqlTransaction tx, TelegramOutboxRow row, TimeSpan delay, string error, bool timedOut = false) =>
        c.ExecuteAsync("""
            UPDATE telegram_outbox SET attempts = attempts + 1, timeouts = timeouts + @timeout, last_error = @error, next_attempt_at = now() + @delay
            WHERE id = @Id
            """, new { row.Id, error, delay, timeout = timedOut ? 1 : 0 }, tx);

    public static Task MarkFailedAsync(NpgsqlConnection c, NpgsqlTransaction tx, TelegramOutboxRow row, string error, bool timedOut = false) =>
        c.ExecuteAsync("""
            UPDATE telegram_outbox SET failed_at = now(), attempts = attempts + 1, timeouts = timeouts + @timeout, last_error = @error WHERE id = @Id
            """, new { row.Id, error, timeout = timedOut ? 1 : 0 }, tx);

    /// <summary>How long until the next pending row is due (zero if one is due now), or null when none is pending.</summary>
    public static async Task<TimeSpan?> NextDueInAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<TimeSpan?>($"""
            SELECT GREATEST(min(o.next_attempt_at) - now(), interval '0')
            {PendingHeads}
            """);
    }

    /// <summary>How many rows wait to be sent, and how long the oldest has waited (0 when none does).</summary>
    public static async Task<(long Depth, double OldestAgeSeconds)> BacklogAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleAsync<(long, double)>("""
            SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
            FROM telegram_outbox WHERE sent_at IS NULL AND failed_at IS NULL
            """);
    }

    public static async Task<Guid?> ConversationOfNotificationAsync(NpgsqlDataSource db, long chatId, long messageId)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<Guid?>(
            "SELECT conversation_id FROM telegram_notifications WHERE chat_id = @chatId AND message_id = @messageId", new { chatId, messageId });
    }

    public static async Task<bool> IsUpdateHandledAsync(NpgsqlDataSource db, long updateId)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM telegram_updates WHERE update_id = @updateId)", new { updateId });
    }

    /// <summary>Records the update as handled on the caller's transaction; false when it already was (by a retry or another instance).</summary>
    public static async Task<bool> ClaimUpdateAsync(NpgsqlConnection c, NpgsqlTransaction tx, long updateId) =>
        await c.ExecuteAsync("INSERT INTO telegram_updates (update_id) VALUES (@updateId) ON CONFLICT DO NOTHING", new { updateId }, tx) == 1;

    /// <summary>The offset for getUpdates: one past the newest handled update, or null at the very first poll.</summary>
    public static async Task<int?> NextUpdateOffsetAsync(NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<int?>("SELECT (max(update_id) + 1)::int FROM telegram_updates");
    }

    /// <summary>The active admin linked to this Telegram user.</summary>
    public static async Task<TelegramAdmin?> FindAdminAsync(NpgsqlDataSource db, long telegramUserId)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<TelegramAdmin>(
            "SELECT id, display_name FROM admins WHERE telegram_user_id = @telegramUserId AND status = 'active'", new { telegramUserId });
    }

    public static async Task<bool> IsLinkedAsync(NpgsqlDataSource db, long adminId)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<bool>("SELECT telegram_user_id IS NOT NULL FROM admins WHERE id = @adminId", new { adminId });
    }

    public static Task CreateLinkCodeAsync(NpgsqlConnection c, NpgsqlTransaction tx, long adminId, byte[] codeHash, DateTime expiresAt) =>
        c.ExecuteAsync("INSERT INTO telegram_link_codes (code_hash, admin_id, expires_at) VALUES (@codeHash, @adminId, @expiresAt)",
            new { codeHash, adminId, expiresAt }, tx);

    /// <summary>Spends an unused, unexpired code and links its (active) admin to the Telegram user, unlinking whoever had it.</summary>
    public static async Task<TelegramAdmin?> UseLinkCodeAsync(NpgsqlConnection c, NpgsqlTransaction tx, byte[] codeHash, long telegramUserId)
    {
        var admin = await c.QuerySingleOrDefaultAsync<TelegramAdmin>("""
            UPDATE telegram_link_codes l SET used_at = now()
            FROM admins a
            WHERE l.code_hash = @codeHash AND l.used_at IS NULL AND l.expires_at > now() AND a.id = l.admin_id AND a.status = 'active'
            RETURNING a.id, a.display_name
            """, new { codeHash }, tx);
        if (admin is null) return null;
        await c.ExecuteAsync("UPDATE admins SET telegram_user_id = NULL WHERE telegram_user_id = @telegramUserId AND id <> @Id",
            new { telegramUserId, admin.Id }, tx);
        await c.ExecuteAsync("UPDATE admins SET telegram_user_id = @telegramUserId WHERE id = @Id", new { telegramUserId, admin.Id }, tx);
        return admin;
    }

    /// <summary>Unlinks the admin's Telegram account; false when none was linked.</summary>
    public static async Task<bool> UnlinkAsync(NpgsqlConnection c, NpgsqlTransaction tx, long adminId) =>
        await c.ExecuteAsync("UPDATE admins SET telegram_user_id = NULL WHERE id = @adminId AND telegram_user_id IS NOT NULL", new { adminId }, tx) == 1;
}
