using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Data;
using SupportChat.Endpoints;
using SupportChat.Sockets;

namespace SupportChat.Conversations;

/// <summary>Who does something in a conversation: a visitor (only ever in its own conversation) or an admin (in any).</summary>
public sealed record Sender(string Kind, Guid? VisitorId, Guid? OwnConversationId, long? AdminId, string? Name, string? Ip, string? UserAgent)
{
    public const string VisitorKind = "visitor";
    public const string AdminKind = "admin";
    /// <summary>A private note: written by an admin, shown to admins only, never to the visitor.</summary>
    public const string NoteKind = "note";
    public bool IsVisitor => Kind == VisitorKind;

    public static Sender Visitor(VisitorSession s) => new(VisitorKind, s.VisitorId, s.ConversationId, null, s.Name, null, null);

    public static Sender Admin(long adminId, string displayName, RequestOrigin from) =>
        new(AdminKind, null, null, adminId, displayName, from.Ip, from.UserAgent);

    /// <summary>An admin answering from Telegram: no IP of theirs is known; the audit's user agent says "Telegram".</summary>
    public static Sender TelegramAdmin(long adminId, string displayName) => new(AdminKind, null, null, adminId, displayName, null, "Telegram");
}

/// <summary>The outcome of an action: a value, or the error the caller reports in the one error shape.</summary>
public readonly record struct Outcome<T>(T? Value, ApiError? Error)
{
    public static implicit operator Outcome<T>(T value) => new(value, null);
    public static implicit operator Outcome<T>(ApiError error) => new(default, error);
}

/// <summary>
/// The one path for everything said in a conversation. Every transport (visitor socket, admin socket, admin HTTP,
/// Telegram) calls these methods; they check access and input, store, and publish.
/// </summary>
public sealed class ConversationService : IAsyncDisposable
{
    public const int MaxHistoryLimit = 100;
    public const int MaxClientMsgIdLength = 64;
    readonly NpgsqlDataSource db;
    readonly IConversationEventBus bus;
    readonly RealtimeOptions options;
    readonly ConversationWriter writer;
    readonly VisitorMessageBudget budget;
    readonly IReadOnlyList<IMessageOutbox> outboxes;
    public static readonly string[] Statuses = ["open", "pending", "closed"];

    public ConversationService(NpgsqlDataSource db, IConversationEventBus bus, IOptions<RealtimeOptions> options, VisitorMessageBudget budget,
        ILogger<ConversationService> log, IEnumerable<IMessageOutbox> outboxes)
    {
        this.budget = budget;
        this.db = db;
        this.bus = bus;
        this.options = options.Value;
        this.outboxes = outboxes.ToList();
        writer = new ConversationWriter(db, Committed, log, this.outboxes);
    }

    void Committed(MessageRow message, long receivedAt)
    {
        RealtimeMetrics.MessagesStored.WithLabels(message.Sender).Inc();
        bus.Publish(new MessageStoredEvent(message, receivedAt));
    }

