using SupportChat.Conversations;

namespace SupportChat.Sockets;

/// <summary>The sockets' own limits (frame size, timers, queues) on top of the conversation limits of the same "Realtime" section.</summary>
public sealed class RealtimeOptions : ConversationOptions
{
    /// <summary>Largest client frame in bytes; a bigger one closes the socket with 1009.</summary>
    public int MaxFrameBytes { get; set; } = 32 * 1024;
    /// <summary>A visitor socket must authenticate within this many seconds, or it is closed with 4408.</summary>
    public int AuthTimeoutSeconds { get; set; } = 5;
    /// <summary>A WebSocket ping goes out every this many seconds; a peer that does not answer within the same time again is dropped.</summary>
    public int PingIntervalSeconds { get; set; } = 20;
    /// <summary>Frames waiting to go out on one socket; a socket whose queue overflows is closed with 4001.</summary>
    public int OutboundQueueCapacity { get; set; } = 256;
    /// <summary>
    /// The same for admin sockets, which get every conversation's frames: at 5,000 messages/s, 256 frames were 51 ms,
    /// and every admin of the chat load run was closed by the first pause longer than that. Admins are few.
    /// </summary>
    public int AdminOutboundQueueCapacity { get; set; } = 4096;
    /// <summary>A single frame that takes longer than this to send aborts the socket.</summary>
    public int SendTimeoutSeconds { get; set; } = 10;
    /// <summary>How long a closing socket waits for the peer's close frame before it is aborted.</summary>
    public int CloseTimeoutSeconds { get; set; } = 2;
    /// <summary>Visitor sessions one IP may create per window.</summary>
    public int VisitorSessionsPerIp { get; set; } = 20;
    public int VisitorSessionWindowSeconds { get; set; } = 60;
    /// <summary>A visitor token unused for this many days is refused.</summary>
    public int VisitorTokenIdleDays { get; set; } = 180;
    /// <summary>An open admin socket re-checks its session this often (revocations in this process close it at once).</summary>
    public int AdminSessionCheckSeconds { get; set; } = 60;

    public TimeSpan AuthTimeout => TimeSpan.FromSeconds(AuthTimeoutSeconds);
    public TimeSpan PingInterval => TimeSpan.FromSeconds(PingIntervalSeconds);
    public TimeSpan SendTimeout => TimeSpan.FromSeconds(SendTimeoutSeconds);
    public TimeSpan CloseTimeout => TimeSpan.FromSeconds(CloseTimeoutSeconds);

    /// <summary>The socket settings' errors; the conversation limits are validated as ConversationOptions.</summary>
    public IEnumerable<string> SocketErrors()
    {
        if (MaxFrameBytes < MaxBodyChars * 4 + 1024 || MaxFrameBytes > 4 * 1024 * 1024)
            yield return $"Realtime:MaxFrameBytes is {MaxFrameBytes}: expected at least MaxBodyChars * 4 + 1024 ({MaxBodyChars * 4 + 1024}) and at most 4194304";
        if (AuthTimeoutSeconds is < 1 or > 300) yield return $"Realtime:AuthTimeoutSeconds is {AuthTimeoutSeconds}: expected 1 to 300";
        if (PingIntervalSeconds is < 1 or > 3600) yield return $"Realtime:PingIntervalSeconds is {PingIntervalSeconds}: expected 1 to 3600";
        if (OutboundQueueCapacity is < 4 or > 100_000) yield return $"Realtime:OutboundQueueCapacity is {OutboundQueueCapacity}: expected 4 to 100000";
        if (AdminOutboundQueueCapacity is < 4 or > 100_000) yield return $"Realtime:AdminOutboundQueueCapacity is {AdminOutboundQueueCapacity}: expected 4 to 100000";
        if (SendTimeoutSeconds is < 1 or > 600) yield return $"Realtime:SendTimeoutSeconds is {SendTimeoutSeconds}: expected 1 to 600";
        if (CloseTimeoutSeconds is < 1 or > 60) yield return $"Realtime:CloseTimeoutSeconds is {CloseTimeoutSeconds}: expected 1 to 60";
        if (VisitorSessionsPerIp is < 1 or > 1_000_000) yield return $"Realtime:VisitorSessionsPerIp is {VisitorSessionsPerIp}: expected 1 to 1000000";
        if (VisitorSessionWindowSeconds is < 1 or > 86_400) yield return $"Realtime:VisitorSessionWindowSeconds is {VisitorSessionWindowSeconds}: expected 1 to 86400";
        if (VisitorTokenIdleDays is < 1 or > 3650) yield return $"Realtime:VisitorTokenIdleDays is {VisitorTokenIdleDays}: expected 1 to 3650";
        if (AdminSessionCheckSeconds is < 1 or > 3600) yield return $"Realtime:AdminSessionCheckSeconds is {AdminSessionCheckSeconds}: expected 1 to 3600";
    }
}
