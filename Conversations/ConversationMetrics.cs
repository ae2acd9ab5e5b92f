using Prometheus;

namespace SupportChat.Conversations;

/// <summary>Prometheus metrics of the conversations themselves, whichever transport the messages came by.</summary>
public static class ConversationMetrics
{
    public static readonly Counter MessagesStored = Metrics.CreateCounter(
        "supportchat_messages_total", "Messages stored, by sender kind (rate() gives messages per second).",
        new CounterConfiguration { LabelNames = ["sender"] });
}