    /// <summary>
    /// Validates, stores (once per clientMsgId) and publishes a message; the result is the stored message. A note is an
    /// admin's private message: stored with a seq like any other, delivered and shown to admins only. An attachment is a
    /// file already stored by Attachments; it becomes part of the conversation in the message's transaction.
    /// </summary>
    public async Task<Outcome<StoredMessage>> SendAsync(Sender sender, Guid conversationId, string? clientMsgId, string? body,
        CancellationToken ct = default, bool note = false, MessageAttachment? attachment = null)
    {
        var arrived = Stopwatch.GetTimestamp();
        if (Denied(sender, conversationId) is { } denied) return denied;
        if (note && sender.IsVisitor) return new ApiError("forbidden", "Only admins write notes.");
        if (string.IsNullOrEmpty(clientMsgId) || clientMsgId.Length > MaxClientMsgIdLength || clientMsgId.Any(char.IsControl))
            return new ApiError("bad_request", $"clientMsgId is required: 1 to {MaxClientMsgIdLength} characters, no control characters.");
        if (body is null) return new ApiError("bad_request", "body is required.");
        if (body.Length > options.MaxBodyChars * 2 + 1024)
            return new ApiError("too_large", $"The message is longer than {options.MaxBodyChars} characters.");
        var text = MessageText.Normalize(body);
        if (text.Length == 0) return new ApiError("bad_request", "The message is empty.");
        if (MessageText.Length(text) > options.MaxBodyChars)
            return new ApiError("too_large", $"The message is longer than {options.MaxBodyChars} characters.");
        if (sender.IsVisitor)
        {
            if (!await budget.TryTakeAsync(sender.VisitorId!.Value))
                return new ApiError("rate_limited",
                    $"At most {options.MessagesPerSecond:0.##} message(s) per second with a burst of {options.MessageBurst}; try again shortly.");
        }

        var audit = sender.IsVisitor ? null : new AuditEntry(note ? "note.added" : "reply.sent", sender.AdminId, sender.Ip, sender.UserAgent);
        var message = new NewMessage(conversationId, note ? Sender.NoteKind : sender.Kind, sender.AdminId, sender.IsVisitor ? null : sender.Name, text, clientMsgId, audit, arrived, attachment);
        var stored = await writer.WriteAsync(message, ct);
        return stored is null ? new ApiError("not_found", "No such conversation.") : stored;
    }

