using System.Text.RegularExpressions;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Admins;

/// <summary>The admin team: invite (an enrollment link) and remove.</summary>
public sealed partial class Team(NpgsqlDataSource db, Enrollment enrollment, AdminSessions sessions, IConversationEventBus bus)
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UsernamePattern();

    public Task<IReadOnlyList<AdminRow>> ListAsync() => AdminStore.ListAsync(db);

    public async Task<(IssuedEnrollmentLink? Link, Problem? Problem)> InviteAsync(AdminPrincipal by, string? username, string? displayName, RequestOrigin from)
    {
        username = username?.Trim().ToLowerInvariant() ?? "";
        displayName = displayName?.Trim() ?? "";
        if (!UsernamePattern().IsMatch(username))
            return (null, new Problem(ProblemCode.BadRequest, "A username is 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit."));
        if (displayName.Length is < 1 or > 100) return (null, new Problem(ProblemCode.BadRequest, "A display name is 1 to 100 characters."));
        var link = await enrollment.CreateLinkAsync(username, displayName, by.AdminId, AdminAudit.Of(from, "admin.invited", by.AdminId), EnrollmentLinkKind.Invite);
        return link is null ? (null, new Problem(ProblemCode.Conflict, "That username belongs to an active admin.")) : (link, null);
    }

    /// <summary>Removes an admin: their sessions end and their conversations become unassigned, told to every console. Null when done.</summary>
    public async Task<Problem?> RemoveAsync(AdminPrincipal by, long id, RequestOrigin from)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync(System.Data.IsolationLevel.Serializable);
        // Checked again inside the transaction: the caller may have been removed since the request was authenticated
        // (two admins removing each other); a removal racing this one makes PostgreSQL refuse one of the two (409).
        if (!await AdminSessionStore.IsLiveAsync(c, tx, by.SessionId)) return new Problem(ProblemCode.Unauthorized, "Log in first.");
        if (await AdminStore.CountActiveAsync(c, tx) <= 1 && id == by.AdminId)
            return new Problem(ProblemCode.Conflict, "You are the last active admin; invite another before removing yourself.");
        if (!await AdminStore.RemoveAsync(c, tx, id)) return new Problem(ProblemCode.NotFound, "No such admin.");
        var revoked = await AdminSessionStore.RevokeAsync(c, tx, id, null, "admin_removed");
        var unassigned = await ConversationStore.UnassignAllAsync(c, tx, id);
        if (unassigned.Count > 0) await ConversationStore.BumpListVersionAsync(c, tx);
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(from, "admin.removed", by.AdminId, "admin", id.ToString(),
            new { revokedSessions = revoked, unassignedConversations = unassigned }));
        await tx.CommitAsync();
        await sessions.SignalEndedAsync(revoked);
        foreach (var conversation in unassigned) bus.Publish(new AssignmentChangedEvent(conversation, null, null));
        return null;
    }
}
