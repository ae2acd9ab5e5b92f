using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;
using SupportChat.Sockets;

namespace SupportChat.Endpoints;

public sealed record ConversationListItem(
    Guid Id, ConversationStatus Status, DateTime CreatedAt, DateTime LastActivityAt, long LastSeq, long VisitorReadSeq, long AdminReadSeq, long UnreadCount,
    Guid VisitorId, string? VisitorName, string VisitorDisplayName, string? VisitorEmail, string? PageUrl, DateTime VisitorLastSeenAt, bool VisitorOnline,
    string? LastMessagePreview, SenderKind? LastMessageSender, DateTime? LastMessageAt, string? VisitorUserAgent, DateTime VisitorFirstSeenAt,
    long? AssignedAdminId, string? AssignedAdminName, IReadOnlyList<Tag> Tags);

public sealed record ConversationList(IReadOnlyList<ConversationListItem> Conversations, string? NextCursor);

public sealed record MessageList(IReadOnlyList<MessageView> Messages, bool HasMore);

/// <summary>Note: true stores a private note instead of a reply.</summary>
public sealed record AdminReplyRequest(string? ClientMsgId, string? Body, bool? Note = null);

public sealed record StatusRequest(string? Status);

/// <summary>AdminId: an admin's id, or null for nobody. Kept as JSON so that a body without it is an error, not an unassignment.</summary>
public sealed record AssignRequest(JsonElement AdminId);

public sealed record Assignment(Guid ConversationId, long? AdminId, string? AdminName);

/// <summary>The list's query string as sent; ParseFilter checks it.</summary>
public sealed record ListQuery(string? Status, string? Assignee, string? Tag, string? Unread, string? Cursor, int? Limit);

public sealed record SentMessage(Guid ConversationId, string ClientMsgId, long Seq, long Id, DateTime CreatedAt, bool Duplicate)
{
    /// <summary>Set when the message carries an uploaded file (AttachmentsApi).</summary>
    public AttachmentView? Attachment { get; init; }
}

/// <summary>The admin console's view of conversations over HTTP. Live updates come over /ws/admin.</summary>
public static class ConversationsApi
{
    public static RouteGroupBuilder MapConversationsApi(this WebApplication app)
    {
        var group = app.MapGroup("/api/admin/conversations").WithTags("Conversations").RequireAdmin().RequireRateLimiting(Security.AdminLimit);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapGet("/{id:guid}/messages", MessagesAsync);
        group.MapPost("/{id:guid}/messages", ReplyAsync);
        group.MapPost("/{id:guid}/status", SetStatusAsync);
        group.MapPost("/{id:guid}/assignee", AssignAsync);
        return group;
    }

    /// <summary>Newest activity first; filters by status, assignee, tag and unread, combined; cursor is the previous page's nextCursor.</summary>
    static async Task<Results<Ok<ConversationList>, BadRequestError>> ListAsync(NpgsqlDataSource db, ConversationListCache cache, IPresence presence, AdminPrincipal admin,
        [AsParameters] ListQuery query)
    {
        var parsed = ParseFilter(query, admin);
        if (parsed.Error is { } invalid) return ApiError.BadRequest(invalid.Message);
        var filter = parsed.Value!;
        if (query.Limit is < 1 or > 100) return ApiError.BadRequest("limit must be 1 to 100.");
        (DateTime At, Guid Id)? after = null;
        if (query.Cursor is not null)
        {
            after = DecodeCursor(query.Cursor);
            if (after is null) return ApiError.BadRequest("cursor is not one this API returned.");
        }
        var take = query.Limit ?? 50;
        // The first page is what every console asks for on every change; later pages are rarer and come from the database.
        var rows = after is null ? await cache.FirstPageAsync(filter, take) : await ConversationStore.ListAsync(db, filter, after?.At, after?.Id, take);
        var online = await presence.OnlineVisitorsAsync(rows.Select(r => r.Id).ToList());
        var items = rows.Select(r => Item(r, online.Contains(r.Id))).ToList();
        var next = rows.Count == take ? EncodeCursor(rows[^1].LastActivityAt, rows[^1].Id) : null;
        return TypedResults.Ok(new ConversationList(items, next));
    }

