using Prometheus;
using StackExchange.Redis;
using SupportChat.Conversations;

namespace SupportChat.Scaleout;

/// <summary>
/// The circuit breaker in front of Redis: down as soon as a connection drops or a call fails, up again only when a
/// background probe gets answers on both the command and the subscription connection. Restored fires once per outage.
/// </summary>
public sealed class BackplaneState : BackgroundService, IBackplaneState
{
    static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);
    static readonly Gauge Connected = Metrics.CreateGauge("supportchat_backplane_connected",
        "1 while this instance reaches the Redis backplane, 0 while it runs on its local fallbacks.");
    readonly IConnectionMultiplexer redis;
    readonly ILogger<BackplaneState> log;
    readonly SemaphoreSlim wake = new(0);
    readonly Lock gate = new();
    volatile bool up;

    public BackplaneState(IConnectionMultiplexer redis, ILogger<BackplaneState> log)
    {
        this.redis = redis;
        this.log = log;
        up = redis.IsConnected;
        Connected.Set(up ? 1 : 0);
        if (!up) log.LogWarning("Redis backplane unreachable at start-up; running on local fallbacks until it answers");
        redis.ConnectionFailed += (_, e) => MarkDown(e.Exception, $"{e.ConnectionType} connection failed ({e.FailureType})");
        // The multiplexer reconnected: probe now rather than at the next interval.
        redis.ConnectionRestored += (_, _) => Wake();
    }

    public bool IsUp => up;

    /// <summary>Since when Redis has been down (UTC); null while it is up.</summary>
    public DateTime? DownSince { get; private set; }

    /// <summary>When the latest outage began (UTC); MinValue if there was none.</summary>
    public DateTime LastDownAt { get; private set; }

    /// <summary>Raised on the probe's thread when Redis answers again after an outage.</summary>
    public event Action? Restored;

    public void ReportFailure(Exception ex) => MarkDown(ex, ex.GetType().Name);

    void MarkDown(Exception? ex, string why)
    {
        lock (gate)
        {
            if (!up) return;
            up = false;
            DownSince = LastDownAt = DateTime.UtcNow;
        }
        Connected.Set(0);
        log.LogWarning(ex, "Redis backplane down ({Reason}); running on local fallbacks and probing every {ProbeMs} ms", why, ProbeInterval.TotalMilliseconds);
        Wake();
    }

    void Wake()
    {
        if (wake.CurrentCount == 0) wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (up) await wake.WaitAsync(ct);
                else await wake.WaitAsync(ProbeInterval, ct);
                if (!up && await AnswersAsync()) MarkUp();
            }
        }
        catch (OperationCanceledException) { }
    }

    async Task<bool> AnswersAsync()
    {
        try
        {
            // The subscriber's ping travels on the subscription connection, after any re-subscription queued on it.
            await Task.WhenAll(redis.GetDatabase().PingAsync(), redis.GetSubscriber().PingAsync()).WaitAsync(ProbeTimeout);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            return false;
        }
    }

    void MarkUp()
    {
        DateTime? since;
        lock (gate)
        {
            if (up) return;
            up = true;
            since = DownSince;
            DownSince = null;
        }
        Connected.Set(1);
        log.LogWarning("Redis backplane back after {DownSeconds:0.0} s", (DateTime.UtcNow - since)?.TotalSeconds ?? 0);
        try { Restored?.Invoke(); }
        catch (Exception ex) { log.LogError(ex, "Handling the backplane's return failed"); }
    }
}
