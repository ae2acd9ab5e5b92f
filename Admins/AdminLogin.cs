using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Admins;

/// <summary>Login with a username and a one-time password, throttled per IP and per username.</summary>
public sealed class AdminLogin(NpgsqlDataSource db, AdminSessions sessions, AdminTotp totp, IOptions<AdminOptions> options)
{
    const string WrongCredentials = "Wrong username or code.";
    // How long a successful login makes its IP one the admin is known to log in from.
    static readonly TimeSpan KnownIpAge = TimeSpan.FromDays(90);

    /// <summary>The new session, or why not: bad request, rate limited (with RetryAfter) or unauthorized.</summary>
    public async Task<(StartedSession? Session, Problem? Problem)> LoginAsync(string? username, string? code, RequestOrigin from)
    {
        username = username?.Trim().ToLowerInvariant();
        code = code?.Trim();
        if (string.IsNullOrEmpty(username) || username.Length > 64 || string.IsNullOrEmpty(code) || code.Length > 16)
            return (null, new Problem(ProblemCode.BadRequest, "Give a username and a code."));

        // A slot of the IP's small budget and of the username's large one is taken before the code is checked and given back
        // when it was right: the per-IP cap stops a guesser, the per-username cap a crowd of them. Once a crowd has spent
        // the username's budget, an IP this admin logged in from lately goes on with its own budget alone, so the crowd
        // cannot lock the admin out (README, Admins: security).
        var o = options.Value;
        var window = TimeSpan.FromMinutes(o.LoginFailureWindowMinutes);
        var ip = from.Ip;
        var claim = await LoginThrottle.TryClaimAsync(db, window, [
            new("ip:" + (ip ?? "unknown"), o.LoginFailureLimit),
            new("user:" + username, o.LoginFailureLimitPerUsername,
                ip is null ? null : (c, tx) => AdminSessionStore.HasLoggedInFromAsync(c, tx, username, ip, KnownIpAge))]);
        if (claim is null)
            return (null, new Problem(ProblemCode.RateLimited, "Too many failed logins; try again later.") { RetryAfter = LoginThrottle.UntilNextWindow(window) });

        var admin = await AdminStore.FindByUsernameAsync(db, username);
        var active = admin is { Status: "active" } ? admin : null;
        var step = AdminTotp.LooksLikeCode(code) ? totp.Verify(active?.TotpSecret, code) : null;
        var reason = active is null ? "unknown_or_inactive" : step is null ? "wrong_code"
            : !await AdminStore.ClaimTotpStepAsync(db, active.Id, step.Value) ? "code_reused" : null;
        if (reason is not null)
        {
            await AuditLog.WriteAsync(db, AdminAudit.Of(from, "login.failed", active?.Id, "admin", active?.Id.ToString(), new { username, reason }));
            return (null, new Problem(ProblemCode.Unauthorized, WrongCredentials));
        }
        await LoginThrottle.RefundAsync(db, claim);

        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var session = await sessions.StartAsync(c, tx, from, active!.Id, active.Username, active.DisplayName);
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(from, "login.succeeded", active.Id, "admin_session", session.Admin.SessionId.ToString()));
        await tx.CommitAsync();
        return (session, null);
    }
}
