using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Telegram;

/// <summary>
/// Turns newly stored visitor messages into notifications for every admin chat, written to the outbox in the same
/// transaction as the messages (ConversationWriter calls it), so a notification exists exactly when its message does.
/// </summary>
public sealed class TelegramNotifications(IOptions<TelegramOptions> options, TelegramTexts texts, IPresence presence) : IMessageOutbox
{
    public async Task WriteAsync(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<MessageRow> stored)
    {
        var fromVisitors = stored.Where(m => m.Sender == SenderKind.Visitor).ToList();
        if (fromVisitors.Count == 0) return;
        var o = options.Value;
        var later = o.NotifyVisitorMessages.ToLowerInvariant() switch
        {
            "never" => false,
            "whennoadminonline" => !await presence.AdminsOnlineAsync(),
            _ => true,
        };
        var context = (await TelegramStore.VisitorMessageContextAsync(c, tx, fromVisitors.Select(m => m.Id).ToArray()))
            .ToDictionary(x => x.MessageId);
        var rows = new List<TelegramOutgoing>();
        foreach (var m in fromVisitors)
        {
            if (!context.TryGetValue(m.Id, out var x) || !(x.FirstFromVisitor || later)) continue;
            // A file is told by its name (and caption); the file itself stays in the console.
            var body = m.AttachmentName is not { } file ? m.Body : file == m.Body ? $"📎 {file}" : $"📎 {file}\n{m.Body}";
            var visitor = VisitorNames.Display(x.VisitorId, x.VisitorName);
            var text = x.FirstFromVisitor ? NewConversation(visitor, x.PageUrl, body) : VisitorMessage(visitor, body);
            rows.AddRange(o.AdminChatIds.Select(chat => new TelegramOutgoing(chat, m.ConversationId, text)));
        }
        await TelegramStore.AddToOutboxAsync(c, tx, rows);
    }

    /// <summary>visitor: what VisitorNames.Display calls them, as everywhere else.</summary>
    public string NewConversation(string visitor, string? pageUrl, string body) =>
        texts.Format("telegram.newConversation", ("name", visitor), ("page", pageUrl ?? texts.Format("telegram.unknownPage")),
            ("text", TelegramTexts.Shorten(body)));

    public string VisitorMessage(string visitor, string body) =>
        texts.Format("telegram.visitorMessage", ("name", visitor), ("text", TelegramTexts.Shorten(body)));

    /// <summary>A conversation was closed: every admin chat hears of it, in the closing transaction.</summary>
    public Task StatusChangedAsync(NpgsqlConnection c, NpgsqlTransaction tx, StatusChange change) =>
        change.Status != ConversationStatus.Closed ? Task.CompletedTask
            : TelegramStore.AddToOutboxAsync(c, tx, ConversationClosed(change.ConversationId, VisitorNames.Display(change.VisitorId, change.VisitorName)));

    public IReadOnlyList<TelegramOutgoing> ConversationClosed(Guid conversationId, string visitor) =>
        options.Value.AdminChatIds.Select(chat => new TelegramOutgoing(chat, conversationId,
            texts.Format("telegram.conversationClosed", ("name", visitor)))).ToList();
}
