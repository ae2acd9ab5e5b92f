using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using SupportChat.Conversations;
using SupportChat.Scaleout;

namespace SupportChat.Setup;

/// <summary>
/// Several instances behind a load balancer: with Redis:ConnectionString set, conversation events fan out through Redis
/// pub/sub, presence and the visitors' message budgets are shared, and the list cache lives in Redis. Without it,
/// the same services run in this process and one instance behaves as before.
/// </summary>
public static class ScaleoutSetup
{
    public static void AddScaleout(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddMemoryCache();
        services.AddSingleton<ConversationListCache>();
        services.AddSingleton<VisitorMessageBudget>();

        var connectionString = builder.Configuration[$"{RedisOptions.Section}:ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            services.AddStartupNote("Redis is off (Redis:ConnectionString is not set): single instance, fan-out and rate limits stay in this process");
            return;
        }
        services.AddStartupNote("Redis is on: events, presence, message budgets, HTTP rate limits and the list cache are shared by every instance");
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            // Reading the validated options first turns a malformed setting into the one-line start-up failure.
            var config = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<RedisOptions>>().Value.ConnectionString!);
            // Start even while Redis is down; the multiplexer reconnects by itself and readiness reports degraded.
            config.AbortOnConnectFail = false;
            // While disconnected a call fails at once instead of queueing until the command timeout; BackplaneState then
            // sends everything to the local fallbacks. Reconnect attempts every half second keep instances' returns together.
            config.BacklogPolicy = BacklogPolicy.FailFast;
            config.ReconnectRetryPolicy = new LinearRetry(250);
            config.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            return ConnectionMultiplexer.Connect(config);
        });
        services.AddSingleton<InstanceId>();
        services.AddSingleton<BackplaneState>();
        services.AddSingleton<IBackplaneState>(sp => sp.GetRequiredService<BackplaneState>());
        services.AddHostedService(sp => sp.GetRequiredService<BackplaneState>());
        services.Replace(ServiceDescriptor.Singleton<IConversationEventBus, RedisEventBus>());
        services.AddSingleton<RedisPresence>();
        services.AddSingleton<ISharedPresence>(sp => sp.GetRequiredService<RedisPresence>());
        services.AddSingleton<ISharedListCache, RedisListCache>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisPresence>());
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, ["ready"]);
    }
}
