using Microsoft.AspNetCore.Http.HttpResults;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;

namespace SupportChat.Endpoints;

/// <summary>Name and Color are both needed to create a tag; a PATCH changes the ones it sends.</summary>
public sealed record TagRequest(string? Name, string? Color);

public sealed record ConversationTags(Guid ConversationId, IReadOnlyList<Tag> Tags);

/// <summary>Tags over HTTP: the shared list and putting tags on conversations. The rules are Conversations.Tags'; this only translates.</summary>
public static class TagsApi
{
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

    static async Task<Ok<IReadOnlyList<Tag>>> ListAsync(Tags tags) => TypedResults.Ok(await tags.ListAsync());

    static async Task<Results<Created<Tag>, BadRequestError, ForbiddenError, ConflictError>> AddAsync(TagRequest? request, AdminPrincipal admin, HttpContext http, Tags tags)
    {
        var added = await tags.AddAsync(SenderOf(admin, http), request?.Name, request?.Color);
        return added.Error is { } error ? ApiError.From(error).As<Created<Tag>, BadRequestError, ForbiddenError, ConflictError>() : TypedResults.Created($"/api/admin/tags/{added.Value!.Id}", added.Value);
    }

    static async Task<Results<Ok<Tag>, BadRequestError, ForbiddenError, NotFoundError, ConflictError>> UpdateAsync(long id, TagRequest? request, AdminPrincipal admin, HttpContext http, Tags tags)
    {
        var updated = await tags.UpdateAsync(SenderOf(admin, http), id, request?.Name, request?.Color);
        return updated.Error is { } error
            ? ApiError.From(error).As<Ok<Tag>, BadRequestError, ForbiddenError, NotFoundError, ConflictError>()
            : TypedResults.Ok(updated.Value!);
    }

    /// <summary>Deleting a tag takes it off every conversation that carried it.</summary>
    static async Task<Results<NoContent, ForbiddenError, NotFoundError>> DeleteAsync(long id, AdminPrincipal admin, HttpContext http, Tags tags) =>
        (await tags.DeleteAsync(SenderOf(admin, http), id)).Error is { } error ? ApiError.From(error).As<NoContent, ForbiddenError, NotFoundError>() : TypedResults.NoContent();

    /// <summary>Puts the tag on the conversation; doing it again changes nothing. The answer is the conversation's tags.</summary>
    static Task<Results<Ok<ConversationTags>, ForbiddenError, NotFoundError>> AttachAsync(HttpContext http, AdminPrincipal admin, Tags tags, Guid id, long tagId) =>
        TagAsync(http, admin, tags, id, tagId, attach: true);

    /// <summary>Takes the tag off the conversation; doing it again changes nothing. The answer is the conversation's tags.</summary>
    static Task<Results<Ok<ConversationTags>, ForbiddenError, NotFoundError>> DetachAsync(HttpContext http, AdminPrincipal admin, Tags tags, Guid id, long tagId) =>
        TagAsync(http, admin, tags, id, tagId, attach: false);

    static async Task<Results<Ok<ConversationTags>, ForbiddenError, NotFoundError>> TagAsync(HttpContext http, AdminPrincipal admin, Tags tags, Guid id, long tagId, bool attach)
    {
        var tagged = await tags.TagAsync(SenderOf(admin, http), id, tagId, attach);
        return tagged.Error is { } error ? ApiError.From(error).As<Ok<ConversationTags>, ForbiddenError, NotFoundError>() : TypedResults.Ok(new ConversationTags(id, tagged.Value!.Tags));
    }

    static Sender SenderOf(AdminPrincipal admin, HttpContext http) => Sender.Admin(admin.AdminId, admin.DisplayName, RequestOrigins.Of(http));
}
