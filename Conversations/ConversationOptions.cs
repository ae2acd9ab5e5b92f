namespace SupportChat.Conversations;

/// <summary>
/// The conversation rules' limits: message size, a visitor's message rate and the typing throttle. They stay in the
/// "Realtime" section (Realtime:MaxBodyChars, ...), where settings files and docs have always had them.
/// </summary>
public class ConversationOptions
{
    public const string Section = "Realtime";

    /// <summary>Longest message body, in characters (Unicode code points) after normalisation.</summary>
    public int MaxBodyChars { get; set; } = 4000;
    /// <summary>Messages a visitor may send per second, across all its sockets, after the burst.</summary>
    public double MessagesPerSecond { get; set; } = 1;
    public int MessageBurst { get; set; } = 5;
    /// <summary>A visitor (all its tabs) or an admin forwards at most one typing event per this many milliseconds.</summary>
    public int TypingThrottleMilliseconds { get; set; } = 2000;

    public IEnumerable<string> Errors()
    {
        if (MaxBodyChars is < 1 or > 100_000) yield return $"Realtime:MaxBodyChars is {MaxBodyChars}: expected 1 to 100000";
        if (MessagesPerSecond is <= 0 or > 10_000) yield return $"Realtime:MessagesPerSecond is {MessagesPerSecond}: expected more than 0 and at most 10000";
        if (MessageBurst is < 1 or > 10_000) yield return $"Realtime:MessageBurst is {MessageBurst}: expected 1 to 10000";
        if (TypingThrottleMilliseconds is < 0 or > 60_000) yield return $"Realtime:TypingThrottleMilliseconds is {TypingThrottleMilliseconds}: expected 0 to 60000";
    }
}