    /// <summary>Announces that the sender is typing; nothing is stored.</summary>
    public ApiError? Typing(Sender sender, Guid conversationId)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        bus.Publish(new TypingEvent(conversationId, sender.Kind, sender.Name));
        return null;
    }

    /// <summary>Moves the sender's side's read mark up to seq and tells both sides.</summary>
    public async Task<ApiError?> MarkReadAsync(Sender sender, Guid conversationId, long seq)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        if (seq < 0) return new ApiError("bad_request", "seq must not be negative.");
        var mark = await ConversationStore.MarkReadAsync(db, conversationId, sender.IsVisitor, seq);
        if (mark is null) return new ApiError("not_found", "No such conversation.");
        if (mark > 0) bus.Publish(new ReadEvent(conversationId, sender.Kind, mark.Value));
        return null;
    }

    /// <summary>A page of messages older than beforeSeq (the newest when null), oldest first; a visitor's pages leave notes out.</summary>
    public async Task<Outcome<MessagePage>> HistoryAsync(Sender sender, Guid conversationId, long? beforeSeq, int? limit)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        if (limit is < 1 or > MaxHistoryLimit) return new ApiError("bad_request", $"limit must be 1 to {MaxHistoryLimit}.");
        if (!sender.IsVisitor && await ConversationStore.FindAsync(db, conversationId) is null)
            return new ApiError("not_found", "No such conversation.");
        return await ConversationStore.BeforeAsync(db, conversationId, beforeSeq, limit ?? 50, includeNotes: !sender.IsVisitor);
    }

    /// <summary>Messages after afterSeq, oldest first, up to limit: what a reconnecting client missed (a visitor: without notes).</summary>
    public async Task<Outcome<IReadOnlyList<MessageRow>>> MissedAsync(Sender sender, Guid conversationId, long afterSeq, int limit)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        return new Outcome<IReadOnlyList<MessageRow>>(await ConversationStore.AfterAsync(db, conversationId, afterSeq, limit, includeNotes: !sender.IsVisitor), null);
    }

    public async Task<Outcome<ConversationState>> StateAsync(Sender sender, Guid conversationId)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        var state = await ConversationStore.FindAsync(db, conversationId);
        return state is null ? new ApiError("not_found", "No such conversation.") : state;
    }

    /// <summary>
    /// An admin opens, sets pending or closes a conversation: stored, audited and handed to the outboxes (Telegram) in one
    /// transaction, then told to every socket of the conversation and every admin. A visitor message reopens it.
    /// </summary>
    public async Task<Outcome<StatusChange>> SetStatusAsync(Sender sender, Guid conversationId, string? status)
    {
        if (sender.IsVisitor) return new ApiError("forbidden", "Only admins change a conversation's status.");
        if (status is null || !Statuses.Contains(status)) return new ApiError("bad_request", "status must be open, pending or closed.");
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var change = await ConversationStore.SetStatusAsync(c, tx, conversationId, status);
        if (change is null) return new ApiError("not_found", "No such conversation.");
        if (change.Changed)
        {
            var action = status switch { "closed" => "conversation.closed", "open" => "conversation.reopened", _ => "conversation.pending" };
            await AuditLog.WriteAsync(c, tx, new AuditEntry(action, sender.AdminId, sender.Ip, sender.UserAgent, "conversation",
                conversationId.ToString(), new { from = change.Previous, to = status }));
            foreach (var outbox in outboxes) await outbox.StatusChangedAsync(c, tx, change);
        }
        await tx.CommitAsync();
        if (change.Changed) bus.Publish(new StatusChangedEvent(conversationId, status));
        return change;
    }

    /// <summary>
    /// An admin assigns the conversation to an active admin, or to nobody (adminId null): stored, audited and the list
    /// version moved in one transaction, then told to every admin (never the visitor: it is the team's bookkeeping).
    /// </summary>
    public async Task<Outcome<AssignmentChangedEvent>> AssignAsync(Sender sender, Guid conversationId, long? adminId)
    {
        if (sender.IsVisitor) return new ApiError("forbidden", "Only admins assign conversations.");
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        // The assignee is locked so that it cannot be removed before this commits; the conversation is locked by the update.
        string? adminName = null;
        if (adminId is { } id)
        {
            var admin = await AdminStore.FindForShareAsync(c, tx, id);
            if (admin is null) return new ApiError("not_found", "No such admin.");
            if (admin.Status != "active") return new ApiError("bad_request", "Only an active admin can be assigned a conversation.");
            adminName = admin.DisplayName;
        }
        var change = await ConversationStore.AssignAsync(c, tx, conversationId, adminId);
        if (change is null) return new ApiError("not_found", "No such conversation.");
        if (change.Changed)
            await AuditLog.WriteAsync(c, tx, new AuditEntry(adminId is null ? "conversation.unassigned" : "conversation.assigned", sender.AdminId,
                sender.Ip, sender.UserAgent, "conversation", conversationId.ToString(), new { from = change.Previous, to = adminId }));
        await tx.CommitAsync();
        var assigned = new AssignmentChangedEvent(conversationId, adminId, adminName);
        if (change.Changed) bus.Publish(assigned);
        return assigned;
    }

    /// <summary>
    /// An admin puts a tag on the conversation or takes it off (attach false); doing it twice changes nothing. Stored,
    /// audited and the list version moved in one transaction, then the conversation's whole tag list is told to every admin.
    /// </summary>
    public async Task<Outcome<TagsChangedEvent>> TagAsync(Sender sender, Guid conversationId, long tagId, bool attach)
    {
        if (sender.IsVisitor) return new ApiError("forbidden", "Only admins tag conversations.");
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (!await ConversationStore.ExistsForShareAsync(c, tx, conversationId)) return new ApiError("not_found", "No such conversation.");
        if (await TagStore.FindForShareAsync(c, tx, tagId) is not { } tag) return new ApiError("not_found", "No such tag.");
        var changed = attach ? await TagStore.AttachAsync(c, tx, conversationId, tagId) : await TagStore.DetachAsync(c, tx, conversationId, tagId);
        if (changed)
        {
            await ConversationStore.BumpListVersionAsync(c, tx);
            await AuditLog.WriteAsync(c, tx, new AuditEntry(attach ? "conversation.tagged" : "conversation.untagged", sender.AdminId,
                sender.Ip, sender.UserAgent, "conversation", conversationId.ToString(), new { tagId, tag = tag.Name }));
        }
        var tags = new TagsChangedEvent(conversationId, await TagStore.OfConversationAsync(c, tx, conversationId));
        await tx.CommitAsync();
        if (changed) bus.Publish(tags);
        return tags;
    }

    /// <summary>A visitor acts only in its own conversation; admins in any.</summary>
    static ApiError? Denied(Sender sender, Guid conversationId) =>
        sender.IsVisitor && sender.OwnConversationId != conversationId
            ? new ApiError("forbidden", "This conversation is not yours.")
            : null;

    public async ValueTask DisposeAsync()
    {
        await writer.DisposeAsync();
    }
}
