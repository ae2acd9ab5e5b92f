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
    /// <summary>The address people use to reach the service (links printed and sent); default http://localhost:Port.</summary>
    public string? PublicUrl { get; set; }

    public string BaseUrl => (string.IsNullOrWhiteSpace(PublicUrl) ? $"http://localhost:{Port}" : PublicUrl).TrimEnd('/');

    public IEnumerable<string> Errors()
    {
        if (Port is < 1 or > 65535)
            yield return $"Server:Port is {Port}: expected a TCP port from 1 to 65535";
        if (!IPAddress.TryParse(ListenAddress, out _))
            yield return $"Server:ListenAddress is '{ListenAddress}': expected an IP address such as 127.0.0.1 or 0.0.0.0";
        if (!string.IsNullOrWhiteSpace(PublicUrl) && (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
            yield return $"Server:PublicUrl is '{PublicUrl}': expected an absolute http(s) URL such as https://support.example";
    }
}

public enum IpBinding { Exact, Subnet, Off }

public sealed class AdminOptions
{
    public const string Section = "Admin";
    /// <summary>A session unused for this long ends.</summary>
    public int SessionIdleMinutes { get; set; } = 60;
    /// <summary>A session ends this long after login, used or not.</summary>
    public int SessionLifetimeHours { get; set; } = 12;
    /// <summary>How strictly a session is tied to the IP it logged in from: Exact, Subnet (same /24 or /64) or Off.</summary>
    public IpBinding IpBinding { get; set; } = IpBinding.Exact;
    /// <summary>Mark the session cookie Secure even on plain HTTP requests (behind a TLS-terminating proxy).</summary>
    public bool AlwaysSecureCookies { get; set; }
    /// <summary>Failed logins allowed from one IP (whatever the usernames) within LoginFailureWindowMinutes.</summary>
    public int LoginFailureLimit { get; set; } = 5;
    /// <summary>Failed logins allowed for one username (from all IPs together) within LoginFailureWindowMinutes.</summary>
    public int LoginFailureLimitPerUsername { get; set; } = 50;
    public int LoginFailureWindowMinutes { get; set; } = 5;
    public int EnrollmentLinkMinutes { get; set; } = 30;
    /// <summary>Addresses of reverse proxies whose X-Forwarded-For / -Proto are believed.</summary>
    public string[] TrustedProxies { get; set; } = [];

    public IEnumerable<string> Errors()
    {
        if (SessionIdleMinutes is < 1 or > 24 * 60) yield return $"Admin:SessionIdleMinutes is {SessionIdleMinutes}: expected 1 to 1440";
        if (SessionLifetimeHours is < 1 or > 24 * 30) yield return $"Admin:SessionLifetimeHours is {SessionLifetimeHours}: expected 1 to 720";
        if (LoginFailureLimit is < 1 or > 1000) yield return $"Admin:LoginFailureLimit is {LoginFailureLimit}: expected 1 to 1000";
        if (LoginFailureLimitPerUsername is < 1 or > 100_000) yield return $"Admin:LoginFailureLimitPerUsername is {LoginFailureLimitPerUsername}: expected 1 to 100000";
        if (LoginFailureWindowMinutes is < 1 or > 24 * 60) yield return $"Admin:LoginFailureWindowMinutes is {LoginFailureWindowMinutes}: expected 1 to 1440";
        if (EnrollmentLinkMinutes is < 1 or > 7 * 24 * 60) yield return $"Admin:EnrollmentLinkMinutes is {EnrollmentLinkMinutes}: expected 1 to 10080";
        for (var i = 0; i < TrustedProxies.Length; i++)
            if (!IPAddress.TryParse(TrustedProxies[i], out _))
                yield return $"Admin:TrustedProxies:{i} is '{TrustedProxies[i]}': expected an IP address";
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

public static class SupportChatOptionsSetup
{
    public static void AddSupportChatOptions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section, o => o.Errors());
        services.AddValidatedOptions<ServerOptions>(ServerOptions.Section, o => o.Errors());
        services.AddValidatedOptions<AdminOptions>(AdminOptions.Section, o => o.Errors());
        services.AddValidatedOptions<WidgetOptions>(WidgetOptions.Section, o => o.Errors());
        services.AddValidatedOptions<RedisOptions>(RedisOptions.Section, o => o.Errors());

        // Kestrel reads the validated settings when it starts, which is after validation.
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<ServerOptions>>((kestrel, server) =>
            {
                kestrel.Listen(IPAddress.Parse(server.Value.ListenAddress), server.Value.Port);
                // JSON requests are small; an endpoint that takes files raises its own limit.
                kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            });
    }

    public static void AddValidatedOptions<T>(this IServiceCollection services, string section, Func<T, IEnumerable<string>> errors)
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
