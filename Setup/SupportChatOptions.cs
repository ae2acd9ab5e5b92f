using System.Net;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SupportChat.Setup;

public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public string ConnectionString { get; set; } = "";

    public IEnumerable<string> Errors()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return "Database:ConnectionString is missing: set it (environment variable Database__ConnectionString) to a PostgreSQL connection string such as Host=localhost;Database=supportchat;Username=supportchat;Password=...";
            yield break;
        }
        string? error = null;
        try
        {
            if (string.IsNullOrWhiteSpace(new NpgsqlConnectionStringBuilder(ConnectionString).Host))
                error = "it names no Host";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            error = ex.Message;
        }
        if (error is not null)
            yield return $"Database:ConnectionString is not a valid PostgreSQL connection string ({error}); expected Host=...;Database=...;Username=...;Password=...";
    }
}

public sealed class ServerOptions
{
    public const string Section = "Server";
    public int Port { get; set; } = 8080;
    public string ListenAddress { get; set; } = "127.0.0.1";

    public IEnumerable<string> Errors()
    {
        if (Port is < 1 or > 65535)
            yield return $"Server:Port is {Port}: expected a TCP port from 1 to 65535";
        if (!IPAddress.TryParse(ListenAddress, out _))
            yield return $"Server:ListenAddress is '{ListenAddress}': expected an IP address such as 127.0.0.1 or 0.0.0.0";
    }
}

public sealed class WidgetOptions
{
    public const string Section = "Widget";
    /// <summary>Origins of the customer sites allowed to embed the widget, e.g. https://shop.example.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    public IEnumerable<string> Errors()
    {
        for (var i = 0; i < AllowedOrigins.Length; i++)
            if (NormalizeOrigin(AllowedOrigins[i]) is null)
                yield return $"Widget:AllowedOrigins:{i} is '{AllowedOrigins[i]}': expected an origin such as https://shop.example or http://localhost:8080 (scheme, host and optional port; no path)";
    }

    /// <summary>"https://Shop.example/" becomes "https://shop.example"; anything but a bare http(s) origin is null.</summary>
    public static string? NormalizeOrigin(string? value)
    {
        if (!Uri.TryCreate(value?.Trim(), UriKind.Absolute, out var uri)) return null;
        if (uri.Scheme is not ("http" or "https")) return null;
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0) return null;
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}

public sealed class RedisOptions
{
    public const string Section = "Redis";
    /// <summary>StackExchange.Redis configuration string; empty means single-instance mode without Redis.</summary>
    public string? ConnectionString { get; set; }
    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);

    public IEnumerable<string> Errors()
    {
        if (!Enabled) yield break;
        string? error = null;
        try { StackExchange.Redis.ConfigurationOptions.Parse(ConnectionString!); }
        catch (ArgumentException ex) { error = ex.Message; }
        if (error is not null)
            yield return $"Redis:ConnectionString is not a valid Redis configuration ({error}); expected host:port[,password=...]";
    }
}

public sealed class TelegramOptions
{
    public const string Section = "Telegram";
    public string? BotToken { get; set; }
    public bool Enabled => !string.IsNullOrWhiteSpace(BotToken);

    public IEnumerable<string> Errors()
    {
        if (Enabled && !System.Text.RegularExpressions.Regex.IsMatch(BotToken!, @"^\d+:[A-Za-z0-9_-]{20,}$"))
            yield return "Telegram:BotToken is malformed: expected the token BotFather gave, such as 123456:ABC-DEF...";
    }
}

public static class SupportChatOptionsSetup
{
    public static void AddSupportChatOptions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section, o => o.Errors());
        services.AddValidatedOptions<ServerOptions>(ServerOptions.Section, o => o.Errors());
        services.AddValidatedOptions<WidgetOptions>(WidgetOptions.Section, o => o.Errors());
        services.AddValidatedOptions<RedisOptions>(RedisOptions.Section, o => o.Errors());
        services.AddValidatedOptions<TelegramOptions>(TelegramOptions.Section, o => o.Errors());

        // Kestrel reads the validated settings when it starts, which is after validation.
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<ServerOptions>>((kestrel, server) =>
                kestrel.Listen(IPAddress.Parse(server.Value.ListenAddress), server.Value.Port));
    }

    static void AddValidatedOptions<T>(this IServiceCollection services, string section, Func<T, IEnumerable<string>> errors)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new ErrorListValidator<T>(errors));
    }

    sealed class ErrorListValidator<T>(Func<T, IEnumerable<string>> errors) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var list = errors(options).ToList();
            return list.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(list);
        }
    }
}
