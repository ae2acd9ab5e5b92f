using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SupportChat.Admins;
using SupportChat.Conversations;

namespace SupportChat.Endpoints;

/// <summary>
/// Admin sessions over HTTP: the opaque token in an HttpOnly cookie, the CSRF header and same-origin checks, and the
/// RequireAdmin marker that makes UseAdminAuthentication admit only a live session.
/// </summary>
public static class AdminHttp
{
    public const string CookieName = "sc_admin";
    public const string CsrfHeader = "X-CSRF-Token";
    const string ItemKey = nameof(AdminPrincipal);

    public sealed class RequiresAdmin;

    /// <summary>Sets the new session's cookie on the response.</summary>
    public static AdminPrincipal SetCookie(HttpContext http, StartedSession session)
    {
        var alwaysSecure = http.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.AlwaysSecureCookies;
        http.Response.Cookies.Append(CookieName, session.Token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps || alwaysSecure,
            Path = "/",
            Expires = session.Admin.ExpiresAt,
        });
        return session.Admin;
    }

    public static void ClearCookie(HttpContext http) => http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/" });

    /// <summary>The admin behind the request's session cookie (looked up once per request), or null.</summary>
    public static async Task<AdminPrincipal?> AuthenticateAsync(HttpContext http, AdminSessions sessions)
    {
        if (http.Items[ItemKey] is AdminPrincipal known) return known;
        var readOnly = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        var principal = await sessions.AuthenticateAsync(http.Request.Cookies[CookieName], RequestOrigins.Of(http), readOnly);
        if (principal is not null) http.Items[ItemKey] = principal;
        return principal;
    }

    /// <summary>The rate-limit partition of the request's session when this instance has seen it valid, else null.</summary>
    public static string? KnownSessionKey(HttpContext http, AdminSessions sessions) => sessions.KnownSessionKey(http.Request.Cookies[CookieName]);

    /// <summary>True when the request's Origin header is this service's own origin (or Server:PublicUrl's).</summary>
    public static bool IsSameOrigin(HttpContext http, string publicBaseUrl)
    {
        var origin = WidgetOptions.NormalizeOrigin(http.Request.Headers.Origin.ToString());
        if (origin is null) return false;
        var own = WidgetOptions.NormalizeOrigin($"{http.Request.Scheme}://{http.Request.Host}");
        return origin == own || origin == WidgetOptions.NormalizeOrigin(publicBaseUrl);
    }

    public static bool CsrfMatches(HttpContext http, AdminPrincipal admin) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(http.Request.Headers[CsrfHeader].ToString()),
            Encoding.UTF8.GetBytes(admin.CsrfToken));

    /// <summary>Handlers of RequireAdmin endpoints take AdminPrincipal as a parameter: a scoped service, set by UseAdminAuthentication.</summary>
    public static void AddAdminHttp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddScoped(sp => sp.GetRequiredService<IHttpContextAccessor>().HttpContext?.Items[ItemKey] as AdminPrincipal
            ?? throw new InvalidOperationException("AdminPrincipal is only available to RequireAdmin endpoints"));
    }

    /// <summary>
    /// Every endpoint here needs a live admin session; state-changing requests also need the session's CSRF token
    /// in X-CSRF-Token and this service's own Origin. Checked by UseAdminAuthentication before parameters are bound.
    /// </summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresAdmin());

    public static void UseAdminAuthentication(this WebApplication app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<RequiresAdmin>() is null)
        {
            await next(http);
            return;
        }
        var error = await CheckAsync(http);
        if (error is null) await next(http);
        else await error.ExecuteAsync(http);
    });

    static async Task<IResult?> CheckAsync(HttpContext http)
    {
        var changesState = !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method));
        var baseUrl = http.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value.BaseUrl;
        if (changesState && !IsSameOrigin(http, baseUrl))
            return ApiError.Forbidden("Admin requests must come from the admin console's own origin.");
        var admin = await AuthenticateAsync(http, http.RequestServices.GetRequiredService<AdminSessions>());
        if (admin is null) return ApiError.Unauthorized();
        if (changesState && !CsrfMatches(http, admin))
            return ApiError.Forbidden("Missing or wrong CSRF token.");
        return null;
    }
}
