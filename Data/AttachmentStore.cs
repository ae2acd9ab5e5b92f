using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace SupportChat.Data;

/// <summary>A file about to be stored: its bytes are in Content (PostgreSQL) or already at StoragePath (the directory).</summary>
public sealed record NewAttachment(
    Guid ConversationId, SenderKind UploaderKind, long? AdminId, string FileName, string ContentType, long SizeBytes, byte[] Sha256,
    Stream? Content, string? StoragePath, byte[]? Thumbnail, string? ThumbnailType);

/// <summary>A stored file as a download needs it. VisitorId is the conversation's visitor; MessageSender says whether it is in a note.</summary>
public sealed record AttachmentFile(
    Guid Id, Guid ConversationId, Guid VisitorId, SenderKind MessageSender, string FileName, string ContentType, long SizeBytes, string? StoragePath);

/// <summary>Attachments: stored first, unlinked; linked to their message by ConversationWriter in the message's transaction.</summary>
public static class AttachmentStore
{
    const string Insert = """
        INSERT INTO attachments (conversation_id, uploader_kind, admin_id, file_name, content_type, size_bytes, sha256, content, storage_path, thumbnail, thumbnail_type)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        RETURNING id
        """;

    /// <summary>A raw command rather than Dapper: the content is streamed from the spooled file, not loaded into memory.</summary>
    public static async Task<Guid> InsertAsync(NpgsqlDataSource db, NewAttachment a, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(Insert, c)
        {
            Parameters =
            {
                new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = a.ConversationId },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = a.UploaderKind.Wire() },
                new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)a.AdminId ?? DBNull.Value },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = a.FileName },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = a.ContentType },
                new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = a.SizeBytes },
                new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = a.Sha256 },
                new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = (object?)a.Content ?? DBNull.Value },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)a.StoragePath ?? DBNull.Value },
                new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = (object?)a.Thumbnail ?? DBNull.Value },
                new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)a.ThumbnailType ?? DBNull.Value },
            },
        };
        return (Guid)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>In the message's transaction (ConversationWriter).</summary>
    public static Task LinkAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid attachmentId, long messageId) =>
        c.ExecuteAsync("UPDATE attachments SET message_id = @messageId WHERE id = @attachmentId AND message_id IS NULL",
            new { attachmentId, messageId }, tx);

    /// <summary>
    /// Removes an attachment that never became part of a message. Returns its stored file's path when no other attachment
    /// shares that file (the caller deletes it), else null.
    /// </summary>
    public static async Task<string?> DeleteUnlinkedAsync(NpgsqlDataSource db, Guid id)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<string?>("""
            WITH gone AS (DELETE FROM attachments WHERE id = @id AND message_id IS NULL RETURNING storage_path)
            SELECT storage_path FROM gone
            WHERE storage_path IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attachments WHERE storage_path = gone.storage_path AND id <> @id)
            """, new { id });
    }

    public static async Task<bool> IsFileUsedAsync(NpgsqlDataSource db, string storagePath)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM attachments WHERE storage_path = @storagePath)", new { storagePath });
    }

    /// <summary>A file that is part of a (not deleted) message, or null.</summary>
    public static async Task<AttachmentFile?> FindAsync(NpgsqlDataSource db, Guid id)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<AttachmentFile>("""
            SELECT f.id, f.conversation_id, c.visitor_id, m.sender_kind AS message_sender, f.file_name, f.content_type, f.size_bytes, f.storage_path
            FROM attachments f
            JOIN messages m ON m.id = f.message_id AND m.deleted_at IS NULL
            JOIN conversations c ON c.id = f.conversation_id
            WHERE f.id = @id
            """, new { id });
    }

    public static async Task<byte[]?> ContentAsync(NpgsqlDataSource db, Guid id)
    {
        await using var c = await db.OpenConnectionAsync();
        return await c.QuerySingleOrDefaultAsync<byte[]?>("SELECT content FROM attachments WHERE id = @id", new { id });
    }

    public static async Task<(byte[] Thumbnail, string Type)?> ThumbnailAsync(NpgsqlDataSource db, Guid id)
    {
        await using var c = await db.OpenConnectionAsync();
        var row = await c.QuerySingleOrDefaultAsync<(byte[]?, string?)>("SELECT thumbnail, thumbnail_type FROM attachments WHERE id = @id", new { id });
        return row is (byte[] t, string type) ? (t, type) : null;
    }
}
