using System.Text.Json.Serialization;
using SupportChat.Data;

namespace SupportChat.Conversations;

/// <summary>Something that happened in a conversation, for every socket that shows it (on every instance, with Redis).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(MessageStoredEvent), "message")]
[JsonDerivedType(typeof(TypingEvent), "typing")]
[JsonDerivedType(typeof(ReadEvent), "read")]
[JsonDerivedType(typeof(PresenceEvent), "presence")]
[JsonDerivedType(typeof(StatusChangedEvent), "status")]
[JsonDerivedType(typeof(AssignmentChangedEvent), "assignment")]
[JsonDerivedType(typeof(TagsChangedEvent), "tags")]
[JsonDerivedType(typeof(TagCatalogChangedEvent), "tags-changed")]
[JsonDerivedType(typeof(BackplaneRestoredEvent), "backplane-restored")]
[JsonDerivedType(typeof(AdminSessionsEndedEvent), "sessions-ended")]
public abstract record ConversationEvent(Guid ConversationId)
{
    /// <summary>Who is told: the rule is the event's own, so that transports only route by it.</summary>
    [JsonIgnore] public abstract Audience Audience { get; }
}

/// <summary>Who an event is for; sockets deliver it to exactly these.</summary>
[Flags]
public enum Audience
{
    /// <summary>No socket gets a frame (e.g. revoked sessions: their sockets are closed instead).</summary>
    None = 0,
    /// <summary>Every admin (they see all conversations).</summary>
    Admins = 1,
    /// <summary>The visitor tabs of the event's conversation.</summary>
    Visitor = 2,
    /// <summary>The visitor tabs of every conversation.</summary>
    AllVisitors = 4,
    Both = Admins | Visitor,
    Everyone = Admins | AllVisitors,
}

/// <summary>
/// A message was committed. ReceivedAt is the Stopwatch timestamp when its sender's request arrived (0 if unknown);
/// Remote when it was committed by another instance (ReceivedAt then comes from the two instances' wall clocks).
/// </summary>
public sealed record MessageStoredEvent(MessageRow Message, long ReceivedAt, [property: JsonIgnore] bool Remote = false)
    : ConversationEvent(Message.ConversationId)
{
    /// <summary>A note is the team's: admins only.</summary>
    public override Audience Audience => Message.Sender == SenderKind.Note ? Audience.Admins : Audience.Both;
}

/// <summary>Sender ("visitor" or "admin") is typing.</summary>
public sealed record TypingEvent(Guid ConversationId, SenderKind Sender, string? Name) : ConversationEvent(ConversationId)
{
    /// <summary>The other side only: a visitor's typing to admins; an admin's to the visitor and the other admins.</summary>
    public override Audience Audience => Sender == SenderKind.Visitor ? Audience.Admins : Audience.Both;
}

/// <summary>Reader ("visitor" or "admin") has read the conversation up to Seq.</summary>
public sealed record ReadEvent(Guid ConversationId, SenderKind Reader, long Seq) : ConversationEvent(ConversationId)
{
    public override Audience Audience => Audience.Both;
}

/// <summary>An admin set the conversation's status (open, pending, closed).</summary>
public sealed record StatusChangedEvent(Guid ConversationId, ConversationStatus Status) : ConversationEvent(ConversationId)
{
    public override Audience Audience => Audience.Both;
}

/// <summary>An admin assigned the conversation to an admin (AdminId null: to nobody). Admins only.</summary>
public sealed record AssignmentChangedEvent(Guid ConversationId, long? AdminId, string? AdminName) : ConversationEvent(ConversationId)
{
    public override Audience Audience => Audience.Admins;
}

/// <summary>A tag was put on or taken off the conversation; Tags is its whole list now. Admins only.</summary>
public sealed record TagsChangedEvent(Guid ConversationId, IReadOnlyList<Tag> Tags) : ConversationEvent(ConversationId)
{
    public override Audience Audience => Audience.Admins;
}

/// <summary>A tag was created, renamed, recoloured or deleted: consoles reload the tags and the lists that show them. Admins only.</summary>
public sealed record TagCatalogChangedEvent() : ConversationEvent(Guid.Empty)
{
    public override Audience Audience => Audience.Admins;
}

/// <summary>
/// Who is online changed on some instance: the visitor of ConversationId (Who = "visitor"), or whether any admin is
/// (Who = "admins", ConversationId empty). Receivers look up the state across instances before telling their sockets.
/// </summary>
public sealed record PresenceEvent(Guid ConversationId, string Who) : ConversationEvent(ConversationId)
{
    public const string Visitor = "visitor";
    public const string Admins = "admins";

    /// <summary>A visitor's presence is for admins; the admins' presence is for every visitor.</summary>
    public override Audience Audience => Who == Admins ? Audience.AllVisitors : Audience.Admins;
}

/// <summary>
/// The backplane came back after an outage: events from other instances may have been missed, so every client resyncs.
/// Published by the instance that noticed its return, to itself and to the others (their clients missed its events).
/// </summary>
public sealed record BackplaneRestoredEvent() : ConversationEvent(Guid.Empty)
{
    public override Audience Audience => Audience.Everyone;
}

/// <summary>Admin sessions were revoked (logout, revocation, admin removed): every instance closes their sockets. No frame.</summary>
public sealed record AdminSessionsEndedEvent(IReadOnlyList<long> SessionIds) : ConversationEvent(Guid.Empty)
{
    public override Audience Audience => Audience.None;
}

/// <summary>
/// Carries conversation events to every subscriber. In-process for now; the Redis backplane (issue 8) and the
/// Telegram outbox subscribe or wrap it without changing the publishers.
/// </summary>
public interface IConversationEventBus
{
    void Publish(ConversationEvent e);

    /// <summary>
    /// Publishes and waits until the backplane has taken the event (it has then been handed to every instance's
    /// subscription), for events whose publisher promises their effect to a client, such as a revocation.
    /// </summary>
    Task PublishAndWaitAsync(ConversationEvent e);

    void Subscribe(Action<ConversationEvent> handler);
}

public sealed class InProcessEventBus(ILogger<InProcessEventBus> log) : IConversationEventBus
{
    volatile Action<ConversationEvent>[] handlers = [];
    readonly Lock gate = new();

    public void Subscribe(Action<ConversationEvent> handler)
    {
        lock (gate) handlers = [.. handlers, handler];
    }

    public Task PublishAndWaitAsync(ConversationEvent e)
    {
        Publish(e);
        return Task.CompletedTask;
    }

    public void Publish(ConversationEvent e)
    {
        foreach (var handler in handlers)
        {
            try { handler(e); }
            catch (Exception ex) { log.LogError(ex, "A subscriber failed on {Event}", e.GetType().Name); }
        }
    }
}
