using System.Text.Json.Serialization;

namespace SupportChat.Data;

/// <summary>Who wrote a message; in the database (sender_kind) and on the wire as "visitor", "admin" or "note" (an admin's private note).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SenderKind>))]
public enum SenderKind
{
    [JsonStringEnumMemberName("visitor")] Visitor,
    [JsonStringEnumMemberName("admin")] Admin,
    [JsonStringEnumMemberName("note")] Note,
}

/// <summary>A conversation's status; in the database and on the wire as "open", "pending" or "closed".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConversationStatus>))]
public enum ConversationStatus
{
    [JsonStringEnumMemberName("open")] Open,
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("closed")] Closed,
}

/// <summary>The strings the database and clients know; Dapper reads them into the enums by name, SQL parameters take Wire().</summary>
public static class Kinds
{
    public static string Wire(this SenderKind kind) => kind switch
    {
        SenderKind.Visitor => "visitor",
        SenderKind.Admin => "admin",
        SenderKind.Note => "note",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string Wire(this ConversationStatus status) => status switch
    {
        ConversationStatus.Open => "open",
        ConversationStatus.Pending => "pending",
        ConversationStatus.Closed => "closed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The status a client wrote ("open", "pending", "closed"), or null for anything else.</summary>
    public static ConversationStatus? StatusOf(string? wire) => wire switch
    {
        "open" => ConversationStatus.Open,
        "pending" => ConversationStatus.Pending,
        "closed" => ConversationStatus.Closed,
        _ => null,
    };
}
