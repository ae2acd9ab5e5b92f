using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using Prometheus;
using StackExchange.Redis;
using SupportChat.Data;

namespace SupportChat.Scaleout;

/// <summary>
/// The first page of the admins' conversation list per filter, cached under the list version (Redis with several
/// instances, this process's memory otherwise). Every change that affects lists moves the version in its own
/// transaction, so a page cached before an acknowledged change is never read after it; nothing is ever deleted by
/// pattern, old versions simply expire.
/// </summary>
public sealed class ConversationListCache(
    NpgsqlDataSource db, IMemoryCache memory, ILogger<ConversationListCache> log, IConnectionMultiplexer? redis = null, BackplaneState? backplane = null)
{
    static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    static readonly Counter Lookups = Metrics.CreateCounter("supportchat_conversation_list_cache_total",
        "First-page conversation list lookups, by result (hit, miss)", "result");

    /// <summary>The first page for this filter; "me" must already be the admin's id, so that each admin's page has its own key.</summary>
    public async Task<IReadOnlyList<ConversationSummary>> FirstPageAsync(ConversationFilter filter, int limit)
    {
        var version = await ConversationStore.ListVersionAsync(db);
        var key = $"sc:convlist:{version}:{filter.Key}:{limit}";
        if (await GetAsync(key) is { } cached)
        {
            Lookups.WithLabels("hit").Inc();
            return cached;
        }
        Lookups.WithLabels("miss").Inc();
        var rows = await ConversationStore.ListAsync(db, filter, null, null, limit);
        Set(key, rows);
        return rows;
    }

    async Task<IReadOnlyList<ConversationSummary>?> GetAsync(string key)
    {
        if (redis is null) return memory.Get<IReadOnlyList<ConversationSummary>>(key);
        // Down: straight to the database (a page cached here could be older than what another instance acknowledged).
        if (backplane?.IsUp == false) return null;
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(key);
            return value.HasValue ? JsonSerializer.Deserialize<List<ConversationSummary>>((byte[])value!) : null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            backplane?.ReportFailure(ex);
            log.LogDebug(ex, "Conversation list cache unavailable");
            return null;
        }
    }

    void Set(string key, IReadOnlyList<ConversationSummary> rows)
    {
        if (redis is null)
        {
            memory.Set(key, rows, Lifetime);
            return;
        }
        if (backplane?.IsUp == false) return;
        try
        {
            redis.GetDatabase().StringSet(key, JsonSerializer.SerializeToUtf8Bytes(rows), Lifetime, flags: CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            backplane?.ReportFailure(ex);
            log.LogDebug(ex, "Conversation list cache unavailable");
        }
    }
}
