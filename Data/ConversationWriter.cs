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
    Guid ConversationId, SenderKind Sender, long? AdminId, string? SenderName, string Body, string ClientMsgId, AuditEntry? Audit, long ReceivedAt,
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

    // The whole batch in one statement: the messages come in as arrays in arrival order (ord). A client id already
    // stored returns the stored row (dup); a client id repeated inside the batch is stored once, the repeats get no row
    // and are looked up after the commit. Each conversation's last_seq moves up by its number of new messages and they
    // take the seqs below it in arrival order; a visitor message reopens the conversation. A missing conversation gives
    // no row. ON CONFLICT covers another instance storing the same client id concurrently (no row; looked up later).
    const string InsertMessages = """
        WITH input AS (
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY
                AS i (conversation_id, sender_kind, admin_id, client_msg_id, body, ord)
        ), dup AS (
            SELECT DISTINCT ON (i.ord) i.ord, m.id, m.seq, m.created_at
            FROM input i JOIN messages m ON m.conversation_id = i.conversation_id AND m.sender_kind = i.sender_kind
                AND COALESCE(m.admin_id, 0) = COALESCE(i.admin_id, 0) AND m.client_msg_id = i.client_msg_id
        ), fresh AS (
            SELECT *, row_number() OVER (PARTITION BY conversation_id ORDER BY ord) AS k
            FROM (
                SELECT i.*, row_number() OVER (PARTITION BY conversation_id, sender_kind, COALESCE(admin_id, 0), client_msg_id ORDER BY ord) AS copy
                FROM input i WHERE NOT EXISTS (SELECT 1 FROM dup WHERE dup.ord = i.ord)
            ) once
            WHERE copy = 1
        ), next AS (
            UPDATE conversations c SET last_seq = c.last_seq + f.n, last_activity_at = now(),
                status = CASE WHEN f.visitor THEN 'open' ELSE c.status END,
                closed_at = CASE WHEN f.visitor THEN NULL ELSE c.closed_at END
            FROM (SELECT conversation_id, count(*) AS n, bool_or(sender_kind = 'visitor') AS visitor FROM fresh GROUP BY conversation_id) f
            WHERE c.id = f.conversation_id
            RETURNING c.id, c.last_seq - f.n AS base
        ), ins AS (
            INSERT INTO messages (conversation_id, seq, sender_kind, admin_id, client_msg_id, body)
            SELECT f.conversation_id, n.base + f.k, f.sender_kind, f.admin_id, f.client_msg_id, f.body
            FROM fresh f JOIN next n ON n.id = f.conversation_id
            ORDER BY f.ord
            ON CONFLICT DO NOTHING
            RETURNING id, conversation_id, seq, created_at
        )
        SELECT f.ord, ins.id, ins.seq, ins.created_at, false AS duplicate
        FROM fresh f JOIN next n ON n.id = f.conversation_id JOIN ins ON ins.conversation_id = f.conversation_id AND ins.seq = n.base + f.k
        UNION ALL
        SELECT ord, id, seq, created_at, true FROM dup
        """;

    async Task CommitAndReportAsync(IReadOnlyList<Pending> batch)
    {
        var results = new StoredMessage?[batch.Count];
        // Nothing to write beside the messages (no file to link, no audit, no outbox): the batch's two statements commit as
        // one implicit transaction, without a BEGIN and a COMMIT round trip of their own.
        var alone = outboxes.Count == 0 && batch.All(p => p.Message.Attachment is null && p.Message.Audit is null);
        await using (var c = await db.OpenConnectionAsync())
        await using (var tx = alone ? null : await c.BeginTransactionAsync())
        {
            await using (var command = new NpgsqlBatch(c, tx))
            {
                var messages = batch.Select(p => p.Message).ToList();
                command.BatchCommands.Add(new NpgsqlBatchCommand(InsertMessages)
                {
                    Parameters =
                    {
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = messages.Select(m => m.ConversationId).ToArray() },
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = messages.Select(m => m.Sender.Wire()).ToArray() },
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = messages.Select(m => m.AdminId).ToArray() },
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = messages.Select(m => m.ClientMsgId).ToArray() },
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = messages.Select(m => m.Body).ToArray() },
                    },
                });
                // The batch changes the admins' conversation lists: cached pages of the old version are not served again.
                command.BatchCommands.Add(new NpgsqlBatchCommand(ConversationStore.ListVersionBump));
                // Planning the statement took most of its time for small batches; prepared, it is planned once per connection.
                await command.PrepareAsync();
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var i = (int)reader.GetInt64(0) - 1;
                    var m = messages[i];
                    var duplicate = reader.GetBoolean(4);
                    var a = duplicate ? null : m.Attachment;
                    var row = new MessageRow(reader.GetInt64(1), m.ConversationId, reader.GetInt64(2), m.Sender, m.AdminId, m.SenderName,
                        m.Body, m.ClientMsgId, reader.GetDateTime(3), a?.Id, a?.Name, a?.Type, a?.Size, a?.HasThumbnail ?? false);
                    results[i] = new StoredMessage(row, duplicate);
                }
            }
            if (tx is not null)
            {
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
            // Without a transaction the commit was the batch's end: the reader's disposal above waited for it (and threw if it failed).
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
