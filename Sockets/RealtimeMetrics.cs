using Prometheus;

namespace SupportChat.Sockets;

/// <summary>Prometheus metrics of the realtime service.</summary>
public static class RealtimeMetrics
{
    public static readonly Gauge OpenSockets = Metrics.CreateGauge(
        "supportchat_sockets_open", "Open WebSockets by kind.", new GaugeConfiguration { LabelNames = ["kind"] });

    public static readonly Gauge OutboundQueueDepth = Metrics.CreateGauge(
        "supportchat_outbound_queue_depth", "Frames waiting in all sockets' outbound queues.");

    public static readonly Counter SlowSocketsClosed = Metrics.CreateCounter(
        "supportchat_sockets_closed_slow_total", "Sockets closed because their outbound queue overflowed or a send timed out.");

    public static readonly Counter GapsFilled = Metrics.CreateCounter(
        "supportchat_socket_gaps_filled_total", "Holes in a socket's message sequence (messages the backplane lost) filled from the database before the next message.");

    public static readonly Histogram DeliveryLatency = Metrics.CreateHistogram(
        "supportchat_delivery_latency_seconds",
        "From a message's arrival at the server to its frame being written to a recipient's socket; origin: local (this instance) or remote (through the backplane).",
        new HistogramConfiguration { LabelNames = ["origin"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });

    // Observed for every frame written to a socket: the labelled children are looked up once, not per frame.
    public static readonly Histogram.Child LocalDelivery = DeliveryLatency.WithLabels("local");
    public static readonly Histogram.Child RemoteDelivery = DeliveryLatency.WithLabels("remote");

    static long queued;

    static RealtimeMetrics() => Metrics.DefaultRegistry.AddBeforeCollectCallback(() => OutboundQueueDepth.Set(Interlocked.Read(ref queued)));

    public static void Queued(int delta) => Interlocked.Add(ref queued, delta);
}
