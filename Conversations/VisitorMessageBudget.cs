using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using SupportChat.Sockets;

namespace SupportChat.Conversations;

/// <summary>
/// How many messages a visitor may send: Realtime:MessagesPerSecond with a burst of Realtime:MessageBurst, one budget
/// per visitor across all its sockets. With Redis the budget is one token bucket for every instance; while Redis is
/// unreachable each instance falls back to its own bucket, so the chat keeps working.
/// </summary>
public sealed class VisitorMessageBudget : IDisposable
{
    // Token bucket on Redis's own clock: tokens refill continuously at rate per millisecond up to burst.
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
        local allowed = 0
        if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
        return allowed
        """;

    readonly RealtimeOptions options;
    readonly IConnectionMultiplexer? redis;
    readonly IBackplaneState? backplane;
    readonly PartitionedRateLimiter<Guid> local;

    public VisitorMessageBudget(IOptions<RealtimeOptions> options, IConnectionMultiplexer? redis = null, IBackplaneState? backplane = null)
    {
        this.options = options.Value;
        this.redis = redis;
        this.backplane = backplane;
        var o = this.options;
        var (tokens, period) = o.MessagesPerSecond >= 1
            ? ((int)Math.Round(o.MessagesPerSecond), TimeSpan.FromSeconds(1))
            : (1, TimeSpan.FromSeconds(1 / o.MessagesPerSecond));
        local = PartitionedRateLimiter.Create<Guid, Guid>(visitorId => RateLimitPartition.GetTokenBucketLimiter(visitorId, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = o.MessageBurst,
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes one message from the visitor's budget; false when it is spent.</summary>
    public async ValueTask<bool> TryTakeAsync(Guid visitorId)
    {
        if (redis is not null && backplane?.IsUp != false)
        {
            try
            {
                var allowed = await redis.GetDatabase().ScriptEvaluateAsync(TakeScript, ["sc:budget:" + visitorId.ToString("N")],
                    [options.MessagesPerSecond / 1000.0, options.MessageBurst]);
                return (long)allowed == 1;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException) { backplane?.ReportFailure(ex); }
        }
        using var lease = local.AttemptAcquire(visitorId);
        return lease.IsAcquired;
    }

    public void Dispose() => local.Dispose();
}
