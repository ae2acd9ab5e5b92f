using System.Text.RegularExpressions;

namespace SupportChat.Telegram;

/// <summary>How updates arrive: Polling (getUpdates; no public URL needed) or Webhook (Telegram calls WebhookUrl).</summary>
public enum TelegramMode { Polling, Webhook }

public sealed partial class TelegramOptions
{
    public const string Section = "Telegram";
    /// <summary>The bot token from BotFather; empty means Telegram is off.</summary>
    public string? BotToken { get; set; }
    /// <summary>The bot's username (without @), for the t.me link that links an admin's account.</summary>
    public string? BotUsername { get; set; }
    /// <summary>Chats that receive notifications and may act: admins' private chats (their user id) or a group (negative id).</summary>
    public long[] AdminChatIds { get; set; } = [];
    public TelegramMode Mode { get; set; } = TelegramMode.Polling;
    /// <summary>Webhook mode: Telegram sends it in X-Telegram-Bot-Api-Secret-Token; 16 to 256 of A-Z a-z 0-9 _ -.</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Webhook mode: the public URL Telegram calls; default {Server:PublicUrl}/api/telegram/webhook.</summary>
    public string? WebhookUrl { get; set; }
    /// <summary>When a visitor's later messages are notified: Always, WhenNoAdminOnline (no admin socket open) or Never. A new conversation always is.</summary>
    public string NotifyVisitorMessages { get; set; } = Always;
    /// <summary>Language of the bot's texts (wwwroot/i18n/{Language}.json).</summary>
    public string Language { get; set; } = "en";
    public string ApiBaseUrl { get; set; } = "https://api.telegram.org";
    public int LinkCodeMinutes { get; set; } = 15;
    /// <summary>First retry delay after a failed send; it doubles per attempt up to RetryMaxSeconds. 429 waits Telegram's retry_after instead.</summary>
    public int RetryBaseMilliseconds { get; set; } = 1000;
    public int RetryMaxSeconds { get; set; } = 300;
    /// <summary>How often an idle sender looks for rows written by other instances or due for a retry.</summary>
    public int OutboxPollMilliseconds { get; set; } = 2000;
    public int RequestTimeoutSeconds { get; set; } = 30;
    /// <summary>Polling mode: how long one getUpdates call waits for updates.</summary>
    public int LongPollSeconds { get; set; } = 25;

    public const string Always = "Always", WhenNoAdminOnline = "WhenNoAdminOnline", Never = "Never";

    public bool Enabled => !string.IsNullOrWhiteSpace(BotToken);
    public bool UsesWebhook => Mode == TelegramMode.Webhook;
    public static readonly string[] Languages = ["en", "tr"];

    [GeneratedRegex(@"^\d+:[A-Za-z0-9_-]{20,}$")] private static partial Regex TokenPattern();
    [GeneratedRegex("^[A-Za-z0-9_-]{16,256}$")] private static partial Regex SecretPattern();
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{3,31}$")] private static partial Regex UsernamePattern();

    public IEnumerable<string> Errors()
    {
        if (!Enabled) yield break;
        if (!TokenPattern().IsMatch(BotToken!))
            yield return "Telegram:BotToken is malformed: expected the token BotFather gave, such as 123456:ABC-DEF...";
        if (BotUsername is null || !UsernamePattern().IsMatch(BotUsername.TrimStart('@')))
            yield return $"Telegram:BotUsername is '{BotUsername}': expected the bot's username, such as SupportChatBot";
        if (AdminChatIds.Length == 0)
            yield return "Telegram:AdminChatIds is empty: expected at least one chat id (an admin's user id, or a group's negative id)";
        if (AdminChatIds.Contains(0)) yield return "Telegram:AdminChatIds contains 0: expected Telegram chat ids";
        if (!Enum.IsDefined(Mode)) yield return $"Telegram:Mode is '{Mode}': expected Polling or Webhook";
        if (new[] { Always, WhenNoAdminOnline, Never }.All(v => !string.Equals(v, NotifyVisitorMessages, StringComparison.OrdinalIgnoreCase)))
            yield return $"Telegram:NotifyVisitorMessages is '{NotifyVisitorMessages}': expected Always, WhenNoAdminOnline or Never";
        if (UsesWebhook)
        {
            if (WebhookSecret is null || !SecretPattern().IsMatch(WebhookSecret))
                yield return "Telegram:WebhookSecret is missing, too short or malformed: webhook mode needs 16 to 256 characters of A-Z, a-z, 0-9, _ and -";
            if (WebhookUrl is not null && (!Uri.TryCreate(WebhookUrl, UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http")))
                yield return $"Telegram:WebhookUrl is '{WebhookUrl}': expected an absolute https URL";
        }
        if (!Languages.Contains(Language)) yield return $"Telegram:Language is '{Language}': expected one of {string.Join(", ", Languages)}";
        if (!Uri.TryCreate(ApiBaseUrl, UriKind.Absolute, out var api) || api.Scheme is not ("https" or "http"))
            yield return $"Telegram:ApiBaseUrl is '{ApiBaseUrl}': expected an absolute URL such as https://api.telegram.org";
        if (LinkCodeMinutes is < 1 or > 24 * 60) yield return $"Telegram:LinkCodeMinutes is {LinkCodeMinutes}: expected 1 to 1440";
        if (RetryBaseMilliseconds is < 1 or > 600_000) yield return $"Telegram:RetryBaseMilliseconds is {RetryBaseMilliseconds}: expected 1 to 600000";
        if (RetryMaxSeconds is < 1 or > 24 * 3600) yield return $"Telegram:RetryMaxSeconds is {RetryMaxSeconds}: expected 1 to 86400";
        if (OutboxPollMilliseconds is < 10 or > 600_000) yield return $"Telegram:OutboxPollMilliseconds is {OutboxPollMilliseconds}: expected 10 to 600000";
        if (RequestTimeoutSeconds is < 1 or > 600) yield return $"Telegram:RequestTimeoutSeconds is {RequestTimeoutSeconds}: expected 1 to 600";
        if (LongPollSeconds is < 0 or > 50) yield return $"Telegram:LongPollSeconds is {LongPollSeconds}: expected 0 to 50";
        if (LongPollSeconds >= RequestTimeoutSeconds)
            yield return $"Telegram:LongPollSeconds ({LongPollSeconds}) must be below Telegram:RequestTimeoutSeconds ({RequestTimeoutSeconds})";
    }

    public string LinkBotUsername => BotUsername!.TrimStart('@');
}
