using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Admins;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Telegram;

public sealed record TelegramStatus(bool Enabled, string? BotUsername, bool Linked);
public sealed record TelegramLink(string Url, DateTime ExpiresAt);

/// <summary>Linking an admin's Telegram account with a one-time /start code, and the webhook's secret check.</summary>
public sealed class TelegramLinks(NpgsqlDataSource db, IOptions<TelegramOptions> options)
{
    public const string WebhookPath = "/api/telegram/webhook";
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    /// <summary>Constant time whatever the lengths: both sides are hashed to 32 bytes first.</summary>
    public static bool SecretMatches(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)))
        && given.Length > 0;

    public async Task<TelegramStatus> StatusAsync(AdminPrincipal admin)
    {
        var o = options.Value;
        return new TelegramStatus(o.Enabled, o.Enabled ? o.LinkBotUsername : null, await TelegramStore.IsLinkedAsync(db, admin.AdminId));
    }

    /// <summary>A one-time t.me link; opening it sends /start CODE to the bot, which links the sender's Telegram account to this admin.</summary>
    public async Task<(TelegramLink? Link, Problem? Problem)> CreateLinkAsync(AdminPrincipal admin, RequestOrigin from)
    {
        var o = options.Value;
        if (!o.Enabled) return (null, new Problem(ProblemCode.Unavailable, "Telegram is not configured (Telegram:BotToken)."));
        // 32 random bytes in base64url: 43 characters, within the 64 of A-Z a-z 0-9 _ - that a /start parameter allows.
        var code = Tokens.Random();
        var expiresAt = DateTime.UtcNow.AddMinutes(o.LinkCodeMinutes);
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        await TelegramStore.CreateLinkCodeAsync(c, tx, admin.AdminId, Tokens.Hash(code), expiresAt);
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(from, "telegram.link_code.created", admin.AdminId, "admin", admin.AdminId.ToString(), new { expiresAt }));
        await tx.CommitAsync();
        return (new TelegramLink($"https://t.me/{o.LinkBotUsername}?start={code}", expiresAt), null);
    }

    /// <summary>Null when unlinked; NotFound when no account was linked.</summary>
    public async Task<Problem?> UnlinkAsync(AdminPrincipal admin, RequestOrigin from)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (!await TelegramStore.UnlinkAsync(c, tx, admin.AdminId)) return new Problem(ProblemCode.NotFound, "No Telegram account is linked.");
        await AuditLog.WriteAsync(c, tx, AdminAudit.Of(from, "telegram.unlinked", admin.AdminId, "admin", admin.AdminId.ToString()));
        await tx.CommitAsync();
        return null;
    }
}
