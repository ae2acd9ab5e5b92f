using System.Net;
using System.Net.Http.Json;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Telegram;

/// <summary>With Telegram on, visitor messages are notified; an admin's note is not.</summary>
public sealed class NotesNotNotifiedTests(TestDatabase database) : TelegramTest(database)
{

    [Fact]
    public async Task A_note_puts_nothing_in_the_Telegram_outbox()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _0 = tab;
        await tab.SendAsync(new { type = "send", clientMsgId = "v-1", body = "First question" });
        await tab.ReceiveAsync("ack");

        using var http = TestAdmins.CreateClient(host.App, admin);
        var note = await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/messages",
            new { clientMsgId = "n-1", body = "Secret note for the team", note = true });
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);

        await tab.SendAsync(new { type = "send", clientMsgId = "v-2", body = "Second question" });
        await tab.ReceiveAsync("ack");

        // Rows are written in the transaction of their message: both visitor messages have theirs, the note none.
        Assert.Equal(2, await CountAsync(db.ConnectionString, "SELECT count(*) FROM telegram_outbox WHERE conversation_id = @id",
            new { id = visitor.ConversationId }));
        Assert.Equal(0, await CountAsync(db.ConnectionString, "SELECT count(*) FROM telegram_outbox WHERE text LIKE '%Secret note%'"));
    }
}
