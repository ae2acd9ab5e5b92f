using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SupportChat.Admins;
using SupportChat.Conversations;

namespace SupportChat.Endpoints;

/// <summary>TargetName: what the target is called where it has a name (a conversation: its visitor, as VisitorNames shows them).</summary>
public sealed record AuditItem(long Id, DateTime At, long? AdminId, string? AdminUsername, string Action, string? Ip, string? UserAgent,
    string? TargetType, string? TargetId, string? TargetName, JsonElement Details);
public sealed record AuditPage(IReadOnlyList<AuditItem> Items, long? NextBefore);

public sealed record AuditQuery(string? Action, long? AdminId, DateTime? Since, long? Before, int? Limit);

/// <summary>The audit trail, newest first, filtered and paged by id.</summary>
public static class AuditApi
{
    public static void MapAudit(this WebApplication app) =>
        app.MapGroup("/api/admin/audit").RequireAdmin().RequireRateLimiting(Security.AdminLimit).WithTags("Audit")
            .MapGet("/", List);

    sealed record Row(long Id, DateTime At, long? AdminId, string? AdminUsername, string Action, string? Ip, string? UserAgent,
        string? TargetType, string? TargetId, string Details, Guid? VisitorId, string? VisitorName);

    static async Task<Results<Ok<AuditPage>, BadRequestError>> List([AsParameters] AuditQuery q, NpgsqlDataSource db)
    {
        var limit = q.Limit ?? 50;
        if (limit is < 1 or > 200) return ApiError.BadRequest("limit is 1 to 200.");
        if (q.Action is { Length: > 64 }) return ApiError.BadRequest("action is at most 64 characters.");
        await using var c = await db.OpenConnectionAsync();
        var rows = (await c.QueryAsync<Row>("""
            SELECT l.id, l.at, l.admin_id, a.username AS admin_username, l.action, host(l.ip) AS ip, l.user_agent,
                   l.target_type, l.target_id, l.details::text AS details, v.id AS visitor_id, v.name AS visitor_name
            FROM audit_log l LEFT JOIN admins a ON a.id = l.admin_id
            -- Only a conversation's target id is a uuid: the CASE keeps the cast away from the others.
            LEFT JOIN conversations tc ON tc.id = CASE WHEN l.target_type = 'conversation' THEN l.target_id::uuid END
            LEFT JOIN visitors v ON v.id = tc.visitor_id
            WHERE (@Before::bigint IS NULL OR l.id < @Before)
              AND (@Action::text IS NULL OR l.action = @Action)
              AND (@AdminId::bigint IS NULL OR l.admin_id = @AdminId)
              AND (@Since::timestamptz IS NULL OR l.at >= @Since)
            ORDER BY l.id DESC
            LIMIT @take
            """, new { q.Before, q.Action, q.AdminId, q.Since, take = limit + 1 })).ToList();
        var items = rows.Take(limit).Select(r => new AuditItem(r.Id, r.At, r.AdminId, r.AdminUsername, r.Action, r.Ip, r.UserAgent,
            r.TargetType, r.TargetId, r.VisitorId is { } visitor ? VisitorNames.Display(visitor, r.VisitorName) : null, JsonDocument.Parse(r.Details).RootElement.Clone())).ToList();
        return TypedResults.Ok(new AuditPage(items, rows.Count > limit ? items[^1].Id : null));
    }
}
