namespace SupportChat.Conversations;

/// <summary>Where a request or socket came from, as the audit log and session binding record it (null: not known, e.g. Telegram).</summary>
public sealed record RequestOrigin(string? Ip, string? UserAgent, string? Origin)
{
    public static readonly RequestOrigin Unknown = new(null, null, null);
}
