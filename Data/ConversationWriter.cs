using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace SupportChat.Data;

/// <summary>
/// A message to store. Sender is "visitor" or "admin"; Audit is written with it (admin replies); ReceivedAt is the
/// Stopwatch timestamp of its arrival, handed back on commit for the delivery-latency metric. Attachment is an uploaded file
/// (stored, not yet linked) that the message carries.
/// </summary>
public sealed record NewMessage(
    Guid ConversationId, string Sender, long? AdminId, string? SenderName, string Body, string ClientMsgId, AuditEntry? Audit, long ReceivedAt,
    MessageAttachment? Attachment = null);

/// <summary>A stored file as a message describes it.</summary>
public sealed record MessageAttachment(Guid Id, string Name, string Type, long Size, bool HasThumbnail);

/// <summary>The stored message; Duplicate when the sender had already stored one under this client id (nothing new was written).</summary>
public sealed record StoredMessage(MessageRow Message, bool Duplicate);

/// <summary>
/// Rows that must commit or roll back with the messages that caused them (the Telegram outbox). Called on the
/// writer's connection and transaction, once per batch, with the messages newly stored in it.
/// </summary>
public interface IMessageOutbox
{
    Task WriteAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<MessageRow> stored);

    /// <summary>An admin changed a conversation's status, in this transaction.</summary>
    Task StatusChangedAsync(NpgsqlConnection c, NpgsqlTransaction tx, StatusChange change) => Task.CompletedTask;
}

