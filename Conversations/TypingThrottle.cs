using System.Collections.Concurrent;

namespace SupportChat.Conversations;

/// <summary>
/// At most one typing event per Realtime:TypingThrottleMilliseconds for each visitor (all its tabs together) or admin,
/// per conversation. Per instance: with several instances, tabs on two of them are throttled apart.
/// </summary>
public sealed class TypingThrottle(int windowMilliseconds)
{
    // Past this many typists the stale entries are dropped, so that visitors long gone do not stay in memory.
    const int PruneAbove = 10_000;
    readonly ConcurrentDictionary<(long? AdminId, Guid? VisitorId, Guid ConversationId), long> lastAt = new();

    /// <summary>True when this typist may be announced now (and the window starts again); false inside its window.</summary>
    public bool TryPass(Sender sender, Guid conversationId)
    {
        var now = Environment.TickCount64;
        var key = (sender.AdminId, sender.VisitorId, conversationId);
        while (true)
        {
            if (!lastAt.TryGetValue(key, out var last))
            {
                if (!lastAt.TryAdd(key, now)) continue;
                if (lastAt.Count > PruneAbove) Prune(now);
                return true;
            }
            if (now - last < windowMilliseconds) return false;
            if (lastAt.TryUpdate(key, now, last)) return true;
        }
    }

    void Prune(long now)
    {
        foreach (var (key, last) in lastAt)
            if (now - last >= windowMilliseconds) lastAt.TryRemove(new KeyValuePair<(long?, Guid?, Guid), long>(key, last));
    }
}
