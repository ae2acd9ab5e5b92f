using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SupportChat.Data;
using SupportChat.Admins;
using SupportChat.Conversations;

namespace SupportChat.Endpoints;

/// <summary>
/// One search result. kind "message": a message (snippet marks matches between U+E000 and U+E001); kind "visitor": a
/// visitor whose name or e-mail contains the text (MessageId, Seq and Sender are null; the link is their latest conversation).
/// VisitorName is the name the visitor gave, if any; VisitorDisplayName what the console shows them as (VisitorNames).
/// </summary>
public sealed record SearchResult(
    string Kind, Guid ConversationId, long? MessageId, long? Seq, SenderKind? Sender, DateTime CreatedAt, string? VisitorName, string VisitorDisplayName, string Snippet);

public sealed record SearchResults(IReadOnlyList<SearchResult> Results, string? NextCursor);

/// <summary>Admin search over messages and visitors.</summary>
public static class SearchApi
{
    public const int MaxQueryChars = 200, DefaultLimit = 20, MaxLimit = 50, MaxVisitors = 5, MinVisitorChars = 3;

    public static RouteGroupBuilder MapSearchApi(this WebApplication app)
    {
        var group = app.MapGroup("/api/admin/search").WithTags("Search").RequireAdmin().RequireRateLimiting(Security.AdminLimit);
        group.MapGet("/", SearchAsync);
        return group;
    }

    /// <summary>
    /// Messages newest first, keyset-paged on the message id (before = the previous page's nextCursor). Visitors whose
    /// name or e-mail contains q (at least 3 characters) come first, on the first page only.
    /// </summary>
    static async Task<Results<Ok<SearchResults>, BadRequestError>> SearchAsync(NpgsqlDataSource db, string? q, string? before, int? limit)
    {
        var text = q?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > MaxQueryChars) return ApiError.BadRequest($"q must be 1 to {MaxQueryChars} characters.");
        if (text.Contains('\0')) return ApiError.BadRequest("q must not contain NUL.");
        if (limit is < 1 or > MaxLimit) return ApiError.BadRequest($"limit must be 1 to {MaxLimit}.");
        long? beforeId = null;
        if (before is not null)
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                return ApiError.BadRequest("before is not a cursor this API returned.");
            beforeId = id;
        }
        var take = limit ?? DefaultLimit;

        var results = new List<SearchResult>();
        if (beforeId is null && text.Length >= MinVisitorChars)
            foreach (var v in await SearchStore.VisitorsAsync(db, text, MaxVisitors))
                results.Add(new SearchResult("visitor", v.ConversationId, null, null, null, v.LastActivityAt, v.VisitorName, VisitorNames.Display(v.VisitorId, v.VisitorName),
                    Mark(string.Join(" · ", new[] { v.VisitorName, v.VisitorEmail }.Where(s => !string.IsNullOrEmpty(s))), text)));
        var messages = await SearchStore.MessagesAsync(db, text, beforeId, take);
        results.AddRange(messages.Select(m => new SearchResult("message", m.ConversationId, m.MessageId, m.Seq, m.Sender, m.CreatedAt, m.VisitorName,
            VisitorNames.Display(m.VisitorId, m.VisitorName), m.Snippet)));
        var next = messages.Count == take ? messages[^1].MessageId.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new SearchResults(results, next));
    }

    /// <summary>Marks each case-insensitive occurrence of text, as the database marks message matches.</summary>
    static string Mark(string value, string text)
    {
        value = value.Replace(SearchStore.MarkStart, "").Replace(SearchStore.MarkStop, "");
        var compare = CultureInfo.InvariantCulture.CompareInfo;
        var result = new System.Text.StringBuilder();
        var at = 0;
        while (at < value.Length)
        {
            var found = compare.IndexOf(value.AsSpan(at), text, CompareOptions.IgnoreCase, out var length);
            if (found < 0 || length == 0) break;
            found += at;
            result.Append(value, at, found - at).Append(SearchStore.MarkStart).Append(value, found, length).Append(SearchStore.MarkStop);
            at = found + length;
        }
        return result.Append(value, at, value.Length - at).ToString();
    }
}
