using Microsoft.Extensions.Configuration;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Parsing;
using SupportChat.Setup;

namespace SupportChat.Tests.Foundation;

/// <summary>The second line of defence alone: a secret that some library did log is masked in the written line.</summary>
public sealed class LogRedactionTests
{
    const string Token = "987654321:AAHfakeTokenThatLooksReal_0123456789ab";
    const string OtherBotToken = "123456789:ZZZanotherBotsTokenNotConfigured-xyz12";
    const string WebhookSecret = "webhook-secret-0123456789";
    const string DbPassword = "pg-pass-w0rd!";
    const string RedisPassword = "redis-pass-0123";

    [Fact]
    public void Configured_secrets_and_any_bot_token_are_masked_in_message_properties_and_exceptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telegram:BotToken"] = Token,
            ["Telegram:WebhookSecret"] = WebhookSecret,
            ["Database:ConnectionString"] = $"Host=db;Username=app;Password={DbPassword}",
            ["Redis:ConnectionString"] = $"redis:6379,password={RedisPassword}",
        }).Build();
        var redaction = new LogRedaction(new RenderedCompactJsonFormatter(), LogRedaction.SecretsOf(configuration));
        var template = new MessageTemplateParser().Parse("Calling {Uri} with {Header} via {Redis}");
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Verbose,
            new InvalidOperationException($"failed at https://api.telegram.org/bot{OtherBotToken}/getMe with {DbPassword}"), template,
            [
                new LogEventProperty("Uri", new ScalarValue($"https://api.telegram.org/bot{Token}/sendMessage")),
                new LogEventProperty("Header", new ScalarValue(WebhookSecret)),
                new LogEventProperty("Redis", new ScalarValue($"redis:6379,password={RedisPassword}")),
            ]);

        using var output = new StringWriter();
        redaction.Format(logEvent, output);
        var line = output.ToString();

        Assert.DoesNotContain(Token, line);
        Assert.DoesNotContain(Token.Split(':')[1], line);
        Assert.DoesNotContain(OtherBotToken.Split(':')[1], line);
        Assert.DoesNotContain(WebhookSecret, line);
        Assert.DoesNotContain(DbPassword, line);
        Assert.DoesNotContain(RedisPassword, line);
        Assert.Contains("https://api.telegram.org/bot***/sendMessage", line);
        Assert.Contains("InvalidOperationException", line);
    }

    [Fact]
    public void Short_or_missing_settings_mask_nothing_of_ordinary_text()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telegram:WebhookSecret"] = "a",
            ["Database:ConnectionString"] = "not a connection string",
            ["Redis:ConnectionString"] = "redis:6379,password=",
        }).Build();
        var redaction = new LogRedaction(new RenderedCompactJsonFormatter(), LogRedaction.SecretsOf(configuration));
        Assert.Equal("a visitor at 12:30:45 said hello", redaction.Redact("a visitor at 12:30:45 said hello"));
    }
}
