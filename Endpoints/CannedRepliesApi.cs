using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;

namespace SupportChat.Endpoints;

public sealed record CannedReplyRequest(string? Shortcut, string? Title, string? Body);

/// <summary>Canned replies: snippets every admin shares, inserted in the reply box with /shortcut. Every change is audited.</summary>
public static partial class CannedRepliesApi
{
    public const int MaxBodyChars = 4000;
    public const int MaxTitleChars = 100;

    public static RouteGroupBuilder MapCannedReplies(this WebApplication app)
    {
        var group = app.MapGroup("/api/admin/canned-replies").WithTags("Canned replies").RequireAdmin().RequireRateLimiting(Security.AdminLimit);
        group.MapGet("/", ListAsync);
        group.MapPost("/", AddAsync);
        group.MapPut("/{id:long}", UpdateAsync);
        group.MapDelete("/{id:long}", DeleteAsync);
        return group;
    }

    [GeneratedRegex("^[a-z0-9_-]{1,32}$")]
    private static partial Regex ShortcutPattern();

    static async Task<Ok<IReadOnlyList<CannedReply>>> ListAsync(NpgsqlDataSource db) => TypedResults.Ok(await CannedReplyStore.ListAsync(db));

    static async Task<Results<Created<CannedReply>, BadRequestError, ConflictError>> AddAsync(
        CannedReplyRequest? request, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db)
    {
        if (Invalid(request, out var shortcut, out var title, out var body) is { } invalid) return invalid;
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        try
        {
            var added = await CannedReplyStore.AddAsync(c, tx, shortcut, title, body, admin.AdminId);
            await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "canned.created", admin.AdminId, "canned_reply", added.Id.ToString(),
                new { shortcut }));
            await tx.CommitAsync();
            return TypedResults.Created($"/api/admin/canned-replies/{added.Id}", added);
        }
        catch (PostgresException ex) when (ex.SqlState == CannedReplyStore.DuplicateShortcut)
        {
            return Duplicate(shortcut);
        }
    }

    static async Task<Results<Ok<CannedReply>, BadRequestError, NotFoundError, ConflictError>> UpdateAsync(
        long id, CannedReplyRequest? request, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db)
    {
        if (Invalid(request, out var shortcut, out var title, out var body) is { } invalid) return invalid;
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        try
        {
            var updated = await CannedReplyStore.UpdateAsync(c, tx, id, shortcut, title, body);
            if (updated is null) return ApiError.NotFound("No such canned reply.");
            await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "canned.updated", admin.AdminId, "canned_reply", id.ToString(),
                new { shortcut }));
            await tx.CommitAsync();
            return TypedResults.Ok(updated);
        }
        catch (PostgresException ex) when (ex.SqlState == CannedReplyStore.DuplicateShortcut)
        {
            return Duplicate(shortcut);
        }
    }

    static async Task<Results<NoContent, NotFoundError>> DeleteAsync(long id, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var shortcut = await CannedReplyStore.DeleteAsync(c, tx, id);
        if (shortcut is null) return ApiError.NotFound("No such canned reply.");
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "canned.deleted", admin.AdminId, "canned_reply", id.ToString(), new { shortcut }));
        await tx.CommitAsync();
        return TypedResults.NoContent();
    }

    /// <summary>What is wrong with the request, or null and its cleaned shortcut (lower case), title and body.</summary>
    static BadRequestError? Invalid(CannedReplyRequest? r, out string shortcut, out string title, out string body)
    {
        shortcut = r?.Shortcut?.Trim().ToLowerInvariant() ?? "";
        title = r?.Title?.Trim() ?? "";
        body = r?.Body is null ? "" : MessageText.Normalize(r.Body);
        if (!ShortcutPattern().IsMatch(shortcut)) return ApiError.BadRequest("shortcut is 1 to 32 of a-z, 0-9, '_' and '-'.");
        if (title.Length > MaxTitleChars) return ApiError.BadRequest($"title is at most {MaxTitleChars} characters.");
        if (body.Length == 0 || MessageText.Length(body) > MaxBodyChars) return ApiError.BadRequest($"body is 1 to {MaxBodyChars} characters.");
        return null;
    }

    static ConflictError Duplicate(string shortcut) => ApiError.Conflict($"Another canned reply has the shortcut '{shortcut}'.");
}
