using System.Text.RegularExpressions;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;

namespace SupportChat.Endpoints;

/// <summary>Name and Color are both needed to create a tag; a PATCH changes the ones it sends.</summary>
public sealed record TagRequest(string? Name, string? Color);

public sealed record ConversationTags(Guid ConversationId, IReadOnlyList<Tag> Tags);

/// <summary>
/// Tags: the shared list (create, rename, recolour, delete, each audited) and putting them on conversations. A change
/// reaches every open console: a "tags" frame for a conversation's tags, "tags-changed" for the list of tags itself.
/// </summary>
public static partial class TagsApi
{
    public const int MaxNameChars = 50;
    public const string DefaultColor = "#6b7280";

    public static void MapTags(this WebApplication app)
    {
        var tags = app.MapGroup("/api/admin/tags").WithTags("Tags").RequireAdmin().RequireRateLimiting(Security.AdminLimit);
        tags.MapGet("/", ListAsync);
        tags.MapPost("/", AddAsync);
        tags.MapPatch("/{id:long}", UpdateAsync);
        tags.MapDelete("/{id:long}", DeleteAsync);

        var onConversation = app.MapGroup("/api/admin/conversations/{id:guid}/tags").WithTags("Tags").RequireAdmin().RequireRateLimiting(Security.AdminLimit);
        onConversation.MapPut("/{tagId:long}", AttachAsync);
        onConversation.MapDelete("/{tagId:long}", DetachAsync);
    }

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorPattern();

    static async Task<IResult> ListAsync(NpgsqlDataSource db) => TypedResults.Ok(await TagStore.ListAsync(db));

    static async Task<IResult> AddAsync(TagRequest? request, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db, IConversationEventBus bus)
    {
        var name = CleanName(request?.Name);
        var color = request?.Color is null ? DefaultColor : CleanColor(request.Color);
        if (name is null) return NameError();
        if (color is null) return ColorError();
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        try
        {
            var tag = await TagStore.AddAsync(c, tx, name, color);
            await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "tag.created", admin.AdminId, "tag", tag.Id.ToString(), new { tag.Name, tag.Color }));
            await tx.CommitAsync();
            bus.Publish(new TagCatalogChangedEvent());
            return TypedResults.Created($"/api/admin/tags/{tag.Id}", tag);
        }
        catch (PostgresException ex) when (ex.SqlState == TagStore.DuplicateName)
        {
            return Duplicate(name);
        }
    }

    static async Task<IResult> UpdateAsync(long id, TagRequest? request, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db, IConversationEventBus bus)
    {
        if (request?.Name is null && request?.Color is null) return ApiError.BadRequest("Send a new name, a new color or both.");
        var name = request.Name is null ? null : CleanName(request.Name);
        var color = request.Color is null ? null : CleanColor(request.Color);
        if (request.Name is not null && name is null) return NameError();
        if (request.Color is not null && color is null) return ColorError();
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        try
        {
            if (await TagStore.UpdateAsync(c, tx, id, name, color) is not { } updated) return ApiError.NotFound("No such tag.");
            var (before, after) = updated;
            if (before != after)
            {
                // Lists show tag names and colours, so cached pages must not outlive the change.
                await ConversationStore.BumpListVersionAsync(c, tx);
                await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "tag.updated", admin.AdminId, "tag", id.ToString(),
                    new { from = new { before.Name, before.Color }, to = new { after.Name, after.Color } }));
            }
            await tx.CommitAsync();
            if (before != after) bus.Publish(new TagCatalogChangedEvent());
            return TypedResults.Ok(after);
        }
        catch (PostgresException ex) when (ex.SqlState == TagStore.DuplicateName)
        {
            return Duplicate(name!);
        }
    }

    /// <summary>Deleting a tag takes it off every conversation that carried it.</summary>
    static async Task<IResult> DeleteAsync(long id, AdminPrincipal admin, HttpContext http, NpgsqlDataSource db, IConversationEventBus bus)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await TagStore.DeleteAsync(c, tx, id) is not { } deleted) return ApiError.NotFound("No such tag.");
        var (tag, carried) = deleted;
        await ConversationStore.BumpListVersionAsync(c, tx);
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "tag.deleted", admin.AdminId, "tag", id.ToString(),
            new { tag.Name, tag.Color, conversations = carried }));
        await tx.CommitAsync();
        bus.Publish(new TagCatalogChangedEvent());
        return TypedResults.NoContent();
    }

    /// <summary>Puts the tag on the conversation; doing it again changes nothing. The answer is the conversation's tags.</summary>
    static Task<IResult> AttachAsync(HttpContext http, AdminPrincipal admin, ConversationService conversations, Guid id, long tagId) =>
        TagAsync(http, admin, conversations, id, tagId, attach: true);

    /// <summary>Takes the tag off the conversation; doing it again changes nothing. The answer is the conversation's tags.</summary>
    static Task<IResult> DetachAsync(HttpContext http, AdminPrincipal admin, ConversationService conversations, Guid id, long tagId) =>
        TagAsync(http, admin, conversations, id, tagId, attach: false);

    static async Task<IResult> TagAsync(HttpContext http, AdminPrincipal admin, ConversationService conversations, Guid id, long tagId, bool attach)
    {
        var tagged = await conversations.TagAsync(admin.AsSender(RequestOrigins.Of(http)), id, tagId, attach);
        return tagged.Error is { } error ? ConversationsApi.ToResult(error) : TypedResults.Ok(new ConversationTags(id, tagged.Value!.Tags));
    }

    /// <summary>The trimmed name, or null when it is empty, too long or has control characters.</summary>
    static string? CleanName(string? name)
    {
        var trimmed = name?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameChars || trimmed.Any(char.IsControl) ? null : trimmed;
    }

    /// <summary>The colour in lower case, or null when it is not #rrggbb.</summary>
    static string? CleanColor(string color) => ColorPattern().IsMatch(color) ? color.ToLowerInvariant() : null;

    static IResult NameError() => ApiError.BadRequest($"name is 1 to {MaxNameChars} characters (trimmed), without control characters.");
    static IResult ColorError() => ApiError.BadRequest("color is #rrggbb, e.g. #1d4ed8.");
    static IResult Duplicate(string name) => ApiError.Conflict($"Another tag is named '{name}'.");
}
