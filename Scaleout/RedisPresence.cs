using System.Collections.Concurrent;
using StackExchange.Redis;
using SupportChat.Conversations;

namespace SupportChat.Scaleout;

/// <summary>
/// Who is online across instances. Each instance records its own online visitors (per conversation) and whether it has
/// admins, as sorted-set entries scored by an expiry time that a heartbeat keeps moving; an instance that dies simply
/// stops refreshing its entries. Queries answer null at once while Redis is down, and the caller uses its own sockets;
/// when Redis is back this instance's entries are written again straight away (a restarted Redis has none).
/// </summary>
public sealed class RedisPresence : BackgroundService, ISharedPresence
{
    static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);
    const string AdminsKey = "sc:presence:admins";
    readonly ConcurrentDictionary<Guid, byte> visitors = new();
    volatile bool admins;
    readonly IConnectionMultiplexer redis;
    readonly InstanceId instance;
    readonly BackplaneState backplane;
    readonly ILogger<RedisPresence> log;

    public RedisPresence(IConnectionMultiplexer redis, InstanceId instance, BackplaneState backplane, ILogger<RedisPresence> log)
    {
        this.redis = redis;
        this.instance = instance;
        this.backplane = backplane;
        this.log = log;
        backplane.Restored += () => _ = RefreshAsync();
    }

    static RedisKey VisitorKey(Guid conversationId) => "sc:presence:v:" + conversationId.ToString("N");
    static double Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    static double Expiry => DateTimeOffset.UtcNow.Add(Lifetime).ToUnixTimeMilliseconds();

    public Task SetVisitorAsync(Guid conversationId, bool online)
    {
        if (online) visitors[conversationId] = 0;
        else visitors.TryRemove(conversationId, out _);
        return TryAsync(async db =>
        {
            if (!online) await db.SortedSetRemoveAsync(VisitorKey(conversationId), instance.Value);
            else
            {
                await db.SortedSetAddAsync(VisitorKey(conversationId), instance.Value, Expiry);
                await db.KeyExpireAsync(VisitorKey(conversationId), Lifetime * 2);
            }
            return true;
        });
    }

    public Task SetAdminsAsync(bool any)
    {
        admins = any;
        return TryAsync(async db => any
            ? await db.SortedSetAddAsync(AdminsKey, instance.Value, Expiry)
            : await db.SortedSetRemoveAsync(AdminsKey, instance.Value));
    }

    /// <summary>Whether an admin is online on any instance; false when Redis cannot say.</summary>
    public async Task<bool> AdminsOnlineAsync() =>
        await TryAsync<bool?>(async db => await db.SortedSetLengthAsync(AdminsKey, Now, double.PositiveInfinity) > 0) == true;

    /// <summary>Which of these conversations have their visitor online on any instance; none when Redis cannot say.</summary>
    public async Task<HashSet<Guid>> OnlineVisitorsAsync(IReadOnlyCollection<Guid> conversationIds) => await TryAsync<HashSet<Guid>?>(async db =>
    {
        var now = Now;
        var batch = db.CreateBatch();
        var counts = conversationIds.Select(id => (id, count: batch.SortedSetLengthAsync(VisitorKey(id), now, double.PositiveInfinity))).ToList();
        batch.Execute();
        await Task.WhenAll(counts.Select(c => c.count));
        return counts.Where(c => c.count.Result > 0).Select(c => c.id).ToHashSet();
    }) ?? [];

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Heartbeat);
        while (await timer.WaitForNextTickAsync(ct)) await RefreshAsync();
    }

    Task RefreshAsync() => TryAsync(async db =>
    {
        var expiry = Expiry;
        var batch = db.CreateBatch();
        var writes = new List<Task>();
        if (admins) writes.Add(batch.SortedSetAddAsync(AdminsKey, instance.Value, expiry));
        foreach (var id in visitors.Keys)
        {
            writes.Add(batch.SortedSetAddAsync(VisitorKey(id), instance.Value, expiry));
            writes.Add(batch.KeyExpireAsync(VisitorKey(id), Lifetime * 2));
        }
        batch.Execute();
        await Task.WhenAll(writes);
        return true;
    });

    async Task<T?> TryAsync<T>(Func<IDatabase, Task<T>> action)
    {
        if (!backplane.IsUp) return default;
        try
        {
            return await action(redis.GetDatabase());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            backplane.ReportFailure(ex);
            log.LogDebug(ex, "Presence in Redis unavailable");
            return default;
        }
        // Shutting down: the multiplexer is disposed before the last announcement runs.
        catch (ObjectDisposedException) { return default; }
    }
}
