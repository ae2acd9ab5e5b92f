using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

/// <summary>Private notes: admins see them live and in history; the visitor never does, over any path.</summary>
public sealed class NotesTests(TestDatabase database) : RealtimeTest(database)
{
    static async Task<long> AdminSendAsync(TestSocket admin, Guid conversationId, string clientMsgId, string body, bool note = false)
    {
        await admin.SendAsync(new { type = "send", conversationId, clientMsgId, body, note });
        return (await admin.ReceiveAsync("ack", f => f.GetProperty("clientMsgId").GetString() == clientMsgId)).GetProperty("seq").GetInt64();
    }

    static IEnumerable<string> Bodies(JsonElement history) =>
        history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").GetString()!);

    [Fact]
    public async Task A_note_reaches_every_admin_socket_live_but_never_the_visitor()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var other = await TestAdmins.SignInAsync(db.ConnectionString, "other");
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;
        var (otherSocket, _) = await host.ConnectAdminAsync(other);
        await using var _1 = otherSocket;
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _2 = tab;

        var noteSeq = await AdminSendAsync(adminSocket, visitor.ConversationId, "n1", "Private: refund approved", note: true);
        var seen = await otherSocket.ReceiveAsync("message", f => f.GetProperty("seq").GetInt64() == noteSeq);
        Assert.Equal("note", seen.GetProperty("sender").GetString());
        Assert.Equal("Private: refund approved", seen.GetProperty("body").GetString());

        // Messages of a conversation arrive in seq order: the reply after the note is the visitor's next message frame.
        var replySeq = await AdminSendAsync(adminSocket, visitor.ConversationId, "r1", "We have refunded you.");
        var next = await tab.ReceiveAsync("message");
        Assert.Equal(replySeq, next.GetProperty("seq").GetInt64());
        Assert.Equal("admin", next.GetProperty("sender").GetString());

        await using var c = new NpgsqlConnection(db.ConnectionString);
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM audit_log WHERE action = 'note.added' AND admin_id = @AdminId AND target_id = @id
            """, new { admin.AdminId, id = visitor.ConversationId.ToString() }));
        Assert.Equal(admin.AdminId, await c.ExecuteScalarAsync<long>("SELECT admin_id FROM messages WHERE seq = @noteSeq AND sender_kind = 'note'", new { noteSeq }));
    }

    [Fact]
    public async Task A_visitor_never_gets_a_note_in_replay_initial_history_or_history_pages_and_resumes_across_its_hole()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await tab.SendAsync(new { type = "send", clientMsgId = "v1", body = "Hello" });
        var first = (await tab.ReceiveAsync("ack")).GetProperty("seq").GetInt64();
        await tab.DisposeAsync();

        // While the visitor is away: reply, note, reply, note, reply.
        var visible = new List<long> { first };
        visible.Add(await AdminSendAsync(adminSocket, visitor.ConversationId, "a1", "reply one"));
        var note1 = await AdminSendAsync(adminSocket, visitor.ConversationId, "n1", "secret one", note: true);
        visible.Add(await AdminSendAsync(adminSocket, visitor.ConversationId, "a2", "reply two"));
        var note2 = await AdminSendAsync(adminSocket, visitor.ConversationId, "n2", "secret two", note: true);
        visible.Add(await AdminSendAsync(adminSocket, visitor.ConversationId, "a3", "reply three"));

        // Replay after an older lastSeq: every visible message once, in order, across the holes; then live again.
        var (back, _) = await host.ConnectVisitorAsync(visitor.Token, lastSeq: first);
        await using var _1 = back;
        var replayed = new List<JsonElement>();
        for (var i = 0; i < 3; i++) replayed.Add(await back.ReceiveAsync("message"));
        Assert.Equal(visible.Skip(1), replayed.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.DoesNotContain(replayed, m => m.GetProperty("sender").GetString() == "note");
        var live = await AdminSendAsync(adminSocket, visitor.ConversationId, "a4", "reply four");
        Assert.Equal(live, (await back.ReceiveAsync("message")).GetProperty("seq").GetInt64());

        // Resuming from a note's seq (a hole) misses nothing that follows it.
        var (fromHole, _) = await host.ConnectVisitorAsync(visitor.Token, lastSeq: note1);
        await using var _2 = fromHole;
        Assert.Equal(visible[2], (await fromHole.ReceiveAsync("message")).GetProperty("seq").GetInt64());
        Assert.Equal(visible[3], (await fromHole.ReceiveAsync("message")).GetProperty("seq").GetInt64());
        Assert.Equal(live, (await fromHole.ReceiveAsync("message")).GetProperty("seq").GetInt64());

        // The initial history (no lastSeq) and history pages.
        var (fresh, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _3 = fresh;
        var initial = await fresh.ReceiveAsync("history");
        Assert.Equal(["Hello", "reply one", "reply two", "reply three", "reply four"], Bodies(initial));
        await fresh.SendAsync(new { type = "history", before = note2 + 1, limit = 2 });
        var page = await fresh.ReceiveAsync("history");
        Assert.Equal(["reply one", "reply two"], Bodies(page));
        Assert.True(page.GetProperty("hasMore").GetBoolean());

        // Admins see the notes in their history, marked as notes.
        using var http = TestAdmins.CreateClient(host.App, admin);
        var adminPage = await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{visitor.ConversationId}/messages");
        var notes = adminPage.GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("sender").GetString() == "note").ToList();
        Assert.Equal([note1, note2], notes.Select(m => m.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task A_note_over_http_is_stored_once_never_shown_to_the_visitor_and_a_visitor_cannot_write_one()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        using var http = TestAdmins.CreateClient(host.App, admin);
        var url = $"/api/admin/conversations/{visitor.ConversationId}/messages";
        var sent = await http.PostAsJsonAsync(url, new { clientMsgId = "h1", body = "note over http", note = true });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var again = await (await http.PostAsJsonAsync(url, new { clientMsgId = "h1", body = "note over http", note = true })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(again.GetProperty("duplicate").GetBoolean());

        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _0 = tab;
        Assert.Empty((await tab.ReceiveAsync("history")).GetProperty("messages").EnumerateArray());
        await tab.SendAsync(new { type = "send", clientMsgId = "v-note", body = "let me hide this", note = true });
        var refused = await tab.ReceiveAsync("error");
        Assert.Equal("forbidden", refused.GetProperty("error").GetString());
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
    }
}
