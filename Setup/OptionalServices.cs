using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace SupportChat.Setup;

/// <summary>Redis is optional and says at start-up whether it is on; optional features (Telegram) use AddStartupNote too.</summary>
public static class OptionalServices
{
    public static void AddRedis(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration[$"{RedisOptions.Section}:ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            builder.Services.AddStartupNote("Redis is off (Redis:ConnectionString is not set): single instance, fan-out and rate limits stay in this process");
            return;
        }
        builder.Services.AddStartupNote("Redis is on");
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var config = ConfigurationOptions.Parse(connectionString);
            // Start even while Redis is down; the multiplexer reconnects by itself and readiness reports degraded.
            config.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(config);
        });
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, ["ready"]);
    }

    /// <summary>One line logged at start-up, e.g. that an optional part is off.</summary>
    public static void AddStartupNote(this IServiceCollection services, string note)
    {
        services.AddSingleton(new StartupNote(note));
        services.AddHostedService<StartupNotes>();
    }

    sealed record StartupNote(string Text);

    sealed class StartupNotes(IEnumerable<StartupNote> notes, ILogger<StartupNotes> log) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken ct)
        {
            foreach (var note in notes) log.LogInformation("{StartupNote:l}", note.Text);
            return Task.CompletedTask;
        }
    }

    sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                var rtt = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), ct);
                return HealthCheckResult.Healthy($"ping {rtt.TotalMilliseconds:0.#} ms");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "Redis unreachable", ex);
            }
        }
    }
}
