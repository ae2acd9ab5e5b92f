using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Data;

namespace SupportChat.Conversations;

/// <summary>Who does something in a conversation: a visitor (only ever in its own conversation) or an admin (in any).</summary>
public sealed record Sender(SenderKind Kind, Guid? VisitorId, Guid? OwnConversationId, long? AdminId, string? Name, RequestOrigin Origin)
{
    public bool IsVisitor => Kind == SenderKind.Visitor;

    public static Sender Visitor(VisitorSession s) => new(SenderKind.Visitor, s.VisitorId, s.ConversationId, null, s.Name, RequestOrigin.Unknown);

    public static Sender Admin(long adminId, string displayName, RequestOrigin origin) => new(SenderKind.Admin, null, null, adminId, displayName, origin);

    /// <summary>An admin answering from Telegram: no IP of theirs is known; the audit's user agent says "Telegram".</summary>
    public static Sender TelegramAdmin(long adminId, string displayName) => new(SenderKind.Admin, null, null, adminId, displayName, new RequestOrigin(null, "Telegram", null));
}

/// <summary>The outcome of an action: a value, or the Problem each transport translates once (ApiError.From, Frames.Error).</summary>
public readonly record struct Outcome<T>(T? Value, Problem? Error)
{
    public static implicit operator Outcome<T>(T value) => new(value, null);
    public static implicit operator Outcome<T>(Problem error) => new(default, error);
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
    readonly ConversationOptions options;
    readonly ConversationWriter writer;
    readonly VisitorMessageBudget budget;
    readonly TypingThrottle typing;
    readonly IReadOnlyList<IMessageOutbox> outboxes;

    public ConversationService(NpgsqlDataSource db, IConversationEventBus bus, IOptions<ConversationOptions> options, VisitorMessageBudget budget,
        ILogger<ConversationService> log, IEnumerable<IMessageOutbox> outboxes)
    {
        this.budget = budget;
        this.db = db;
        this.bus = bus;
        this.options = options.Value;
        typing = new TypingThrottle(this.options.TypingThrottleMilliseconds);
        this.outboxes = outboxes.ToList();
        writer = new ConversationWriter(db, Committed, log, this.outboxes);
    }

    void Committed(MessageRow message, long receivedAt)
    {
        ConversationMetrics.MessagesStored.WithLabels(message.Sender.Wire()).Inc();
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
        if (note && sender.IsVisitor) return new Problem(ProblemCode.Forbidden, "Only admins write notes.");
        if (string.IsNullOrEmpty(clientMsgId) || clientMsgId.Length > MaxClientMsgIdLength || clientMsgId.Any(char.IsControl))
            return new Problem(ProblemCode.BadRequest, $"clientMsgId is required: 1 to {MaxClientMsgIdLength} characters, no control characters.");
        if (body is null) return new Problem(ProblemCode.BadRequest, "body is required.");
        if (body.Length > options.MaxBodyChars * 2 + 1024)
            return new Problem(ProblemCode.TooLarge, $"The message is longer than {options.MaxBodyChars} characters.");
        var text = MessageText.Normalize(body);
        if (text.Length == 0) return new Problem(ProblemCode.BadRequest, "The message is empty.");
        if (MessageText.Length(text) > options.MaxBodyChars)
            return new Problem(ProblemCode.TooLarge, $"The message is longer than {options.MaxBodyChars} characters.");
        if (sender.IsVisitor)
        {
            if (!await budget.TryTakeAsync(sender.VisitorId!.Value))
                return new Problem(ProblemCode.RateLimited, $"At most {options.MessagesPerSecond:0.##} message(s) per second with a burst of {options.MessageBurst}; try again shortly.");
        }

        var audit = sender.IsVisitor ? null : new AuditEntry(note ? "note.added" : "reply.sent", sender.AdminId, sender.Origin.Ip, sender.Origin.UserAgent);
        var message = new NewMessage(conversationId, note ? SenderKind.Note : sender.Kind, sender.AdminId, sender.IsVisitor ? null : sender.Name, text, clientMsgId, audit, arrived, attachment);
        var stored = await writer.WriteAsync(message, ct);
        return stored is null ? new Problem(ProblemCode.NotFound, "No such conversation.") : stored;
    }

    /// <summary>Announces that the sender is typing, at most once per throttle window (a visitor's tabs share it); nothing is stored.</summary>
    public Problem? Typing(Sender sender, Guid conversationId)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        if (!typing.TryPass(sender, conversationId)) return null;
        bus.Publish(new TypingEvent(conversationId, sender.Kind, sender.Name));
        return null;
    }

    /// <summary>Moves the sender's side's read mark up to seq and tells both sides.</summary>
    public async Task<Problem?> MarkReadAsync(Sender sender, Guid conversationId, long seq)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        if (seq < 0) return new Problem(ProblemCode.BadRequest, "seq must not be negative.");
        var mark = await ConversationStore.MarkReadAsync(db, conversationId, sender.IsVisitor, seq);
        if (mark is null) return new Problem(ProblemCode.NotFound, "No such conversation.");
        if (mark > 0) bus.Publish(new ReadEvent(conversationId, sender.Kind, mark.Value));
        return null;
    }

    /// <summary>A page of messages older than beforeSeq (the newest when null), oldest first; a visitor's pages leave notes out.</summary>
    public async Task<Outcome<MessagePage>> HistoryAsync(Sender sender, Guid conversationId, long? beforeSeq, int? limit)
    {
        if (Denied(sender, conversationId) is { } denied) return denied;
        if (limit is < 1 or > MaxHistoryLimit) return new Problem(ProblemCode.BadRequest, $"limit must be 1 to {MaxHistoryLimit}.");
        var page = await ConversationStore.BeforeAsync(db, conversationId, beforeSeq, limit ?? 50, includeNotes: !sender.IsVisitor);
        return page is null ? new Problem(ProblemCode.NotFound, "No such conversation.") : page;
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
        return state is null ? new Problem(ProblemCode.NotFound, "No such conversation.") : state;
    }

    /// <summary>
    /// An admin opens, sets pending or closes a conversation: stored, audited and handed to the outboxes (Telegram) in one
    /// transaction, then told to every socket of the conversation and every admin. A visitor message reopens it.
    /// </summary>
    public async Task<Outcome<StatusChange>> SetStatusAsync(Sender sender, Guid conversationId, string? status)
    {
        if (sender.IsVisitor) return new Problem(ProblemCode.Forbidden, "Only admins change a conversation's status.");
        if (Kinds.StatusOf(status) is not { } to) return new Problem(ProblemCode.BadRequest, "status must be open, pending or closed.");
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var change = await ConversationStore.SetStatusAsync(c, tx, conversationId, to);
        if (change is null) return new Problem(ProblemCode.NotFound, "No such conversation.");
        if (change.Changed)
        {
            var action = to switch { ConversationStatus.Closed => "conversation.closed", ConversationStatus.Open => "conversation.reopened", _ => "conversation.pending" };
            await AuditLog.WriteAsync(c, tx, new AuditEntry(action, sender.AdminId, sender.Origin.Ip, sender.Origin.UserAgent, "conversation",
                conversationId.ToString(), new { from = change.Previous.Wire(), to = to.Wire() }));
            foreach (var outbox in outboxes) await outbox.StatusChangedAsync(c, tx, change);
        }
        await tx.CommitAsync();
        if (change.Changed) bus.Publish(new StatusChangedEvent(conversationId, to));
        return change;
    }

    /// <summary>
    /// An admin assigns the conversation to an active admin, or to nobody (adminId null): stored, audited and the list
    /// version moved in one transaction, then told to every admin (never the visitor: it is the team's bookkeeping).
    /// </summary>
    public async Task<Outcome<AssignmentChangedEvent>> AssignAsync(Sender sender, Guid conversationId, long? adminId)
    {
        if (sender.IsVisitor) return new Problem(ProblemCode.Forbidden, "Only admins assign conversations.");
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        // The assignee is locked so that it cannot be removed before this commits; the conversation is locked by the update.
        string? adminName = null;
        if (adminId is { } id)
        {
            var admin = await AdminStore.FindForShareAsync(c, tx, id);
            if (admin is null) return new Problem(ProblemCode.NotFound, "No such admin.");
            if (admin.Status != "active") return new Problem(ProblemCode.BadRequest, "Only an active admin can be assigned a conversation.");
            adminName = admin.DisplayName;
        }
        var change = await ConversationStore.AssignAsync(c, tx, conversationId, adminId);
        if (change is null) return new Problem(ProblemCode.NotFound, "No such conversation.");
        if (change.Changed)
            await AuditLog.WriteAsync(c, tx, new AuditEntry(adminId is null ? "conversation.unassigned" : "conversation.assigned", sender.AdminId,
                sender.Origin.Ip, sender.Origin.UserAgent, "conversation", conversationId.ToString(), new { from = change.Previous, to = adminId }));
        await tx.CommitAsync();
        var assigned = new AssignmentChangedEvent(conversationId, adminId, adminName);
        if (change.Changed) bus.Publish(assigned);
        return assigned;
    }

    /// <summary>A visitor acts only in its own conversation; admins in any.</summary>
    static Problem? Denied(Sender sender, Guid conversationId) =>
        sender.IsVisitor && sender.OwnConversationId != conversationId
            ? new Problem(ProblemCode.Forbidden, "This conversation is not yours.")
            : null;

    public async ValueTask DisposeAsync()
    {
        await writer.DisposeAsync();
    }
}
