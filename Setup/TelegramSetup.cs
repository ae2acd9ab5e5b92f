using Microsoft.Extensions.Options;
using SupportChat.Data;
using SupportChat.Telegram;
using Telegram.Bot;

namespace SupportChat.Setup;

/// <summary>Telegram is optional: off (one start-up line says so) unless Telegram:BotToken is set.</summary>
public static class TelegramSetup
{
    public const string HttpClientName = "telegram";

    public static void AddTelegram(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // The link endpoints answer while Telegram is off too (status: off; a new link: unavailable).
        services.AddSingleton<TelegramLinks>();
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{TelegramOptions.Section}:BotToken"]))
        {
            services.AddStartupNote("Telegram is off (Telegram:BotToken is not set): admins are notified in the console only");
            return;
        }
        var mode = builder.Configuration[$"{TelegramOptions.Section}:Mode"] ?? nameof(TelegramMode.Polling);
        services.AddStartupNote($"Telegram is on ({mode})");
        // The client's request logging writes every URL, and a Bot API URL holds the token (/bot<TOKEN>/method).
        services.AddHttpClient(HttpClientName).RemoveAllLoggers();
        services.AddSingleton<ITelegramBotClient>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TelegramOptions>>().Value;
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            // Telegram slow or down must never hold a send for long; long polls get their own wait on top.
            http.Timeout = TimeSpan.FromSeconds(o.RequestTimeoutSeconds);
            // The outbox honours 429 itself (TelegramSender), so the client never sleeps inside a request.
            return new TelegramBotClient(new TelegramBotClientOptions(o.BotToken!, o.ApiBaseUrl) { RetryThreshold = 0, RetryCount = 0 }, http);
        });
        services.AddSingleton<TelegramTexts>();
        services.AddSingleton<IMessageOutbox, TelegramNotifications>();
        services.AddSingleton<TelegramSender>();
        services.AddHostedService(sp => sp.GetRequiredService<TelegramSender>());
        services.AddSingleton<TelegramUpdates>();
        services.AddHostedService<TelegramReceiver>();
    }
}
