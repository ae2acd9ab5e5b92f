using System.Text.Json;
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
/// to the others. While Redis is down each instance keeps serving its own sockets; when the subscription comes back
/// after a failure, subscribers get a BackplaneRestoredEvent, since events from other instances may have been missed.
/// </summary>
public sealed class RedisEventBus : IConversationEventBus
{
    static readonly RedisChannel Channel = RedisChannel.Literal("supportchat:events");
    readonly InProcessEventBus local;
    readonly IConnectionMultiplexer redis;
    readonly string instance;
    readonly ILogger<RedisEventBus> log;
    volatile bool missedEvents;

    sealed record Envelope(string Origin, ConversationEvent Event);

    public RedisEventBus(IConnectionMultiplexer redis, InstanceId instance, ILogger<RedisEventBus> log, ILogger<InProcessEventBus> localLog)
    {
        local = new InProcessEventBus(localLog);
        this.redis = redis;
        this.instance = instance.Value;
        this.log = log;
        // The multiplexer re-subscribes by itself after a reconnect.
        redis.GetSubscriber().SubscribeAsync(Channel, (_, value) => Receive(value)).ContinueWith(
            t => log.LogWarning(t.Exception, "Subscribing to the Redis backplane failed; it is retried when Redis reconnects"),
            TaskContinuationOptions.OnlyOnFaulted);
        redis.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType != ConnectionType.Subscription) return;
            missedEvents = true;
            log.LogWarning("Redis backplane lost ({FailureType}); sockets of this instance are still served", e.FailureType);
        };
        redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType != ConnectionType.Subscription || !missedEvents) return;
            missedEvents = false;
            log.LogWarning("Redis backplane restored; asking this instance's clients to resume");
            local.Publish(new BackplaneRestoredEvent());
        };
    }

    public void Subscribe(Action<ConversationEvent> handler) => local.Subscribe(handler);

    public void Publish(ConversationEvent e)
    {
        local.Publish(e);
        try
        {
            redis.GetSubscriber().Publish(Channel, JsonSerializer.SerializeToUtf8Bytes(new Envelope(instance, e)), CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Other instances miss this one; their clients catch up by resume once the backplane is back.
            missedEvents = true;
        }
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
        // ReceivedAt is the sending process's clock; it means nothing here.
        local.Publish(envelope.Event is MessageStoredEvent m ? m with { ReceivedAt = 0 } : envelope.Event);
    }
}
