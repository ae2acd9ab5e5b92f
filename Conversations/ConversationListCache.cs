using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using Prometheus;
using SupportChat.Data;

namespace SupportChat.Conversations;

/// <summary>
/// The first page of the admins' conversation list per filter, cached under the list version (in a store every instance
/// shares when there is one, this process's memory otherwise). Every change that affects lists moves the version in its
/// own transaction, so a page cached before an acknowledged change is never read after it; nothing is ever deleted by
/// pattern, old versions simply expire.
/// </summary>
public sealed class ConversationListCache(NpgsqlDataSource db, IMemoryCache memory, ISharedListCache? shared = null)
{
    static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    static readonly Counter Lookups = Metrics.CreateCounter("supportchat_conversation_list_cache_total",
        "First-page conversation list lookups, by result (hit, miss)", "result");

    /// <summary>The first page for this filter; "me" must already be the admin's id, so that each admin's page has its own key.</summary>
    public async Task<IReadOnlyList<ConversationSummary>> FirstPageAsync(ConversationFilter filter, int limit)
    {
        var version = await ConversationStore.ListVersionAsync(db);
        var key = $"sc:convlist:{version}:{filter.Key}:{limit}";
        // With a shared store, never this process's memory: a page cached here could be older than what another instance acknowledged.
        var cached = shared is null ? memory.Get<IReadOnlyList<ConversationSummary>>(key) : await shared.GetAsync(key);
        if (cached is not null)
        {
            Lookups.WithLabels("hit").Inc();
            return cached;
        }
        Lookups.WithLabels("miss").Inc();
        var rows = await ConversationStore.ListAsync(db, filter, null, null, limit);
        if (shared is null) memory.Set(key, rows, Lifetime);
        else shared.Set(key, rows, Lifetime);
        return rows;
    }
}

/// <summary>List pages in a store every instance reads (Scaleout: Redis); while it is unreachable it answers null and keeps nothing.</summary>
public interface ISharedListCache
{
    Task<IReadOnlyList<ConversationSummary>?> GetAsync(string key);
    void Set(string key, IReadOnlyList<ConversationSummary> rows, TimeSpan lifetime);
}
