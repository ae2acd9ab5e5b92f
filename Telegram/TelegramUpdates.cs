using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace SupportChat.Telegram;

/// <summary>
/// What an update from Telegram does, whether it came by webhook or by polling: a reply to a notification becomes an
/// admin message through ConversationService.SendAsync; commands are answered; /start CODE links an account; anything
/// from a chat that is not an admin chat is ignored and audited. A photo or document in reply to a notification becomes
/// an attachment message through Attachments (the same checks and path as an upload from the console). Each update id is handled once (telegram_updates),
/// and everything it writes besides the message (answers, audit) commits in the transaction that records it.
/// </summary>
public sealed class TelegramUpdates(
    NpgsqlDataSource db, ConversationService conversations, Attachments attachments, ITelegramBotClient bot, TelegramTexts texts,
    TelegramSender sender, IOptions<TelegramOptions> options, IOptions<AttachmentOptions> attachmentOptions, IOptions<ServerOptions> server,
    ILogger<TelegramUpdates> log)
{
    const int OpenListLimit = 20;

    public async Task HandleAsync(Update update, CancellationToken ct = default)
    {
        if (await TelegramStore.IsUpdateHandledAsync(db, update.Id)) return;
        if (update.Message is not { } m)
        {
            // Edits, reactions and the like: nothing to do, but remembered so that polling moves past them.
            await FinishAsync(update.Id, [], null);
            return;
        }
        var chatId = m.Chat.Id;
        var userId = m.From?.Id;
        var (command, argument) = Command(m.Text);

        if (command == "/start" && argument.Length > 0 && m.Chat.Type == ChatType.Private && userId is { } linkingUser)
        {
            await LinkAsync(update.Id, m, linkingUser, argument);
            return;
        }
        if (!options.Value.AdminChatIds.Contains(chatId))
        {
            log.LogWarning("Ignored Telegram update {UpdateId} from chat {ChatId} (not an admin chat)", update.Id, chatId);
            await FinishAsync(update.Id, [], Ignored("unknown_chat", m));
            return;
        }
        var admin = userId is { } u ? await TelegramStore.FindAdminAsync(db, u) : null;
        if (admin is null)
        {
            log.LogWarning("Ignored Telegram update {UpdateId} from user {UserId}: not linked to an admin", update.Id, userId);
            await FinishAsync(update.Id, [Answer(m, texts.Format("telegram.reply.notLinked"))], Ignored("unlinked_user", m));
            return;
        }

        if (m.Text is null && m.Type is MessageType.Photo or MessageType.Document && m.ReplyToMessage is { } fileReply
            && await TelegramStore.ConversationOfNotificationAsync(db, chatId, fileReply.MessageId) is { } fileTarget)
        {
            await AttachAsync(update.Id, m, admin, fileTarget, ct);
            return;
        }
        if (m.Text is null)
        {
            await FinishAsync(update.Id, [Answer(m, texts.Format(m.Type is MessageType.Video or MessageType.Audio or MessageType.Voice or MessageType.Sticker or MessageType.Animation or MessageType.VideoNote
                ? "telegram.attachments.unsupported" : "telegram.reply.needsNotification"))], null);
            return;
        }
        switch (command)
        {
            case "/open":
                await FinishAsync(update.Id, [Answer(m, await OpenConversationsAsync())], null);
                return;
            case "/close":
            {
                // As a reply to a notification: the same close as the console's.
                var closing = m.ReplyToMessage is { } closed ? await TelegramStore.ConversationOfNotificationAsync(db, chatId, closed.MessageId) : null;
                var failed = closing is null || (await conversations.SetStatusAsync(Sender.TelegramAdmin(admin.Id, admin.DisplayName), closing.Value, "closed")).Error is not null;
                await FinishAsync(update.Id, [Answer(m, texts.Format(closing is null ? "telegram.reply.needsNotification"
                    : failed ? "telegram.close.failed" : "telegram.close.done"))], null);
                return;
            }
            case not null:
                await FinishAsync(update.Id, [Answer(m, texts.Format("telegram.help"))], null);
                return;
        }

        var conversationId = m.ReplyToMessage is { } repliedTo
            ? await TelegramStore.ConversationOfNotificationAsync(db, chatId, repliedTo.MessageId)
            : null;
        if (conversationId is null)
        {
            await FinishAsync(update.Id, [Answer(m, texts.Format("telegram.reply.needsNotification"))], null);
            return;
        }
        // The update id is the client message id: a retried or concurrently delivered update is stored once.
        var outcome = await conversations.SendAsync(Sender.TelegramAdmin(admin.Id, admin.DisplayName), conversationId.Value, $"tg-{update.Id}", m.Text, ct);
        await FinishAsync(update.Id,
            outcome.Error is { } error ? [Answer(m, texts.Format("telegram.reply.failed", ("reason", error.Message)))] : [],
            null);
    }

    /// <summary>
    /// Downloads the photo (its largest size) or document through the Bot API and sends it as the admin's attachment; a file
    /// that is refused (type, size) gets an answer saying why. The update id is the client message id, as for text replies.
    /// </summary>
    async Task AttachAsync(int updateId, Message m, TelegramAdmin admin, Guid conversationId, CancellationToken ct)
    {
        FileBase file = m.Photo is { Length: > 0 } sizes ? sizes.MaxBy(p => p.FileSize ?? (long)p.Width * p.Height)! : m.Document!;
        var name = m.Document?.FileName ?? $"photo-{updateId}.jpg";
        Outcome<StoredMessage> outcome;
        if (file.FileSize > attachmentOptions.Value.MaxBytes)
            outcome = new Problem(ProblemCode.TooLarge, $"The file is larger than {attachmentOptions.Value.MaxBytes} bytes.");
        else
        {
            // Telegram lets bots download at most 20 MB, and the size was checked above when Telegram gave it.
            using var content = new MemoryStream();
            try { await bot.GetInfoAndDownloadFile(file.FileId, content, ct); }
            catch (Exception ex) when (ex is global::Telegram.Bot.Exceptions.RequestException or HttpRequestException)
            {
                log.LogWarning(ex, "Downloading file {FileId} of Telegram update {UpdateId} failed", file.FileId, updateId);
                await FinishAsync(updateId, [Answer(m, texts.Format("telegram.attachments.refused", ("reason", "Telegram did not hand over the file; send it again.")))], null);
                return;
            }
            content.Position = 0;
            var spooled = await attachments.SpoolAsync(content, ct);
            using var spooledFile = spooled.Value;
            outcome = spooled.Error is { } refused ? refused
                : await attachments.SendAsync(Sender.TelegramAdmin(admin.Id, admin.DisplayName), conversationId, spooledFile!,
                    new UploadDetails(name, m.Caption, $"tg-{updateId}", null), ct);
        }
        await FinishAsync(updateId,
            outcome.Error is { } error ? [Answer(m, texts.Format("telegram.attachments.refused", ("reason", error.Message)))] : [],
            null);
    }

    async Task LinkAsync(int updateId, Message m, long telegramUserId, string code)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (!await TelegramStore.ClaimUpdateAsync(c, tx, updateId)) return;
        var admin = await TelegramStore.UseLinkCodeAsync(c, tx, Tokens.Hash(code), telegramUserId);
        if (admin is null)
            await AuditLog.WriteAsync(c, tx, Ignored("bad_link_code", m));
        else
            await AuditLog.WriteAsync(c, tx, new AuditEntry("telegram.linked", admin.Id, UserAgent: "Telegram", TargetType: "admin",
                TargetId: admin.Id.ToString(), Details: new { telegramUserId }));
        await TelegramStore.AddToOutboxAsync(c, tx, [Answer(m, admin is null
            ? texts.Format("telegram.link.invalid")
            : texts.Format("telegram.link.done", ("name", admin.DisplayName)))]);
        await tx.CommitAsync();
        sender.Wake();
    }

    /// <summary>Records the update as handled with its answers and audit entry; a second delivery of it writes nothing.</summary>
    async Task FinishAsync(int updateId, IReadOnlyList<TelegramOutgoing> answers, AuditEntry? audit)
    {
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (!await TelegramStore.ClaimUpdateAsync(c, tx, updateId)) return;
        await TelegramStore.AddToOutboxAsync(c, tx, answers);
        if (audit is not null) await AuditLog.WriteAsync(c, tx, audit);
        await tx.CommitAsync();
        if (answers.Count > 0) sender.Wake();
    }

    async Task<string> OpenConversationsAsync()
    {
        var open = await ConversationStore.ListAsync(db, new ConversationFilter(Status: ConversationStatus.Open), null, null, OpenListLimit);
        if (open.Count == 0) return texts.Format("telegram.open.none");
        var lines = open.Select(x => texts.Format("telegram.open.item",
            ("url", $"{server.Value.BaseUrl}/admin/?conversation={x.Id}"),
            ("name", VisitorNames.Display(x.VisitorId, x.VisitorName)),
            ("preview", TelegramTexts.Shorten(x.LastMessagePreview ?? "", 100))));
        return texts.Format("telegram.open.header", ("count", open.Count.ToString())) + "\n" + string.Join("\n", lines);
    }

    static TelegramOutgoing Answer(Message m, string text) => new(m.Chat.Id, null, text, m.MessageId);

    static AuditEntry Ignored(string reason, Message m) =>
        new("telegram.update.ignored", UserAgent: "Telegram", TargetType: "telegram_chat", TargetId: m.Chat.Id.ToString(),
            Details: new { reason, chatId = m.Chat.Id, userId = m.From?.Id, username = m.From?.Username, text = TelegramTexts.Shorten(m.Text ?? "", 200) });

    /// <summary>"/open@SupportChatBot x" is ("/open", "x"); text that is not a command is (null, "").</summary>
    static (string? Command, string Argument) Command(string? text)
    {
        if (text is null || !text.StartsWith('/')) return (null, "");
        var parts = text.Split([' ', '\n'], 2, StringSplitOptions.TrimEntries);
        var command = parts[0].Split('@')[0].ToLowerInvariant();
        return (command, parts.Length > 1 ? parts[1] : "");
    }
}
