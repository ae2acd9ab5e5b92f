using System.Diagnostics;
using System.Text.Json;
using Prometheus;
using StackExchange.Redis;
using SupportChat.Conversations;

namespace SupportChat.Scaleout;

/// <summary>This process among the instances sharing one Redis.</summary>
public sealed class InstanceId
{
    public string Value { get; } = Guid.NewGuid().ToString("N");
}

/// <summary>
/// Conversation events for every instance: delivered to this process's subscribers at once, and through Redis pub/sub
/// to the others. While Redis is down each instance keeps serving its own sockets; when it answers again, this
/// instance's clients are asked to resync (a BackplaneRestoredEvent), and so are the other instances', since they
/// missed what this one published meanwhile.
/// </summary>
public sealed class RedisEventBus : IConversationEventBus
{
    static readonly RedisChannel Channel = RedisChannel.Literal("supportchat:events");
    // A notice from an instance that came back within this time of this one's own resync asks nothing more of its clients.
    static readonly TimeSpan ResyncWindow = TimeSpan.FromSeconds(2);
    static readonly Counter Resyncs = Metrics.CreateCounter("supportchat_backplane_resyncs_total",
        "Times this instance asked all its clients to resync (4002) after a backplane outage.");
    readonly InProcessEventBus local;
    readonly IConnectionMultiplexer redis;
    readonly BackplaneState backplane;
    readonly string instance;
    readonly ILogger<RedisEventBus> log;
    readonly Lock gate = new();
    DateTime lastResyncAt;

    /// <summary>SentAt: the Unix time in ms when a message arrived at its instance, so receivers can measure delivery latency.</summary>
    sealed record Envelope(string Origin, ConversationEvent Event, long SentAt = 0);

    public RedisEventBus(IConnectionMultiplexer redis, BackplaneState backplane, InstanceId instance, ILogger<RedisEventBus> log, ILogger<InProcessEventBus> localLog)
    {
        local = new InProcessEventBus(localLog);
        this.redis = redis;
        this.backplane = backplane;
        this.instance = instance.Value;
        this.log = log;
        // The multiplexer re-subscribes by itself after a reconnect.
        redis.GetSubscriber().SubscribeAsync(Channel, (_, value) => Receive(value)).ContinueWith(
            t => log.LogWarning(t.Exception, "Subscribing to the Redis backplane failed; it is retried when Redis reconnects"),
            TaskContinuationOptions.OnlyOnFaulted);
        backplane.Restored += () =>
        {
            log.LogWarning("Redis backplane restored; asking the clients of every instance to resync");
            Resync(since: backplane.LastDownAt);
            _ = PublishAsync(new BackplaneRestoredEvent(), locally: false, CommandFlags.FireAndForget);
        };
    }

    public void Subscribe(Action<ConversationEvent> handler) => local.Subscribe(handler);

    public void Publish(ConversationEvent e) => _ = PublishAsync(e, locally: true, CommandFlags.FireAndForget);

    public Task PublishAndWaitAsync(ConversationEvent e) => PublishAsync(e, locally: true, CommandFlags.None);

    // Fire-and-forget completes at once; otherwise PUBLISH answers once Redis has handed the message to every subscriber's connection.
    async Task PublishAsync(ConversationEvent e, bool locally, CommandFlags flags)
    {
        if (locally) local.Publish(e);
        // Down: other instances miss this event; their clients resync when the backplane is back.
        if (!backplane.IsUp) return;
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, Payload(e), flags);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            backplane.ReportFailure(ex);
        }
    }

    byte[] Payload(ConversationEvent e)
    {
        var sentAt = e is MessageStoredEvent { ReceivedAt: not 0 } m
            ? DateTimeOffset.UtcNow.Subtract(Stopwatch.GetElapsedTime(m.ReceivedAt)).ToUnixTimeMilliseconds()
            : 0;
        return JsonSerializer.SerializeToUtf8Bytes(new Envelope(instance, e, sentAt));
    }

    /// <summary>Asks this instance's clients to resync, unless that already happened after since (UTC).</summary>
    void Resync(DateTime since)
    {
        lock (gate)
        {
            if (lastResyncAt > since) return;
            lastResyncAt = DateTime.UtcNow;
        }
        Resyncs.Inc();
        local.Publish(new BackplaneRestoredEvent());
    }

    void Receive(RedisValue value)
    {
        Envelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<Envelope>((byte[])value!);
        }
        catch (JsonException ex)
        {
            log.LogWarning(ex, "Ignoring a backplane message that is not an event");
            return;
        }
        if (envelope is null || envelope.Origin == instance) return;
        switch (envelope.Event)
        {
            case BackplaneRestoredEvent:
                Resync(since: DateTime.UtcNow - ResyncWindow);
                break;
            case MessageStoredEvent m:
                // The arrival time in this process's Stopwatch, from the wall clocks of both (clamped: clocks drift).
                var elapsed = Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - envelope.SentAt);
                var receivedAt = envelope.SentAt == 0 ? 0 : Stopwatch.GetTimestamp() - elapsed * Stopwatch.Frequency / 1000;
                local.Publish(m with { ReceivedAt = receivedAt, Remote = true });
                break;
            default:
                local.Publish(envelope.Event);
                break;
        }
    }
}
