using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Sockets;

/// <summary>Close codes of the sockets (documented in docs/protocol.md).</summary>
public static class CloseCodes
{
    public const WebSocketCloseStatus Normal = WebSocketCloseStatus.NormalClosure;          // 1000
    public const WebSocketCloseStatus GoingAway = WebSocketCloseStatus.EndpointUnavailable; // 1001: server shutting down
    public const WebSocketCloseStatus InvalidUtf8 = WebSocketCloseStatus.InvalidPayloadData; // 1007
    public const WebSocketCloseStatus TooLarge = WebSocketCloseStatus.MessageTooBig;        // 1009
    public const WebSocketCloseStatus ServerError = WebSocketCloseStatus.InternalServerError; // 1011
    /// <summary>The outbound queue overflowed (the client did not read fast enough); reconnect with lastSeq.</summary>
    public const WebSocketCloseStatus TooSlow = (WebSocketCloseStatus)4001;
    /// <summary>The instances' backplane (Redis) came back after an outage; events may have been missed: reconnect with lastSeq.</summary>
    public const WebSocketCloseStatus Resync = (WebSocketCloseStatus)4002;
    /// <summary>The token is missing, forged or expired, or the first frame was not auth.</summary>
    public const WebSocketCloseStatus Unauthorized = (WebSocketCloseStatus)4401;
    /// <summary>The admin session ended (logout, revocation, expiry).</summary>
    public const WebSocketCloseStatus SessionEnded = (WebSocketCloseStatus)4403;
    /// <summary>No auth frame within Realtime:AuthTimeoutSeconds.</summary>
    public const WebSocketCloseStatus AuthTimeout = (WebSocketCloseStatus)4408;
}

/// <summary>Any client frame; which fields matter depends on Type.</summary>
public sealed class ClientFrame
{
    public string? Type { get; set; }
    public string? Token { get; set; }
    public long? LastSeq { get; set; }
    public Guid? ConversationId { get; set; }
    public string? ClientMsgId { get; set; }
    public string? Body { get; set; }
    /// <summary>send from an admin: true stores a private note (never shown to the visitor).</summary>
    public bool? Note { get; set; }
    public long? Seq { get; set; }
    public long? Before { get; set; }
    public int? Limit { get; set; }
}

/// <summary>The file a message carries, as clients see it.</summary>
public sealed record AttachmentView(Guid Id, string Name, string Type, long Size, bool HasThumbnail)
{
    public static AttachmentView? From(MessageRow m) => m.AttachmentId is { } id
        ? new AttachmentView(id, m.AttachmentName!, m.AttachmentType!, m.AttachmentSize ?? 0, m.AttachmentHasThumbnail)
        : null;
}

/// <summary>A message as clients see it: the live "message" frame, and each item of a history page (HTTP and socket) alike.</summary>
public sealed record MessageView(Guid ConversationId, long Id, long Seq, SenderKind Sender, string? SenderName, string Body, string? ClientMsgId, DateTime CreatedAt,
    AttachmentView? Attachment)
{
    [JsonPropertyOrder(-1)] public string Type => "message";
    public static MessageView From(MessageRow m) =>
        new(m.ConversationId, m.Id, m.Seq, m.Sender, m.SenderName, m.Body, m.ClientMsgId, m.CreatedAt, AttachmentView.From(m));
}

public sealed record Limits(int MaxBodyChars, int MaxFrameBytes, double MessagesPerSecond, int MessageBurst, int HistoryLimit);

public sealed record VisitorWelcomeFrame(Guid VisitorId, Guid ConversationId, long LastSeq, long VisitorReadSeq, long AdminReadSeq, bool AdminsOnline, Limits Limits)
{
    [JsonPropertyOrder(-1)] public string Type => "welcome";
}

public sealed record AdminWelcomeFrame(long AdminId, string Name, int VisitorsOnline, Limits Limits)
{
    [JsonPropertyOrder(-1)] public string Type => "welcome";
}

public sealed record AckFrame(Guid ConversationId, string ClientMsgId, long Seq, long Id, DateTime CreatedAt, bool Duplicate)
{
    [JsonPropertyOrder(-1)] public string Type => "ack";
}

public sealed record TypingFrame(Guid ConversationId, SenderKind Sender, string? Name)
{
    [JsonPropertyOrder(-1)] public string Type => "typing";
}

public sealed record ReadFrame(Guid ConversationId, SenderKind Reader, long Seq)
{
    [JsonPropertyOrder(-1)] public string Type => "read";
}

public sealed record HistoryFrame(Guid ConversationId, IReadOnlyList<MessageView> Messages, bool HasMore)
{
    [JsonPropertyOrder(-1)] public string Type => "history";
}

/// <summary>To visitors: whether any admin is online. To admins: whether a conversation's visitor is online.</summary>
public sealed record PresenceFrame(bool? AdminsOnline, Guid? ConversationId, bool? VisitorOnline)
{
    [JsonPropertyOrder(-1)] public string Type => "presence";
}

