using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;

namespace SupportChat.Endpoints;

public sealed record AdminSummary(long Id, string Username, string DisplayName);
public sealed record LoginRequest(string? Username, string? Code);
public sealed record SignedIn(AdminSummary Admin, string CsrfToken, DateTime ExpiresAt);
public sealed record EnrollmentStartRequest(string? Token);
public sealed record EnrollmentCompleteRequest(string? Token, string? Code);
public sealed record EnrollmentOffer(string Username, string DisplayName, string OtpAuthUri, string Secret, string QrSvg, DateTime ExpiresAt);
public sealed record SessionInfo(long Id, DateTime CreatedAt, DateTime LastSeenAt, DateTime ExpiresAt, string UserAgent, string? Ip, bool Current);

public sealed record AdminAuthServices(
    NpgsqlDataSource Db, AdminAuthentication Auth, AdminTotp Totp, IOptions<AdminOptions> Admin, IOptions<ServerOptions> Server);

/// <summary>Login with a one-time password, enrollment links, logout and the admin's own sessions.</summary>
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

    const string WrongCredentials = "Wrong username or code.";
    // How long a successful login makes its IP one the admin is known to log in from.
    static readonly TimeSpan KnownIpAge = TimeSpan.FromDays(90);

    static async Task<IResult> Login(LoginRequest? body, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        if (!AdminAuthentication.IsSameOrigin(http, s.Server.Value.BaseUrl)) return ApiError.Forbidden("Log in from the admin console.");
        var username = body?.Username?.Trim().ToLowerInvariant();
        var code = body?.Code?.Trim();
        if (string.IsNullOrEmpty(username) || username.Length > 64 || string.IsNullOrEmpty(code) || code.Length > 16)
            return ApiError.BadRequest("Give a username and a code.");

        // A slot of the IP's small budget and of the username's large one is taken before the code is checked and given back
        // when it was right: the per-IP cap stops a guesser, the per-username cap a crowd of them. Once a crowd has spent
        // the username's budget, an IP this admin logged in from lately goes on with its own budget alone, so the crowd
        // cannot lock the admin out (README, Admins: security).
        var options = s.Admin.Value;
        var window = TimeSpan.FromMinutes(options.LoginFailureWindowMinutes);
        var ip = AdminAuthentication.ClientIp(http);
        var claim = await LoginThrottle.TryClaimAsync(s.Db, window, [
            new("ip:" + (ip ?? "unknown"), options.LoginFailureLimit),
            new("user:" + username, options.LoginFailureLimitPerUsername,
                ip is null ? null : (c, tx) => AdminSessionStore.HasLoggedInFromAsync(c, tx, username, ip, KnownIpAge))]);
        if (claim is null) return ApiError.RateLimited(LoginThrottle.UntilNextWindow(window), "Too many failed logins; try again later.");

        var admin = await AdminStore.FindByUsernameAsync(s.Db, username);
        var active = admin is { Status: "active" } ? admin : null;
        var step = AdminTotp.LooksLikeCode(code) ? s.Totp.Verify(active?.TotpSecret, code) : null;
        var reason = active is null ? "unknown_or_inactive" : step is null ? "wrong_code"
            : !await AdminStore.ClaimTotpStepAsync(s.Db, active.Id, step.Value) ? "code_reused" : null;
        if (reason is not null)
        {
            await AuditLog.WriteAsync(s.Db, AdminAuthentication.Audit(http, "login.failed", active?.Id, "admin", active?.Id.ToString(),
                new { username, reason }));
            return ApiError.Unauthorized(WrongCredentials);
        }
        await LoginThrottle.RefundAsync(s.Db, claim);

        await using var c = await s.Db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var session = await s.Auth.StartSessionAsync(http, c, tx, active!.Id, active.Username, active.DisplayName);
        await AuditLog.WriteAsync(c, tx, AdminAuthentication.Audit(http, "login.succeeded", active.Id, "admin_session", session.SessionId.ToString()));
        await tx.CommitAsync();
        return TypedResults.Ok(SignedIn(session));
    }

    static SignedIn SignedIn(AdminPrincipal p) => new(new AdminSummary(p.AdminId, p.Username, p.DisplayName), p.CsrfToken, p.ExpiresAt);

    static Ok<SignedIn> Me(AdminPrincipal admin) => TypedResults.Ok(SignedIn(admin));

    static async Task<NoContent> Logout(AdminPrincipal admin, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        await s.Auth.RevokeAsync(admin.AdminId, admin.SessionId, "logout",
            AdminAuthentication.Audit(http, "logout", admin.AdminId, "admin_session", admin.SessionId.ToString()));
        s.Auth.ClearCookie(http);
        return TypedResults.NoContent();
    }

    static async Task<Ok<int>> LogoutEverywhere(AdminPrincipal admin, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        var count = await s.Auth.RevokeAsync(admin.AdminId, null, "logout_everywhere",
            AdminAuthentication.Audit(http, "logout.everywhere", admin.AdminId, "admin", admin.AdminId.ToString()));
        s.Auth.ClearCookie(http);
        return TypedResults.Ok(count);
    }

    static async Task<Ok<List<SessionInfo>>> ListSessions(AdminPrincipal admin, [AsParameters] AdminAuthServices s)
    {
        var rows = await AdminSessionStore.ListLiveAsync(s.Db, admin.AdminId, TimeSpan.FromMinutes(s.Admin.Value.SessionIdleMinutes));
        return TypedResults.Ok(rows.Select(r => new SessionInfo(r.Id, r.CreatedAt, r.LastSeenAt, r.ExpiresAt, r.UserAgent, r.Ip, r.Id == admin.SessionId)).ToList());
    }

    static async Task<IResult> RevokeSession(long id, AdminPrincipal admin, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        var revoked = await s.Auth.RevokeAsync(admin.AdminId, id, "revoked_by_admin",
            AdminAuthentication.Audit(http, "session.revoked", admin.AdminId, "admin_session", id.ToString(), new { reason = "revoked_by_admin" }));
        return revoked == 0 ? ApiError.NotFound("No such live session of yours.") : TypedResults.NoContent();
    }

    const string BadLink = "This enrollment link is invalid, used or expired. Ask an admin for a new one.";

    static async Task<IResult> StartEnrollment(EnrollmentStartRequest? body, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        if (!AdminAuthentication.IsSameOrigin(http, s.Server.Value.BaseUrl)) return ApiError.Forbidden("Enroll from the enrollment page.");
        if (body?.Token is not { Length: > 0 and <= 100 } token) return ApiError.BadRequest("Give the enrollment token.");
        await using var c = await s.Db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var enrollment = await AdminStore.FindOpenEnrollmentAsync(c, tx, AdminAuthentication.HashToken(token));
        if (enrollment is null) return ApiError.NotFound(BadLink);
        var protectedSecret = enrollment.TotpSecret;
        if (protectedSecret is null)
        {
            protectedSecret = s.Totp.NewProtectedSecret();
            await AdminStore.SetEnrollmentSecretAsync(c, tx, enrollment.Id, protectedSecret);
        }
        await tx.CommitAsync();
        var secret = s.Totp.Reveal(protectedSecret);
        var uri = AdminTotp.OtpAuthUri(enrollment.Username, secret);
        return TypedResults.Ok(new EnrollmentOffer(enrollment.Username, enrollment.DisplayName, uri, secret, AdminTotp.QrSvg(uri), enrollment.ExpiresAt));
    }

    static async Task<IResult> CompleteEnrollment(EnrollmentCompleteRequest? body, HttpContext http, [AsParameters] AdminAuthServices s)
    {
        if (!AdminAuthentication.IsSameOrigin(http, s.Server.Value.BaseUrl)) return ApiError.Forbidden("Enroll from the enrollment page.");
        if (body?.Token is not { Length: > 0 and <= 100 } token || !AdminTotp.LooksLikeCode(body.Code?.Trim()))
            return ApiError.BadRequest("Give the enrollment token and the 6-digit code from your authenticator app.");
        await using var c = await s.Db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var enrollment = await AdminStore.FindOpenEnrollmentAsync(c, tx, AdminAuthentication.HashToken(token));
        if (enrollment is null) return ApiError.NotFound(BadLink);
        if (enrollment.TotpSecret is null) return ApiError.Conflict("Open the enrollment page first to get your secret.");
        var step = s.Totp.Verify(enrollment.TotpSecret, body.Code!.Trim());
        if (step is null)
        {
            await tx.RollbackAsync();
            await AuditLog.WriteAsync(s.Db, AdminAuthentication.Audit(http, "enrollment.failed", enrollment.AdminId, "admin", enrollment.AdminId.ToString()));
            return ApiError.Unauthorized("Wrong code; check your authenticator app's clock and try the next code.");
        }
        await AdminStore.CompleteEnrollmentAsync(c, tx, enrollment, step.Value);
        // A re-enrollment means the old authenticator is lost: every old session of this admin ends.
        var revoked = await AdminSessionStore.RevokeAsync(c, tx, enrollment.AdminId, null, "re_enrolled");
        var session = await s.Auth.StartSessionAsync(http, c, tx, enrollment.AdminId, enrollment.Username, enrollment.DisplayName);
        await AuditLog.WriteAsync(c, tx, AdminAuthentication.Audit(http, "admin.enrolled", enrollment.AdminId, "admin", enrollment.AdminId.ToString(),
            new { revokedSessions = revoked }));
        await tx.CommitAsync();
        await s.Auth.SignalEndedAsync(revoked);
        return TypedResults.Ok(SignedIn(session));
    }
}
