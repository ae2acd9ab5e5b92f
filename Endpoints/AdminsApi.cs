using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;

namespace SupportChat.Endpoints;

public sealed record InviteRequest(string? Username, string? DisplayName);
public sealed record AdminListItem(long Id, string Username, string DisplayName, string Status, DateTime CreatedAt, DateTime? EnrolledAt);
public sealed record EnrollmentLink(AdminListItem Admin, string Url, DateTime ExpiresAt);

/// <summary>The admin team: list, invite (an enrollment link), remove.</summary>
public static partial class AdminsApi
{
    public static void MapAdmins(this WebApplication app)
    {
        var group = app.MapGroup("/api/admin/admins").RequireAdmin().RequireRateLimiting(Security.AdminLimit).WithTags("Admins");
        group.MapGet("/", List);
        group.MapPost("/", Invite);
        group.MapDelete("/{id:long}", Remove);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UsernamePattern();

    static AdminListItem Item(AdminRow a) => new(a.Id, a.Username, a.DisplayName, a.Status, a.CreatedAt, a.EnrolledAt);

    static async Task<Ok<List<AdminListItem>>> List(NpgsqlDataSource db) =>
        TypedResults.Ok((await AdminStore.ListAsync(db)).Select(Item).ToList());

    static async Task<IResult> Invite(InviteRequest? body, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db,
        IOptions<AdminOptions> adminOptions, IOptions<ServerOptions> server)
    {
        var username = body?.Username?.Trim().ToLowerInvariant() ?? "";
        var displayName = body?.DisplayName?.Trim() ?? "";
        if (!UsernamePattern().IsMatch(username))
            return ApiError.BadRequest("A username is 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit.");
        if (displayName.Length is < 1 or > 100) return ApiError.BadRequest("A display name is 1 to 100 characters.");
        var link = await CreateEnrollmentLinkAsync(db, adminOptions.Value, server.Value, username, displayName, admin.AdminId,
            AdminAuthentication.Audit(http, "admin.invited", admin.AdminId), EnrollmentLinkKind.Invite);
        return link is null
            ? ApiError.Conflict("That username belongs to an active admin.")
            : TypedResults.Created($"/api/admin/admins/{link.Admin.Id}", link);
    }

    /// <summary>Removes an admin: their sessions end and their conversations become unassigned, told to every console.</summary>
    static async Task<IResult> Remove(long id, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db, AdminAuthentication auth, IConversationEventBus bus)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync(System.Data.IsolationLevel.Serializable);
        // Checked again inside the transaction: the caller may have been removed since the request was authenticated
        // (two admins removing each other); a removal racing this one makes PostgreSQL refuse one of the two (409).
        if (!await AdminSessionStore.IsLiveAsync(c, tx, admin.SessionId)) return ApiError.Unauthorized();
        if (await AdminStore.CountActiveAsync(c, tx) <= 1 && id == admin.AdminId)
            return ApiError.Conflict("You are the last active admin; invite another before removing yourself.");
        if (!await AdminStore.RemoveAsync(c, tx, id)) return ApiError.NotFound("No such admin.");
        var revoked = await AdminSessionStore.RevokeAsync(c, tx, id, null, "admin_removed");
        var unassigned = await ConversationStore.UnassignAllAsync(c, tx, id);
        if (unassigned.Count > 0) await ConversationStore.BumpListVersionAsync(c, tx);
        await AuditLog.WriteAsync(c, tx, AdminAuthentication.Audit(http, "admin.removed", admin.AdminId, "admin", id.ToString(),
            new { revokedSessions = revoked, unassignedConversations = unassigned }));
        await tx.CommitAsync();
        await auth.SignalEndedAsync(revoked);
        foreach (var conversation in unassigned) bus.Publish(new AssignmentChangedEvent(conversation, null, null));
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The one way an enrollment link is made (invite, first start, command line): the admin becomes pending if new,
    /// a random link token is stored hashed, the admin's earlier unused links are revoked, and the action is audited in the
    /// same transaction. Only the maintainer's command (Recovery) makes a link for an active admin; otherwise that returns null.
    /// </summary>
    public static async Task<EnrollmentLink?> CreateEnrollmentLinkAsync(NpgsqlDataSource db, AdminOptions options, ServerOptions server,
        string username, string displayName, long? createdBy, AuditEntry audit, EnrollmentLinkKind kind)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var target = await AdminStore.UpsertPendingAsync(c, tx, username, displayName);
        if (kind != EnrollmentLinkKind.Recovery && target.Status == "active") return null;
        var token = AdminAuthentication.RandomToken();
        var expiresAt = DateTime.UtcNow.AddMinutes(options.EnrollmentLinkMinutes);
        var revokedLinks = await AdminStore.CreateEnrollmentAsync(c, tx, target.Id, AdminAuthentication.HashToken(token), createdBy, expiresAt, kind);
        await AuditLog.WriteAsync(c, tx, audit with { TargetType = "admin", TargetId = target.Id.ToString(), Details = new { username, expiresAt, revokedLinks } });
        await tx.CommitAsync();
        // The token rides in the fragment, which browsers never send to a server or write to its logs.
        return new EnrollmentLink(Item(target), $"{server.BaseUrl}/admin/enroll.html#token={token}", expiresAt);
    }
}