/// <summary>
/// The single writer of messages: waiting messages are stored together in one transaction (group commit), each
/// with its seq taken from conversations.last_seq, and reported in commit order, so that every conversation's
/// messages are published in seq order.
/// </summary>
public sealed class ConversationWriter : IAsyncDisposable
{
    const int MaxBatch = 256;
    readonly NpgsqlDataSource db;
    readonly Action<MessageRow, long> committed;
    readonly IReadOnlyList<IMessageOutbox> outboxes;
    readonly ILogger log;
    readonly Channel<Pending> queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(16 * MaxBatch) { SingleReader = true });
    readonly Task loop;

    sealed record Pending(NewMessage Message, TaskCompletionSource<StoredMessage?> Done);

    /// <param name="committed">Called on the writer, in commit order, with each newly stored message before its sender hears of it.</param>
    /// <param name="outboxes">Write their rows in each batch's transaction.</param>
    public ConversationWriter(NpgsqlDataSource db, Action<MessageRow, long> committed, ILogger log, IReadOnlyList<IMessageOutbox>? outboxes = null)
    {
        this.db = db;
        this.committed = committed;
        this.outboxes = outboxes ?? [];
        this.log = log;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Stores the message once it is committed; null when the conversation does not exist.</summary>
    public async Task<StoredMessage?> WriteAsync(NewMessage message, CancellationToken ct = default)
    {
        var pending = new Pending(message, new TaskCompletionSource<StoredMessage?>(TaskCreationOptions.RunContinuationsAsynchronously));
        await queue.Writer.WriteAsync(pending, ct);
        return await pending.Done.Task;
    }

    async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var p)) batch.Add(p);
            try
            {
                await CommitAndReportAsync(batch);
            }
            catch (PostgresException ex) when (batch.Count > 1)
            {
                // One message the database refuses must not fail the others: store them one by one.
                log.LogWarning(ex, "A batch of {Count} messages failed; storing them one by one", batch.Count);
                foreach (var p in batch)
                {
                    try { await CommitAndReportAsync([p]); }
                    catch (Exception one) { p.Done.TrySetException(one); }
                }
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Storing {Count} messages failed", batch.Count);
                foreach (var p in batch) p.Done.TrySetException(ex);
            }
        }
    }

    // One statement per message: a retried client id returns the stored row; otherwise last_seq moves up by one
    // and the message takes it. Conversation missing: no row. ON CONFLICT covers another instance storing the same
    // client id concurrently: no row either, and the row is looked up after the commit.
    const string InsertMessage = """
        WITH dup AS (
            SELECT id, seq, created_at FROM messages
            WHERE conversation_id = $1 AND sender_kind = $2 AND COALESCE(admin_id, 0) = COALESCE($3, 0) AND client_msg_id = $4
        ), next AS (
            UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = now(),
                status = CASE WHEN $2 = 'visitor' THEN 'open' ELSE status END,
                closed_at = CASE WHEN $2 = 'visitor' THEN NULL ELSE closed_at END
            WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM dup)
            RETURNING last_seq
        ), ins AS (
            INSERT INTO messages (conversation_id, seq, sender_kind, admin_id, client_msg_id, body)
            SELECT $1, last_seq, $2, $3, $4, $5 FROM next
            ON CONFLICT DO NOTHING
            RETURNING id, seq, created_at
        )
        SELECT id, seq, created_at, false FROM ins
        UNION ALL
        SELECT id, seq, created_at, true FROM dup
        """;

    async Task CommitAndReportAsync(IReadOnlyList<Pending> batch)
    {
        var results = new StoredMessage?[batch.Count];
        await using (var c = await db.OpenConnectionAsync())
        await using (var tx = await c.BeginTransactionAsync())
        {
            await using (var command = new NpgsqlBatch(c, tx))
            {
                foreach (var p in batch)
                {
                    var m = p.Message;
                    command.BatchCommands.Add(new NpgsqlBatchCommand(InsertMessage)
                    {
                        Parameters =
                        {
                            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = m.ConversationId },
                            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = m.Sender },
                            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)m.AdminId ?? DBNull.Value },
                            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = m.ClientMsgId },
                            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = m.Body },
                        },
                    });
                }
                // The batch changes the admins' conversation lists: cached pages of the old version are not served again.
                command.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE conversation_list_version SET version = version + 1 WHERE id = 1"));
                await using var reader = await command.ExecuteReaderAsync();
                for (var i = 0; i < batch.Count; i++)
                {
                    if (await reader.ReadAsync())
                    {
                        var m = batch[i].Message;
                        var a = reader.GetBoolean(3) ? null : m.Attachment;
                        var row = new MessageRow(reader.GetInt64(0), m.ConversationId, reader.GetInt64(1), m.Sender, m.AdminId, m.SenderName,
                            m.Body, m.ClientMsgId, reader.GetDateTime(2), a?.Id, a?.Name, a?.Type, a?.Size, a?.HasThumbnail ?? false);
                        results[i] = new StoredMessage(row, reader.GetBoolean(3));
                    }
                    await reader.NextResultAsync();
                }
            }
            // A file becomes part of the conversation exactly when its message does; a duplicate's file stays unlinked for its uploader to discard.
            for (var i = 0; i < batch.Count; i++)
                if (results[i] is { Duplicate: false } stored && batch[i].Message.Attachment is { } file)
                    await AttachmentStore.LinkAsync(c, tx, file.Id, stored.Message.Id);
            for (var i = 0; i < batch.Count; i++)
                if (results[i] is { Duplicate: false } stored && batch[i].Message.Audit is { } audit)
                    await AuditLog.WriteAsync(c, tx, audit with
                    {
                        TargetType = "conversation",
                        TargetId = stored.Message.ConversationId.ToString(),
                        Details = new { messageId = stored.Message.Id, seq = stored.Message.Seq },
                    });
            if (outboxes.Count > 0 && results.Where(r => r is { Duplicate: false }).Select(r => r!.Message).ToList() is { Count: > 0 } fresh)
                foreach (var outbox in outboxes) await outbox.WriteAsync(c, tx, fresh);
            await tx.CommitAsync();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var result = results[i];
            if (result is null)
            {
                var m = batch[i].Message;
                var existing = await ConversationStore.FindByClientIdAsync(db, m.ConversationId, m.Sender, m.AdminId, m.ClientMsgId);
                result = existing is null ? null : new StoredMessage(existing, Duplicate: true);
            }
            else if (!result.Duplicate)
            {
                try { committed(result.Message, batch[i].Message.ReceivedAt); }
                catch (Exception ex) { log.LogError(ex, "Publishing message {MessageId} failed", result.Message.Id); }
            }
            batch[i].Done.TrySetResult(result);
        }
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop;
    }
}
