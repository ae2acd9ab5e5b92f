using System.Threading.RateLimiting;
using Prometheus;
using StackExchange.Redis;
using SupportChat.Conversations;

namespace SupportChat.Scaleout;

/// <summary>
/// Token buckets every instance shares through Redis (on Redis's clock), so a budget spent half on one instance and half
/// on another is spent. While the backplane breaker (IBackplaneState) says Redis is down, each instance falls back at once to buckets of its own: a limit
/// still holds per instance, and no request waits for a Redis timeout.
/// </summary>
public sealed class SharedRateLimits : IRateBudgets, IDisposable
{
    // Tokens refill continuously at rate per millisecond up to burst; cost 0 only looks. Returns 0, or the milliseconds to wait.
    const string TakeScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1])
        local at = tonumber(state[2])
        if tokens == nil then tokens = burst; at = now end
        tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
        if tokens < 1 then return math.ceil((1 - tokens) / rate) end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - tonumber(ARGV[3])), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
        return 0
        """;

    public static readonly Counter Rejections = Metrics.CreateCounter(
        "supportchat_rate_limit_rejections_total", "Requests refused by a rate limit, by limit.", new CounterConfiguration { LabelNames = ["limit"] });

    readonly IConnectionMultiplexer? redis;
    readonly IBackplaneState? backplane;
    readonly PartitionedRateLimiter<(RateBudget Budget, string Key)> local = PartitionedRateLimiter.Create<(RateBudget Budget, string Key), string>(r =>
        RateLimitPartition.GetTokenBucketLimiter(r.Budget.Limit + ":" + r.Key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = r.Budget.Burst,
            TokensPerPeriod = r.Budget.Tokens,
            ReplenishmentPeriod = r.Budget.Period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public SharedRateLimits(IConnectionMultiplexer? redis = null, IBackplaneState? backplane = null)
    {
        this.redis = redis;
        this.backplane = backplane;
    }

    public async ValueTask<TimeSpan?> TryTakeAsync(RateBudget budget, string key, bool peek = false)
    {
        var (asked, wait) = await SharedAsync(budget, key, peek);
        if (!asked) wait = Local(budget, key, peek);
        if (wait is not null) Rejections.WithLabels(budget.Limit).Inc();
        return wait;
    }

    /// <summary>Redis's answer, or Asked false when Redis is not there to ask.</summary>
    async ValueTask<(bool Asked, TimeSpan? Wait)> SharedAsync(RateBudget budget, string key, bool peek)
    {
        if (redis is null || backplane?.IsUp == false) return (false, null);
        try
        {
            var ratePerMs = budget.Tokens / budget.Period.TotalMilliseconds;
            var waitMs = (long)await redis.GetDatabase().ScriptEvaluateAsync(TakeScript, [$"sc:limit:{budget.Limit}:{key}"],
                [ratePerMs, budget.Burst, peek ? 0 : 1]);
            return (true, waitMs == 0 ? null : TimeSpan.FromMilliseconds(waitMs));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The breaker logs the outage once and probes for Redis's return; until then every limit answers locally.
            backplane?.ReportFailure(ex);
            return (false, null);
        }
    }

    TimeSpan? Local(RateBudget budget, string key, bool peek)
    {
        // Not AttemptAcquire(0): that succeeds on any fraction of a token the bucket has refilled.
        if (peek)
            return local.GetStatistics((budget, key))?.CurrentAvailablePermits >= 1 ? null : budget.Period / budget.Tokens;
        using var lease = local.AttemptAcquire((budget, key));
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : budget.Period;
    }

    public void Dispose() => local.Dispose();
}
