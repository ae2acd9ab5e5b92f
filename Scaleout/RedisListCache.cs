using System.Text.Json;
using StackExchange.Redis;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Scaleout;

/// <summary>The conversation list cache's pages in Redis, shared by every instance; skipped while the backplane is down.</summary>
public sealed class RedisListCache(IConnectionMultiplexer redis, BackplaneState backplane, ILogger<RedisListCache> log) : ISharedListCache
{
    public async Task<IReadOnlyList<ConversationSummary>?> GetAsync(string key)
    {
        // Down: straight to the database.
        if (!backplane.IsUp) return null;
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(key);
            return value.HasValue ? JsonSerializer.Deserialize<List<ConversationSummary>>((byte[])value!) : null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            backplane.ReportFailure(ex);
            log.LogDebug(ex, "Conversation list cache unavailable");
            return null;
        }
    }

    public void Set(string key, IReadOnlyList<ConversationSummary> rows, TimeSpan lifetime)
    {
        if (!backplane.IsUp) return;
        try
        {
            redis.GetDatabase().StringSet(key, JsonSerializer.SerializeToUtf8Bytes(rows), lifetime, flags: CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            backplane.ReportFailure(ex);
            log.LogDebug(ex, "Conversation list cache unavailable");
        }
    }
}
