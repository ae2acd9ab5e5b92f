using Microsoft.AspNetCore.Http.HttpResults;
using SupportChat.Admins;
using SupportChat.Data;

namespace SupportChat.Endpoints;

public sealed record InviteRequest(string? Username, string? DisplayName);
public sealed record AdminListItem(long Id, string Username, string DisplayName, string Status, DateTime CreatedAt, DateTime? EnrolledAt);
public sealed record EnrollmentLink(AdminListItem Admin, string Url, DateTime ExpiresAt);

/// <summary>The admin team: list, invite (an enrollment link), remove.</summary>
public static class TeamApi
{
    public static void MapTeam(this WebApplication app)
    {
        var group = app.MapGroup("/api/admin/admins").RequireAdmin().RequireRateLimiting(Security.AdminLimit).WithTags("Admins");
        group.MapGet("/", List);
        group.MapPost("/", Invite);
        group.MapDelete("/{id:long}", Remove);
    }

    static AdminListItem Item(AdminRow a) => new(a.Id, a.Username, a.DisplayName, a.Status, a.CreatedAt, a.EnrolledAt);

    public static EnrollmentLink Link(IssuedEnrollmentLink link) => new(Item(link.Admin), link.Url, link.ExpiresAt);

    static async Task<Ok<List<AdminListItem>>> List(Team team) => TypedResults.Ok((await team.ListAsync()).Select(Item).ToList());

    static async Task<Results<Created<EnrollmentLink>, BadRequestError, ConflictError>> Invite(InviteRequest? body, AdminPrincipal admin, HttpContext http, Team team)
    {
        var (link, problem) = await team.InviteAsync(admin, body?.Username, body?.DisplayName, RequestOrigins.Of(http));
        if (problem is not null) return ApiError.From(problem).As<Created<EnrollmentLink>, BadRequestError, ConflictError>();
        return TypedResults.Created($"/api/admin/admins/{link!.Admin.Id}", Link(link));
    }

    static async Task<Results<NoContent, UnauthorizedError, NotFoundError, ConflictError>> Remove(long id, AdminPrincipal admin, HttpContext http, Team team) =>
        await team.RemoveAsync(admin, id, RequestOrigins.Of(http)) is { } problem
            ? ApiError.From(problem).As<NoContent, UnauthorizedError, NotFoundError, ConflictError>()
            : TypedResults.NoContent();
}
