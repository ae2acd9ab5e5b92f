using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SupportChat.Conversations;
using SupportChat.Admins;

namespace SupportChat.Endpoints;

public sealed record AdminSummary(long Id, string Username, string DisplayName);
public sealed record LoginRequest(string? Username, string? Code);
public sealed record SignedIn(AdminSummary Admin, string CsrfToken, DateTime ExpiresAt);
public sealed record EnrollmentStartRequest(string? Token);
public sealed record EnrollmentCompleteRequest(string? Token, string? Code);
public sealed record SessionInfo(long Id, DateTime CreatedAt, DateTime LastSeenAt, DateTime ExpiresAt, string UserAgent, string? Ip, bool Current);

public sealed record AdminAuthServices(AdminSessions Sessions, AdminLogin Login, Enrollment Enrollment, IOptions<ServerOptions> Server);

/// <summary>Login with a one-time password, enrollment links, logout and the admin's own sessions: HTTP in, calls to Admins, HTTP out.</summary>
public static class AdminAuthApi
{
    public static void MapAdminAuth(this WebApplication app)
    {
        // Not logged in yet: these check Origin themselves (login CSRF), and are throttled per IP.
        var open = app.MapGroup("/api/admin").RequireRateLimiting(Security.AdminLimit).WithTags("Admin login");
        open.MapPost("/login", Login);
        open.MapPost("/enrollment/start", StartEnrollment);
        open.MapPost("/enrollment/complete", CompleteEnrollment);

        var admin = app.MapGroup("/api/admin").RequireAdmin().RequireRateLimiting(Security.AdminLimit).WithTags("Admin session");
        admin.MapGet("/me", Me);
        admin.MapPost("/logout", Logout);
        admin.MapPost("/logout-everywhere", LogoutEverywhere);
        admin.MapGet("/sessions", ListSessions);
        admin.MapDelete("/sessions/{id:long}", RevokeSession);
    }

    static async Task<Results<Ok<SignedIn>, BadRequestError, UnauthorizedError, ForbiddenError, RateLimitedError>> Login(
        LoginRequest? body, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        if (!AdminHttp.IsSameOrigin(http, s.Server.Value.BaseUrl)) return ApiError.Forbidden("Log in from the admin console.");
        var (session, problem) = await s.Login.LoginAsync(body?.Username, body?.Code, RequestOrigins.Of(http));
        if (problem is not null) return ApiError.From(problem).As<Ok<SignedIn>, BadRequestError, UnauthorizedError, ForbiddenError, RateLimitedError>();
        return TypedResults.Ok(SignedIn(AdminHttp.SetCookie(http, session!)));
    }

    static SignedIn SignedIn(AdminPrincipal p) => new(new AdminSummary(p.AdminId, p.Username, p.DisplayName), p.CsrfToken, p.ExpiresAt);

    static Ok<SignedIn> Me(AdminPrincipal admin) => TypedResults.Ok(SignedIn(admin));

    static async Task<NoContent> Logout(AdminPrincipal admin, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        await s.Sessions.RevokeAsync(admin.AdminId, admin.SessionId, "logout",
            AdminAudit.Of(RequestOrigins.Of(http), "logout", admin.AdminId, "admin_session", admin.SessionId.ToString()));
        AdminHttp.ClearCookie(http);
        return TypedResults.NoContent();
    }

    static async Task<Ok<int>> LogoutEverywhere(AdminPrincipal admin, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        var count = await s.Sessions.RevokeAsync(admin.AdminId, null, "logout_everywhere",
            AdminAudit.Of(RequestOrigins.Of(http), "logout.everywhere", admin.AdminId, "admin", admin.AdminId.ToString()));
        AdminHttp.ClearCookie(http);
        return TypedResults.Ok(count);
    }

    static async Task<Ok<List<SessionInfo>>> ListSessions(AdminPrincipal admin, [AsParameters] AdminAuthServices s)
    {
        var rows = await s.Sessions.ListLiveAsync(admin.AdminId);
        return TypedResults.Ok(rows.Select(r => new SessionInfo(r.Id, r.CreatedAt, r.LastSeenAt, r.ExpiresAt, r.UserAgent, r.Ip, r.Id == admin.SessionId)).ToList());
    }

    static async Task<Results<NoContent, NotFoundError>> RevokeSession(long id, AdminPrincipal admin, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        var revoked = await s.Sessions.RevokeAsync(admin.AdminId, id, "revoked_by_admin",
            AdminAudit.Of(RequestOrigins.Of(http), "session.revoked", admin.AdminId, "admin_session", id.ToString(), new { reason = "revoked_by_admin" }));
        return revoked == 0 ? ApiError.NotFound("No such live session of yours.") : TypedResults.NoContent();
    }

    static async Task<Results<Ok<EnrollmentOffer>, BadRequestError, ForbiddenError, NotFoundError>> StartEnrollment(
        EnrollmentStartRequest? body, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        if (!AdminHttp.IsSameOrigin(http, s.Server.Value.BaseUrl)) return ApiError.Forbidden("Enroll from the enrollment page.");
        var (offer, problem) = await s.Enrollment.OpenAsync(body?.Token);
        if (problem is not null) return ApiError.From(problem).As<Ok<EnrollmentOffer>, BadRequestError, ForbiddenError, NotFoundError>();
        return TypedResults.Ok(offer!);
    }

    static async Task<Results<Ok<SignedIn>, BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, ConflictError>> CompleteEnrollment(
        EnrollmentCompleteRequest? body, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        if (!AdminHttp.IsSameOrigin(http, s.Server.Value.BaseUrl)) return ApiError.Forbidden("Enroll from the enrollment page.");
        var (session, problem) = await s.Enrollment.CompleteAsync(body?.Token, body?.Code, RequestOrigins.Of(http));
        if (problem is not null)
            return ApiError.From(problem).As<Ok<SignedIn>, BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, ConflictError>();
        return TypedResults.Ok(SignedIn(AdminHttp.SetCookie(http, session!)));
    }
}