/// <summary>The conversation's status changed (open, pending, closed); a visitor message reopens a closed one.</summary>
public sealed record StatusFrame(Guid ConversationId, ConversationStatus Status)
{
    [JsonPropertyOrder(-1)] public string Type => "status";
}

/// <summary>To admins: who the conversation is assigned to now (both null: nobody).</summary>
public sealed record AssignmentFrame(
    Guid ConversationId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? AdminId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? AdminName)
{
    [JsonPropertyOrder(-1)] public string Type => "assignment";
}

/// <summary>To admins: the conversation's whole tag list after a tag was put on or taken off.</summary>
public sealed record TagsFrame(Guid ConversationId, IReadOnlyList<Tag> Tags)
{
    [JsonPropertyOrder(-1)] public string Type => "tags";
}

/// <summary>To admins: a tag was created, renamed, recoloured or deleted; reload the tags and the conversation list.</summary>
public sealed record TagsChangedFrame
{
    [JsonPropertyOrder(-1)] public string Type => "tags-changed";
}

public sealed record ErrorFrame(string Error, string Message, string? ClientMsgId)
{
    [JsonPropertyOrder(-1)] public string Type => "error";
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(VisitorWelcomeFrame))]
[JsonSerializable(typeof(AdminWelcomeFrame))]
[JsonSerializable(typeof(AckFrame))]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(TypingFrame))]
[JsonSerializable(typeof(ReadFrame))]
[JsonSerializable(typeof(HistoryFrame))]
[JsonSerializable(typeof(PresenceFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(StatusFrame))]
[JsonSerializable(typeof(AssignmentFrame))]
[JsonSerializable(typeof(TagsFrame))]
[JsonSerializable(typeof(TagsChangedFrame))]
partial class ProtocolJson : JsonSerializerContext;

/// <summary>Turns frames into UTF-8 JSON once; the same bytes go to every socket that receives them.</summary>
public static class Frames
{
    public static ClientFrame? Parse(ReadOnlySpan<byte> utf8) => JsonSerializer.Deserialize(utf8, ProtocolJson.Default.ClientFrame);

    /// <summary>The string clientMsgId of a frame that is not a valid ClientFrame (another field has the wrong type), if it has one.</summary>
    public static string? ClientMsgIdOf(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Property names match case-insensitively, as in Parse (web defaults).
                var isId = string.Equals(reader.GetString(), "clientMsgId", StringComparison.OrdinalIgnoreCase);
                reader.Read();
                if (isId && reader.TokenType == JsonTokenType.String) return reader.GetString();
                reader.Skip();
            }
        }
        catch (JsonException) { }
        return null;
    }

    public static byte[] Of(VisitorWelcomeFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, ProtocolJson.Default.VisitorWelcomeFrame);
    public static byte[] Of(AdminWelcomeFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, ProtocolJson.Default.AdminWelcomeFrame);
    public static byte[] Of(AckFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, ProtocolJson.Default.AckFrame);
    public static byte[] Of(MessageView f) => JsonSerializer.SerializeToUtf8Bytes(f, ProtocolJson.Default.MessageView);
    public static byte[] Of(HistoryFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, ProtocolJson.Default.HistoryFrame);
    public static byte[] Of(PresenceFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, ProtocolJson.Default.PresenceFrame);
    public static byte[] Of(ErrorFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, ProtocolJson.Default.ErrorFrame);

    public static byte[] Of(ConversationEvent e) => e switch
    {
        MessageStoredEvent m => Of(MessageView.From(m.Message)),
        TypingEvent t => JsonSerializer.SerializeToUtf8Bytes(new TypingFrame(t.ConversationId, t.Sender, t.Name), ProtocolJson.Default.TypingFrame),
        ReadEvent r => JsonSerializer.SerializeToUtf8Bytes(new ReadFrame(r.ConversationId, r.Reader, r.Seq), ProtocolJson.Default.ReadFrame),
        StatusChangedEvent c => JsonSerializer.SerializeToUtf8Bytes(new StatusFrame(c.ConversationId, c.Status), ProtocolJson.Default.StatusFrame),
        AssignmentChangedEvent a => JsonSerializer.SerializeToUtf8Bytes(new AssignmentFrame(a.ConversationId, a.AdminId, a.AdminName), ProtocolJson.Default.AssignmentFrame),
        TagsChangedEvent g => JsonSerializer.SerializeToUtf8Bytes(new TagsFrame(g.ConversationId, g.Tags), ProtocolJson.Default.TagsFrame),
        TagCatalogChangedEvent => JsonSerializer.SerializeToUtf8Bytes(new TagsChangedFrame(), ProtocolJson.Default.TagsChangedFrame),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "no frame for this event"),
    };

    /// <summary>The one mapping of the domain's refusals to a socket error frame.</summary>
    public static byte[] Error(Problem problem, string? clientMsgId = null) => Of(new ErrorFrame(problem.Code.Wire(), problem.Message, clientMsgId));
}
