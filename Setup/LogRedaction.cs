using System.Text.RegularExpressions;
using Npgsql;
using Serilog.Events;
using Serilog.Formatting;
using StackExchange.Redis;

namespace SupportChat.Setup;

/// <summary>
/// The second line of defence for "no secret in any log": every line is masked as it is written, whichever library
/// logged it and wherever the secret sits (message, property, scope, exception). The first line is not logging
/// secrets at all (e.g. TelegramSetup removes the HTTP client's request logging, whose URLs hold the bot token).
/// </summary>
public sealed partial class LogRedaction(ITextFormatter inner, IReadOnlyList<string> secrets) : ITextFormatter
{
    public const string Mask = "***";
    // Shorter values would mask ordinary words; every secret setting is longer (Telegram:WebhookSecret needs 16).
    const int ShortestSecret = 8;

    /// <summary>The secrets the configuration holds: the bot token, the webhook secret, the database and Redis passwords.</summary>
    public static IReadOnlyList<string> SecretsOf(IConfiguration configuration)
    {
        var values = new List<string?> { configuration["Telegram:BotToken"], configuration["Telegram:WebhookSecret"] };
        // A malformed connection string stops start-up elsewhere, with its own message.
        try { values.Add(new NpgsqlConnectionStringBuilder(configuration["Database:ConnectionString"]).Password); }
        catch (ArgumentException) { }
        try { if (configuration["Redis:ConnectionString"] is { Length: > 0 } redis) values.Add(ConfigurationOptions.Parse(redis).Password); }
        catch (ArgumentException) { }
        return values.Where(v => v is { Length: >= ShortestSecret }).Select(v => v!).Distinct().ToList();
    }

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var line = new StringWriter();
        inner.Format(logEvent, line);
        output.Write(Redact(line.ToString()));
    }

    public string Redact(string text)
    {
        foreach (var secret in secrets) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return BotToken().Replace(text, Mask);
    }

    // Any Telegram bot token (digits, a colon, 35 characters), configured here or not.
    [GeneratedRegex(@"\d{3,}:[A-Za-z0-9_-]{30,}")] private static partial Regex BotToken();
}
