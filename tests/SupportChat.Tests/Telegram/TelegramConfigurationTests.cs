using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Telegram;

/// <summary>The shipped service refuses a bad Telegram setting at start-up with one line naming it.</summary>
public sealed class TelegramConfigurationTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    Dictionary<string, string> Valid() => new()
    {
        ["Database:ConnectionString"] = db.ConnectionString,
        ["Server:Port"] = AppProcess.FreePort().ToString(),
        ["Telegram:BotToken"] = FakeBotApi.Token,
        ["Telegram:BotUsername"] = TelegramHost.BotUsername,
        ["Telegram:AdminChatIds:0"] = TelegramHost.AdminChat.ToString(),
    };

    [Theory]
    [InlineData("Telegram:AdminChatIds:0", null, "Telegram:AdminChatIds")]
    [InlineData("Telegram:Mode", "Webhook", "Telegram:WebhookSecret")]
    [InlineData("Telegram:Mode", "Push", "Telegram:Mode")]
    [InlineData("Telegram:NotifyVisitorMessages", "Sometimes", "Telegram:NotifyVisitorMessages")]
    public async Task A_bad_setting_stops_start_up_naming_it(string key, string? value, string named)
    {
        var settings = Valid();
        if (value is null) settings.Remove(key);
        else settings[key] = value;
        Assert.Contains(named, await AppProcess.ExpectStartupFailureAsync(settings));
    }
}
