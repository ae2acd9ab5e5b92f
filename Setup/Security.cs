using System.Net;
using System.Threading.RateLimiting;
using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Endpoints;

namespace SupportChat.Setup;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";
    /// <summary>Requests per minute from one IP to the visitor API.</summary>
    public int VisitorPerMinute { get; set; } = 120;
    /// <summary>Requests per minute from one admin session (or one IP before login) to the admin API.</summary>
    public int AdminPerMinute { get; set; } = 600;

    public IEnumerable<string> Errors()
    {
        if (VisitorPerMinute < 1) yield return $"RateLimits:VisitorPerMinute is {VisitorPerMinute}: expected a positive number";
        if (AdminPerMinute < 1) yield return $"RateLimits:AdminPerMinute is {AdminPerMinute}: expected a positive number";
    }
}

/// <summary>Data Protection keys in PostgreSQL, forwarded headers from trusted proxies only, CORS, rate limits, response headers.</summary>
public static class Security
{
    public const string WidgetCors = "widget";
    public const string VisitorLimit = "visitor";
    public const string AdminLimit = "admin";

    public static void AddSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section, o => o.Errors());

        // Every instance shares one key ring, so a TOTP secret encrypted by one is readable by all.
        services.AddDataProtection().SetApplicationName("SupportChat");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new PostgresXmlRepository(sp.GetRequiredService<NpgsqlDataSource>())));
        services.AddSingleton<AdminTotp>();

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<AdminOptions>>((o, admin) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in admin.Value.TrustedProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
        });

        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<WidgetOptions>>((o, widget) =>
            o.AddPolicy(WidgetCors, policy => policy
                .WithOrigins(widget.Value.AllowedOrigins.Select(WidgetOptions.NormalizeOrigin).OfType<string>().ToArray())
                .WithMethods("GET", "POST")
                .WithHeaders("Content-Type", "Authorization")));

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            var l = limits.Value;
            o.AddPolicy(VisitorLimit, http => PerMinute(ClientKey(http), l.VisitorPerMinute));
            o.AddPolicy(AdminLimit, http => PerMinute(
                http.Request.Cookies[AdminAuthentication.CookieName] is { Length: > 0 } cookie ? "s:" + Convert.ToHexString(AdminAuthentication.HashToken(cookie)) : ClientKey(http),
                l.AdminPerMinute));
            o.OnRejected = (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(60);
                return new ValueTask(ApiError.RateLimited(retryAfter).ExecuteAsync(context.HttpContext));
            };
        });
    }

    static string ClientKey(HttpContext http) => "ip:" + (AdminAuthentication.ClientIp(http) ?? "unknown");

    static RateLimitPartition<string> PerMinute(string key, int permits) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = permits,
            TokensPerPeriod = permits,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    public static void UseSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.TrustedProxies.Length > 0)
            app.UseForwardedHeaders();
        app.Use(AddSecurityHeaders);
        app.UseCors();
        app.UseRateLimiter();
    }

    /// <summary>
    /// Static files. The widget is a module script loaded by customers' pages from another origin, so it, the shared module it imports
    /// and the translations it fetches are served with CORS; they are public and carry no credentials.
    /// </summary>
    public static void UseSupportChatStaticFiles(this WebApplication app)
    {
        // /admin/ (the address scripts/run prints) serves /admin/index.html.
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file =>
            {
                var path = file.Context.Request.Path;
                if (path.StartsWithSegments("/widget") || path.StartsWithSegments("/js") || path.StartsWithSegments("/i18n"))
                    file.Context.Response.Headers.AccessControlAllowOrigin = "*";
            },
        });
    }

    // The admin console and the API get a strict policy; the widget's files and its demo page are embedded in
    // other sites' pages, whose own policies govern them.
    const string StrictCsp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    static Task AddSecurityHeaders(HttpContext http, RequestDelegate next)
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        var path = http.Request.Path;
        if (!path.StartsWithSegments("/widget") && !path.StartsWithSegments("/demo.html"))
        {
            headers.ContentSecurityPolicy = StrictCsp;
            headers.XFrameOptions = "DENY";
        }
        if (http.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
        // API answers carry the CSRF token, visitor tokens and conversations: no browser or proxy cache keeps them.
        // An attachment download sets its own (private) caching.
        if (path.StartsWithSegments("/api")) headers.CacheControl = "no-store";
        return next(http);
    }

    /// <summary>The Data Protection key ring as rows of data_protection_keys.</summary>
    sealed class PostgresXmlRepository(NpgsqlDataSource db) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            using var c = db.OpenConnection();
            return c.Query<string>("SELECT xml FROM data_protection_keys ORDER BY id").Select(XElement.Parse).ToList();
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            using var c = db.OpenConnection();
            c.Execute("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (friendly_name) DO NOTHING",
                new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
        }
    }
}
