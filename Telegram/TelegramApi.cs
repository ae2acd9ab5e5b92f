using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Endpoints;
using SupportChat.Admins;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace SupportChat.Telegram;

public sealed record TelegramStatus(bool Enabled, string? BotUsername, bool Linked);
public sealed record TelegramLink(string Url, DateTime ExpiresAt);

/// <summary>
/// HTTP side of Telegram: the webhook Telegram calls (webhook mode), and the admin endpoints that link an admin's
/// Telegram account with a one-time /start code.
/// </summary>
public static class TelegramApi
{
    public const string WebhookPath = "/api/telegram/webhook";
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    public static void MapTelegram(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        if (options.Enabled && options.UsesWebhook)
            app.MapPost(WebhookPath, WebhookAsync).WithTags("Telegram").ExcludeFromDescription();

        var admin = app.MapGroup("/api/admin/telegram").RequireAdmin().RequireRateLimiting(Security.AdminLimit).WithTags("Telegram");
        admin.MapGet("/", StatusAsync);
        admin.MapPost("/link", CreateLinkAsync);
        admin.MapDelete("/link", UnlinkAsync);
    }

    /// <summary>Wrong secrets one IP may send per minute; past it, every call from that IP is refused unchecked and unlogged.</summary>
    static readonly RateBudget WebhookFailures = RateBudget.PerMinute("telegram_webhook", 10);

    static async Task<IResult> WebhookAsync(HttpContext http, IOptions<TelegramOptions> options, IRateBudgets limits, ILogger<TelegramUpdates> log)
    {
        // Looked at before the secret, so that a guesser past the budget learns nothing from the answer.
        var ip = RateLimits.IpKey(http);
        if (await limits.TryTakeAsync(WebhookFailures, ip, peek: true) is { } wait) return ApiError.RateLimited(wait);
        if (!SecretMatches(http.Request.Headers[SecretHeader].ToString(), options.Value.WebhookSecret!))
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

    /// <summary>Constant time whatever the lengths: both sides are hashed to 32 bytes first.</summary>
    public static bool SecretMatches(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)))
        && given.Length > 0;

    public static byte[] HashCode(string code) => Tokens.Hash(code);

    static async Task<Ok<TelegramStatus>> StatusAsync(AdminPrincipal admin, NpgsqlDataSource db, IOptions<TelegramOptions> options)
    {
        var o = options.Value;
        return TypedResults.Ok(new TelegramStatus(o.Enabled, o.Enabled ? o.LinkBotUsername : null, await TelegramStore.IsLinkedAsync(db, admin.AdminId)));
    }

    /// <summary>A one-time t.me link; opening it sends /start CODE to the bot, which links the sender's Telegram account to this admin.</summary>
    static async Task<IResult> CreateLinkAsync(AdminPrincipal admin, HttpContext http, NpgsqlDataSource db, IOptions<TelegramOptions> options)
    {
        var o = options.Value;
        if (!o.Enabled) return ApiError.Unavailable("Telegram is not configured (Telegram:BotToken).");
        // 32 random bytes in base64url: 43 characters, within the 64 of A-Z a-z 0-9 _ - that a /start parameter allows.
        var code = Tokens.Random();
        var expiresAt = DateTime.UtcNow.AddMinutes(o.LinkCodeMinutes);
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        await TelegramStore.CreateLinkCodeAsync(c, tx, admin.AdminId, HashCode(code), expiresAt);
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "telegram.link_code.created", admin.AdminId, "admin", admin.AdminId.ToString(),
            new { expiresAt }));
        await tx.CommitAsync();
        return TypedResults.Created((string?)null, new TelegramLink($"https://t.me/{o.LinkBotUsername}?start={code}", expiresAt));
    }

    static async Task<IResult> UnlinkAsync(AdminPrincipal admin, HttpContext http, NpgsqlDataSource db)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (!await TelegramStore.UnlinkAsync(c, tx, admin.AdminId)) return ApiError.NotFound("No Telegram account is linked.");
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(RequestOrigins.Of(http), "telegram.unlinked", admin.AdminId, "admin", admin.AdminId.ToString()));
        await tx.CommitAsync();
        return TypedResults.NoContent();
    }
}
