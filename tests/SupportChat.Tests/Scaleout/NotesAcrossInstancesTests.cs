using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Scaleout;

/// <summary>A note written on one instance reaches admins on the other through Redis, and still never the visitor.</summary>
public sealed class NotesAcrossInstancesTests(TestDatabase database) : TwoInstancesTest(database)
{

    [Fact]
    public async Task A_note_from_an_admin_on_one_instance_reaches_an_admin_on_the_other_but_not_the_visitor_there()
    {
        var writer = await TestAdmins.SignInAsync(db.ConnectionString);
        var reader = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await b.StartVisitorAsync();
        var (writing, _) = await a.ConnectAdminAsync(writer);
        await using var _0 = writing;
        var (reading, _) = await b.ConnectAdminAsync(reader);
        await using var _1 = reading;
        var (tab, _) = await b.ConnectVisitorAsync(visitor.Token);
        await using var _2 = tab;

        await writing.SendAsync(new { type = "send", conversationId = visitor.ConversationId, clientMsgId = "n1", body = "only for admins", note = true });
        var note = await reading.ReceiveAsync("message");
        Assert.Equal("note", note.GetProperty("sender").GetString());

        await writing.SendAsync(new { type = "send", conversationId = visitor.ConversationId, clientMsgId = "a1", body = "for the visitor" });
        var next = await tab.ReceiveAsync("message");
        Assert.Equal("for the visitor", next.GetProperty("body").GetString());
        Assert.Equal(note.GetProperty("seq").GetInt64() + 1, next.GetProperty("seq").GetInt64());
    }
}