    /// <summary>The filter the query string asks for ("me" is the asking admin), or what is wrong with it.</summary>
    static Outcome<ConversationFilter> ParseFilter(ListQuery q, AdminPrincipal admin)
    {
        var status = Kinds.StatusOf(q.Status);
        if (q.Status is not null && status is null) return new Problem(ProblemCode.BadRequest, "status must be open, pending or closed.");
        long? assigneeId = null;
        var unassigned = false;
        switch (q.Assignee)
        {
            case null: break;
            case "me": assigneeId = admin.AdminId; break;
            case "none": unassigned = true; break;
            default:
                if (!long.TryParse(q.Assignee, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                    return new Problem(ProblemCode.BadRequest, "assignee must be an admin id, me or none.");
                assigneeId = id;
                break;
        }
        long? tagId = null;
        if (q.Tag is not null)
        {
            if (!long.TryParse(q.Tag, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                return new Problem(ProblemCode.BadRequest, "tag must be a tag id.");
            tagId = id;
        }
        if (q.Unread is not null and not "true" and not "false") return new Problem(ProblemCode.BadRequest, "unread must be true or false.");
        return new ConversationFilter(status, assigneeId, unassigned, tagId, q.Unread == "true");
    }

    /// <summary>One conversation as the list shows it.</summary>
    static async Task<Results<Ok<ConversationListItem>, NotFoundError>> GetAsync(NpgsqlDataSource db, IPresence presence, Guid id)
    {
        if (await ConversationStore.SummaryAsync(db, id) is not { } row) return ApiError.NotFound("No such conversation.");
        var online = await presence.OnlineVisitorsAsync([row.Id]);
        return TypedResults.Ok(Item(row, online.Contains(row.Id)));
    }

    static ConversationListItem Item(ConversationSummary r, bool online) => new(r.Id, r.Status, r.CreatedAt, r.LastActivityAt, r.LastSeq,
        r.VisitorReadSeq, r.AdminReadSeq, r.UnreadCount, r.VisitorId, r.VisitorName,
        VisitorNames.Display(r.VisitorId, r.VisitorName), r.VisitorEmail, r.PageUrl, r.VisitorLastSeenAt, online,
        r.LastMessagePreview, r.LastMessageSender, r.LastMessageAt, r.VisitorUserAgent, r.VisitorFirstSeenAt, r.AssignedAdminId, r.AssignedAdminName, r.Tags);

    static async Task<Results<Ok<MessageList>, BadRequestError, ForbiddenError, NotFoundError>> MessagesAsync(HttpContext http, AdminPrincipal admin, ConversationService conversations, Guid id, long? before, int? limit)
    {
        var page = await conversations.HistoryAsync(admin.AsSender(RequestOrigins.Of(http)), id, before, limit);
        if (page.Error is { } error) return ApiError.From(error).As<Ok<MessageList>, BadRequestError, ForbiddenError, NotFoundError>();
        return TypedResults.Ok(new MessageList(page.Value!.Messages.Select(MessageView.From).ToList(), page.Value.HasMore));
    }

    /// <summary>An admin reply (or, with note: true, a private note) over HTTP: the same path as from the admin socket.</summary>
    static async Task<Results<Ok<SentMessage>, BadRequestError, ForbiddenError, NotFoundError, TooLargeError, RateLimitedError>> ReplyAsync(HttpContext http, AdminPrincipal admin, ConversationService conversations, Guid id, AdminReplyRequest request)
    {
        var sent = await conversations.SendAsync(admin.AsSender(RequestOrigins.Of(http)), id, request.ClientMsgId, request.Body, http.RequestAborted, request.Note == true);
        if (sent.Error is { } error)
            return ApiError.From(error).As<Ok<SentMessage>, BadRequestError, ForbiddenError, NotFoundError, TooLargeError, RateLimitedError>();
        var m = sent.Value!.Message;
        return TypedResults.Ok(new SentMessage(m.ConversationId, m.ClientMsgId!, m.Seq, m.Id, m.CreatedAt, sent.Value.Duplicate));
    }

    /// <summary>Close, reopen or set pending: the same path as /close from Telegram.</summary>
    static async Task<Results<Ok<StatusRequest>, BadRequestError, ForbiddenError, NotFoundError>> SetStatusAsync(HttpContext http, AdminPrincipal admin, ConversationService conversations, Guid id, StatusRequest? request)
    {
        var changed = await conversations.SetStatusAsync(admin.AsSender(RequestOrigins.Of(http)), id, request?.Status);
        if (changed.Error is { } error) return ApiError.From(error).As<Ok<StatusRequest>, BadRequestError, ForbiddenError, NotFoundError>();
        return TypedResults.Ok(new StatusRequest(changed.Value!.Status.Wire()));
    }

    /// <summary>Assign to an active admin, or to nobody with adminId null: the same path from every transport.</summary>
    static async Task<Results<Ok<Assignment>, BadRequestError, ForbiddenError, NotFoundError>> AssignAsync(HttpContext http, AdminPrincipal admin, ConversationService conversations, Guid id, AssignRequest? request)
    {
        long? adminId = null;
        switch (request?.AdminId.ValueKind)
        {
            case JsonValueKind.Null: break;
            case JsonValueKind.Number when request.AdminId.TryGetInt64(out var given) && given > 0: adminId = given; break;
            default: return ApiError.BadRequest("The body is { \"adminId\": an admin's id, or null for nobody }.");
        }
        var assigned = await conversations.AssignAsync(admin.AsSender(RequestOrigins.Of(http)), id, adminId);
        if (assigned.Error is { } error) return ApiError.From(error).As<Ok<Assignment>, BadRequestError, ForbiddenError, NotFoundError>();
        return TypedResults.Ok(new Assignment(id, assigned.Value!.AdminId, assigned.Value.AdminName));
    }

    static string EncodeCursor(DateTime at, Guid id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{at.Ticks.ToString(CultureInfo.InvariantCulture)}:{id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    static (DateTime, Guid)? DecodeCursor(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var ticks) && ticks >= 0 && ticks <= DateTime.MaxValue.Ticks
                && Guid.TryParse(parts[1], out var id))
                return (new DateTime(ticks, DateTimeKind.Utc), id);
        }
        catch (FormatException) { }
        return null;
    }
}
