using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace SupportChat.Scaleout;

/// <summary>Readiness: degraded while Redis is unreachable.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis, BackplaneState backplane) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        // Known down: answer at once; the breaker's probe notices the return.
        if (backplane.DownSince is { } since)
            return new HealthCheckResult(context.Registration.FailureStatus, $"Redis unreachable since {since:O}");
        try
        {
            var rtt = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(1), ct);
            return HealthCheckResult.Healthy($"ping {rtt.TotalMilliseconds:0.#} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            backplane.ReportFailure(ex);
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis unreachable", ex);
        }
    }
}
