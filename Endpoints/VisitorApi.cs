using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;
using SupportChat.Sockets;

namespace SupportChat.Endpoints;

public sealed record VisitorSessionRequest(string? Token, string? Name, string? Email, string? Locale, string? PageUrl);

public sealed record VisitorSessionResponse(string Token, Guid VisitorId, Guid ConversationId, bool Resumed);

/// <summary>Visitor sessions: the widget starts one (or resumes it with its stored token) before opening /ws/visitor.</summary>
public static class VisitorApi
{
    public static void AddVisitorApi(this IServiceCollection services) => services.AddSingleton<VisitorSessionLimiter>();

    public static RouteGroupBuilder MapVisitorApi(this WebApplication app)
    {
        // The widget calls from the customer's site: CORS allows exactly the configured widget origins.
        var group = app.MapGroup("/api/visitor").WithTags("Visitor").RequireCors(Security.WidgetCors).RequireRateLimiting(Security.VisitorLimit);
        group.MapPost("/sessions", StartSessionAsync);
        return group;
    }

    /// <summary>True for a configured widget origin or the service's own (the demo page); false without an Origin header.</summary>
    public static bool IsAllowedOrigin(HttpContext http, WidgetOptions widget, ServerOptions server)
    {
        var origin = WidgetOptions.NormalizeOrigin(http.Request.Headers.Origin.ToString());
        if (origin is null) return false;
        return widget.AllowedOrigins.Any(a => WidgetOptions.NormalizeOrigin(a) == origin) || AdminHttp.IsSameOrigin(http, server.BaseUrl);
    }

    /// <summary>
    /// The visitor of an HTTP request (besides /sessions): the token from "Authorization: Bearer", checked like the socket's
    /// auth frame. A header, not the URL, so that tokens stay out of logs and histories.
    /// </summary>
    public static async Task<VisitorSession?> AuthenticateAsync(HttpContext http, VisitorSessions visitors)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length > 7 + 200) return null;
        return await visitors.AuthenticateAsync(header[7..].Trim());
    }

    /// <summary>
    /// Starts a visitor session, or resumes the one whose token is given. The token (256 random bits) is returned
    /// once and stored only as its SHA-256; the widget keeps it and sends it in the socket's auth frame.
    /// </summary>
    static async Task<Results<Ok<VisitorSessionResponse>, Created<VisitorSessionResponse>, BadRequestError, UnauthorizedError, ForbiddenError, RateLimitedError>> StartSessionAsync(
        HttpContext http, VisitorSessionRequest? request, VisitorSessions visitors, VisitorSessionLimiter limiter,
        IOptions<WidgetOptions> widget, IOptions<ServerOptions> server)
    {
        if (http.Request.Headers.Origin.Count > 0 && !IsAllowedOrigin(http, widget.Value, server.Value))
            return ApiError.Forbidden("This origin may not start visitor sessions (see Widget:AllowedOrigins).");
        request ??= new VisitorSessionRequest(null, null, null, null, null);
        if (Invalid(request) is { } problem) return ApiError.BadRequest(problem);
        var details = new VisitorDetails(Clean(request.Name), Clean(request.Email), Clean(request.Locale), Clean(request.PageUrl), RequestOrigins.Of(http).UserAgent);

        if (!string.IsNullOrEmpty(request.Token))
        {
            var resumed = await visitors.ResumeAsync(request.Token, details);
            if (resumed is not null)
                return TypedResults.Ok(new VisitorSessionResponse(request.Token, resumed.VisitorId, resumed.ConversationId, Resumed: true));
            // A wrong token counts against the IP like a creation, so guessing costs as much as creating.
            if (await limiter.TryAcquireAsync(http) is { } wait) return ApiError.RateLimited(wait);
            return ApiError.Unauthorized("Unknown or expired visitor token; start a new session without it.");
        }

        if (await limiter.TryAcquireAsync(http) is { } retryAfter) return ApiError.RateLimited(retryAfter);
        var (token, session) = await visitors.StartAsync(details);
        return TypedResults.Created((string?)null, new VisitorSessionResponse(token, session.VisitorId, session.ConversationId, Resumed: false));
    }

    static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    static string? Invalid(VisitorSessionRequest r)
    {
        if (r.Name?.Trim().Length > 100) return "name is longer than 100 characters.";
        if (r.Email?.Trim() is { Length: > 0 } email && (email.Length > 254 || !email.Contains('@'))) return "email is not an e-mail address.";
        if (r.Locale?.Trim().Length > 16) return "locale is longer than 16 characters.";
        if (r.PageUrl?.Trim() is { Length: > 0 } url &&
            (url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
            return "pageUrl must be an absolute http(s) URL of at most 2048 characters.";
        return null;
    }
}

/// <summary>
/// Visitor sessions one IP may start: Realtime:VisitorSessionsPerIp, refilled evenly over Realtime:VisitorSessionWindowSeconds,
/// one budget for every instance.
/// </summary>
public sealed class VisitorSessionLimiter(IRateBudgets limits, IOptions<RealtimeOptions> options)
{
    readonly RateBudget budget = new("visitor_session", options.Value.VisitorSessionsPerIp, options.Value.VisitorSessionsPerIp,
        TimeSpan.FromSeconds(options.Value.VisitorSessionWindowSeconds));

    /// <summary>Null when allowed; otherwise how long to wait.</summary>
    public ValueTask<TimeSpan?> TryAcquireAsync(HttpContext http) => limits.TryTakeAsync(budget, RateLimits.IpKey(http));
}
