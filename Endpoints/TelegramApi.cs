using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SupportChat.Conversations;
using SupportChat.Admins;
using SupportChat.Telegram;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace SupportChat.Endpoints;

/// <summary>
/// HTTP side of Telegram: the webhook Telegram calls (webhook mode), and the admin endpoints that link an admin's
/// Telegram account with a one-time /start code.
/// </summary>
public static class TelegramApi
{
    public static void MapTelegram(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        if (options.Enabled && options.UsesWebhook)
            app.MapPost(TelegramLinks.WebhookPath, WebhookAsync).WithTags("Telegram").ExcludeFromDescription();

        var admin = app.MapGroup("/api/admin/telegram").RequireAdmin().RequireRateLimiting(Security.AdminLimit).WithTags("Telegram");
        admin.MapGet("/", StatusAsync);
        admin.MapPost("/link", CreateLinkAsync);
        admin.MapDelete("/link", UnlinkAsync);
    }

    /// <summary>Wrong secrets one IP may send per minute; past it, every call from that IP is refused unchecked and unlogged.</summary>
    static readonly RateBudget WebhookFailures = RateBudget.PerMinute("telegram_webhook", 10);

    static async Task<Results<Ok, BadRequestError, UnauthorizedError, RateLimitedError>> WebhookAsync(HttpContext http, IOptions<TelegramOptions> options, IRateBudgets limits, ILogger<TelegramUpdates> log)
    {
        // Looked at before the secret, so that a guesser past the budget learns nothing from the answer.
        var ip = RateLimits.IpKey(http);
        if (await limits.TryTakeAsync(WebhookFailures, ip, peek: true) is { } wait) return ApiError.RateLimited(wait);
        if (!TelegramLinks.SecretMatches(http.Request.Headers[TelegramLinks.SecretHeader].ToString(), options.Value.WebhookSecret!))
        {
            if (await limits.TryTakeAsync(WebhookFailures, ip) is { } retryAfter) return ApiError.RateLimited(retryAfter);
            log.LogWarning("Refused a Telegram webhook call from {Ip}: missing or wrong secret token", RequestOrigins.Of(http).Ip);
            return ApiError.Unauthorized("Missing or wrong secret token.");
        }
        Update? update;
        try { update = await JsonSerializer.DeserializeAsync<Update>(http.Request.Body, JsonBotAPI.Options, http.RequestAborted); }
        catch (JsonException) { return ApiError.BadRequest("Not a Telegram update."); }
        if (update is null) return ApiError.BadRequest("Not a Telegram update.");
        // Resolved here, not as a parameter: the handler exists only when Telegram is on.
        await http.RequestServices.GetRequiredService<TelegramUpdates>().HandleAsync(update, http.RequestAborted);
        return TypedResults.Ok();
    }

    static async Task<Ok<TelegramStatus>> StatusAsync(AdminPrincipal admin, TelegramLinks links) => TypedResults.Ok(await links.StatusAsync(admin));

    static async Task<Results<Created<TelegramLink>, UnavailableError>> CreateLinkAsync(AdminPrincipal admin, HttpContext http, TelegramLinks links)
    {
        var (link, problem) = await links.CreateLinkAsync(admin, RequestOrigins.Of(http));
        if (problem is not null) return ApiError.From(problem).As<Created<TelegramLink>, UnavailableError>();
        return TypedResults.Created((string?)null, link!);
    }

    static async Task<Results<NoContent, NotFoundError>> UnlinkAsync(AdminPrincipal admin, HttpContext http, TelegramLinks links) =>
        await links.UnlinkAsync(admin, RequestOrigins.Of(http)) is { } problem
            ? ApiError.From(problem).As<NoContent, NotFoundError>()
            : TypedResults.NoContent();
}
