using Prometheus;

namespace SupportChat.Telegram;

/// <summary>Prometheus metrics of the Telegram outbox; every instance reports the one shared table.</summary>
public static class TelegramMetrics
{
    public static readonly Gauge OutboxDepth = Metrics.CreateGauge(
        "supportchat_telegram_outbox_depth", "Telegram messages waiting in the outbox (neither sent nor given up), across all instances.");

    public static readonly Gauge OutboxOldestAge = Metrics.CreateGauge(
        "supportchat_telegram_outbox_oldest_age_seconds", "Age of the oldest Telegram message still waiting; 0 when none waits.");
}
