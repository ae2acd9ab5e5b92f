namespace SupportChat.Conversations;

/// <summary>A named budget: Tokens per Period, up to Burst saved. Limit names the budget in Redis keys and in /metrics.</summary>
public sealed record RateBudget(string Limit, int Burst, int Tokens, TimeSpan Period)
{
    public static RateBudget PerMinute(string limit, int permits) => new(limit, permits, permits, TimeSpan.FromMinutes(1));
}

/// <summary>Token buckets by budget and key (an IP, a session, a visitor), shared by every instance where the backplane allows.</summary>
public interface IRateBudgets
{
    /// <summary>Takes one token of key's budget (or, with peek, only looks); null when allowed, otherwise how long to wait.</summary>
    ValueTask<TimeSpan?> TryTakeAsync(RateBudget budget, string key, bool peek = false);
}
