using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Scaleout;

/// <summary>Every test gets two real instances (a and b) on the class's database and a Redis server of its own.</summary>
public abstract class TwoInstancesTest(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    protected readonly TestDatabase db = database;
    protected PrivateRedis redis = null!;
    protected RealtimeHost a = null!;
    protected RealtimeHost b = null!;

    /// <summary>Settings both instances get besides the shared Redis.</summary>
    protected virtual Dictionary<string, string?> Settings => [];

    /// <summary>The instances' Redis client timeouts (connect and command).</summary>
    protected virtual int RedisTimeoutMilliseconds => 1000;

    public async Task InitializeAsync()
    {
        redis = await PrivateRedis.StartAsync();
        var settings = new Dictionary<string, string?>(Settings) { ["Redis:ConnectionString"] = redis.ConnectionStringWithTimeouts(RedisTimeoutMilliseconds) };
        a = new RealtimeHost(db.ConnectionString, settings);
        b = new RealtimeHost(db.ConnectionString, settings);
    }

    public async Task DisposeAsync()
    {
        await a.DisposeAsync();
        await b.DisposeAsync();
        await redis.DisposeAsync();
    }
}
