using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using SupportChat.Admins;
using SupportChat.Conversations;
using SupportChat.Endpoints;
using SupportChat.Scaleout;

namespace SupportChat.Setup;

/// <summary>Forwarded headers from trusted proxies only, CORS, rate limits, response headers.</summary>
public static class SecuritySetup
{
    public static void AddSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<AdminOptions>>((o, admin) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in admin.Value.TrustedProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
        });

        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<WidgetOptions>>((o, widget) =>
            o.AddPolicy(Security.WidgetCors, policy => policy
                .WithOrigins(widget.Value.AllowedOrigins.Select(WidgetOptions.NormalizeOrigin).OfType<string>().ToArray())
                .WithMethods("GET", "POST")
                .WithHeaders("Content-Type", "Authorization")));

        services.AddSingleton<SharedRateLimits>();
        services.AddSingleton<IRateBudgets>(sp => sp.GetRequiredService<SharedRateLimits>());
    }

    public static void UseSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.TrustedProxies.Length > 0)
            app.UseForwardedHeaders();
        app.Use(AddSecurityHeaders);
        app.UseCors();
        app.UseRateLimits();
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
}
