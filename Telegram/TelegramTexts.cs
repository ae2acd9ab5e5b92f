using System.Text.RegularExpressions;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SupportChat.Telegram;

/// <summary>
/// The bot's texts from the translation files (wwwroot/i18n/{lang}.json, keys "telegram.*"), in Telegram's HTML parse
/// mode: the templates are trusted HTML; every value put into them is escaped.
/// </summary>
public sealed partial class TelegramTexts
{
    // Telegram refuses messages over 4096 characters; a visitor's text is cut well below, leaving room for the template.
    const int MaxQuotedChars = 3000;
    readonly IReadOnlyDictionary<string, string> texts;
    readonly IReadOnlyDictionary<string, string> english;

    public TelegramTexts(IOptions<TelegramOptions> options)
    {
        english = Load("en");
        texts = options.Value.Language == "en" ? english : Load(options.Value.Language);
    }

    static IReadOnlyDictionary<string, string> Load(string language)
    {
        using var stream = typeof(TelegramTexts).Assembly.GetManifestResourceStream($"i18n/{language}.json")
            ?? throw new InvalidOperationException($"The translation file wwwroot/i18n/{language}.json is not embedded");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(stream)!
            .Where(p => p.Key.StartsWith("telegram.", StringComparison.Ordinal))
            .ToDictionary();
    }

    /// <summary>The template for key with each {name} replaced by its value, HTML-escaped.</summary>
    public string Format(string key, params (string Name, string? Value)[] values)
    {
        var template = texts.GetValueOrDefault(key) ?? english.GetValueOrDefault(key) ?? key;
        // One pass, so that a value containing "{text}" is never substituted again.
        return Placeholder().Replace(template, m =>
            values.FirstOrDefault(v => v.Name == m.Groups[1].Value) is { Name: not null } v ? Escape(v.Value ?? "") : m.Value);
    }

    [GeneratedRegex(@"\{(\w+)\}")] private static partial Regex Placeholder();

    /// <summary>Escapes text for Telegram's HTML parse mode, which needs exactly &amp;, &lt; and &gt; escaped (and " inside attributes).</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>Cuts long text (by code points, never inside a surrogate pair) and marks the cut.</summary>
    public static string Shorten(string text, int maxChars = MaxQuotedChars)
    {
        if (text.Length <= maxChars) return text;
        var cut = maxChars;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut] + "…";
    }
}
