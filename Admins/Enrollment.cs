using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Admins;

public sealed record IssuedEnrollmentLink(AdminRow Admin, string Url, DateTime ExpiresAt);
public sealed record EnrollmentOffer(string Username, string DisplayName, string OtpAuthUri, string Secret, string QrSvg, DateTime ExpiresAt);

/// <summary>Enrollment links: how an admin (new, or one who lost their authenticator) gets a TOTP secret and a first session.</summary>
public sealed class Enrollment(NpgsqlDataSource db, AdminSessions sessions, AdminTotp totp, IOptions<AdminOptions> options, IOptions<ServerOptions> server)
{
    const string BadLink = "This enrollment link is invalid, used or expired. Ask an admin for a new one.";

    static bool Plausible(string? token) => token is { Length: > 0 and <= 100 };

    /// <summary>
    /// The one way an enrollment link is made (invite, first start, command line): the admin becomes pending if new,
    /// a random link token is stored hashed, the admin's earlier unused links are revoked, and the action is audited in the
    /// same transaction. Only the maintainer's command (Recovery) makes a link for an active admin; otherwise that returns null.
    /// </summary>
    public async Task<IssuedEnrollmentLink?> CreateLinkAsync(string username, string displayName, long? createdBy, AuditEntry audit, EnrollmentLinkKind kind)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var target = await AdminStore.UpsertPendingAsync(c, tx, username, displayName);
        if (kind != EnrollmentLinkKind.Recovery && target.Status == "active") return null;
        var token = Tokens.Random();
        var expiresAt = DateTime.UtcNow.AddMinutes(options.Value.EnrollmentLinkMinutes);
        var revokedLinks = await AdminStore.CreateEnrollmentAsync(c, tx, target.Id, Tokens.Hash(token), createdBy, expiresAt, kind);
        await AuditLog.WriteAsync(c, tx, audit with { TargetType = "admin", TargetId = target.Id.ToString(), Details = new { username, expiresAt, revokedLinks } });
        await tx.CommitAsync();
        // The token rides in the fragment, which browsers never send to a server or write to its logs.
        return new IssuedEnrollmentLink(target, $"{server.Value.BaseUrl}/admin/enroll.html#token={token}", expiresAt);
    }

    /// <summary>Opening the link: the admin's TOTP secret (made on first opening, the same on the next) to scan.</summary>
    public async Task<(EnrollmentOffer? Secret, Problem? Problem)> OpenAsync(string? token)
    {
        if (!Plausible(token)) return (null, new Problem(ProblemCode.BadRequest, "Give the enrollment token."));
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var enrollment = await AdminStore.FindOpenEnrollmentAsync(c, tx, Tokens.Hash(token!));
        if (enrollment is null) return (null, new Problem(ProblemCode.NotFound, BadLink));
        var protectedSecret = enrollment.TotpSecret;
        if (protectedSecret is null)
        {
            protectedSecret = totp.NewProtectedSecret();
            await AdminStore.SetEnrollmentSecretAsync(c, tx, enrollment.Id, protectedSecret);
        }
        await tx.CommitAsync();
        var secret = totp.Reveal(protectedSecret);
        var uri = AdminTotp.OtpAuthUri(enrollment.Username, secret);
        return (new EnrollmentOffer(enrollment.Username, enrollment.DisplayName, uri, secret, AdminTotp.QrSvg(uri), enrollment.ExpiresAt), null);
    }

    /// <summary>Redeeming the link with a first code: the admin becomes active, their old sessions end, a new one starts.</summary>
    public async Task<(StartedSession? Session, Problem? Problem)> CompleteAsync(string? token, string? code, RequestOrigin from)
    {
        code = code?.Trim();
        if (!Plausible(token) || !AdminTotp.LooksLikeCode(code))
            return (null, new Problem(ProblemCode.BadRequest, "Give the enrollment token and the 6-digit code from your authenticator app."));
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var enrollment = await AdminStore.FindOpenEnrollmentAsync(c, tx, Tokens.Hash(token!));
        if (enrollment is null) return (null, new Problem(ProblemCode.NotFound, BadLink));
        if (enrollment.TotpSecret is null) return (null, new Problem(ProblemCode.Conflict, "Open the enrollment page first to get your secret."));
        var step = totp.Verify(enrollment.TotpSecret, code!);
        if (step is null)
        {
            await tx.RollbackAsync();
            await AuditLog.WriteAsync(db, AdminAudit.Of(from, "enrollment.failed", enrollment.AdminId, "admin", enrollment.AdminId.ToString()));
            return (null, new Problem(ProblemCode.Unauthorized, "Wrong code; check your authenticator app's clock and try the next code."));
        }
        await AdminStore.CompleteEnrollmentAsync(c, tx, enrollment, step.Value);
        // A re-enrollment means the old authenticator is lost: every old session of this admin ends.
        var revoked = await AdminSessionStore.RevokeAsync(c, tx, enrollment.AdminId, null, "re_enrolled");
        var session = await sessions.StartAsync(c, tx, from, enrollment.AdminId, enrollment.Username, enrollment.DisplayName);
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(from, "admin.enrolled", enrollment.AdminId, "admin", enrollment.AdminId.ToString(),
            new { revokedSessions = revoked }));
        await tx.CommitAsync();
        await sessions.SignalEndedAsync(revoked);
        return (session, null);
    }
}
