using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

public sealed class RealtimeDeliveryTests(TestDatabase database) : RealtimeTest(database)
{
    [Fact]
    public async Task A_visitor_message_reaches_the_admin_and_every_tab_and_an_admin_reply_reaches_every_tab()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        await using var adminSocket = (await host.ConnectAdminAsync(admin)).Socket;
        var (tab1, welcome) = await host.ConnectVisitorAsync(visitor.Token);
        var (tab2, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = tab1;
        await using var _2 = tab2;
        Assert.Equal(visitor.ConversationId, welcome.GetProperty("conversationId").GetGuid());
        Assert.True(welcome.GetProperty("adminsOnline").GetBoolean());
        // Each tab's connect-time history follows its welcome; sent before a tab's history was read from the database,
        // the message would come in that history page instead of as a live frame (both are right; this test wants live).
        foreach (var tab in new[] { tab1, tab2 })
            Assert.Equal(0, (await tab.ReceiveAsync("history")).GetProperty("messages").GetArrayLength());

        await tab1.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Hello, is anyone there?" });
        var ack = await tab1.ReceiveAsync("ack");
        Assert.Equal("v-1", ack.GetProperty("clientMsgId").GetString());
        Assert.Equal(1, ack.GetProperty("seq").GetInt64());

        var atAdmin = await adminSocket.ReceiveAsync("message");
        Assert.Equal(visitor.ConversationId, atAdmin.GetProperty("conversationId").GetGuid());
        Assert.Equal("Hello, is anyone there?", atAdmin.GetProperty("body").GetString());
        Assert.Equal("visitor", atAdmin.GetProperty("sender").GetString());
        Assert.Equal(1, (await tab2.ReceiveAsync("message")).GetProperty("seq").GetInt64());

        await adminSocket.SendAsync(new { type = "send", conversationId = visitor.ConversationId, clientMsgId = "a-1", body = "Yes, how can I help?" });
        Assert.Equal(2, (await adminSocket.ReceiveAsync("ack")).GetProperty("seq").GetInt64());
        foreach (var tab in new[] { tab1, tab2 })
        {
            var reply = await tab.ReceiveAsync("message");
            Assert.Equal("Yes, how can I help?", reply.GetProperty("body").GetString());
            Assert.Equal("admin", reply.GetProperty("sender").GetString());
            Assert.Equal(admin.Username, reply.GetProperty("senderName").GetString());
            Assert.Equal(2, reply.GetProperty("seq").GetInt64());
        }

        await using var c = new NpgsqlConnection(db.ConnectionString);
        Assert.Equal(1, await c.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'reply.sent' AND admin_id = @AdminId AND target_id = @id",
            new { admin.AdminId, id = visitor.ConversationId.ToString() }));
    }

    [Fact]
    public async Task A_retried_send_returns_the_original_ack_and_is_stored_once()
    {
        var visitor = await host.StartVisitorAsync();
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = tab;
        await tab.SendAsync(new { type = "send", clientMsgId = "same", body = "once" });
        var first = await tab.ReceiveAsync("ack");
        await tab.SendAsync(new { type = "send", clientMsgId = "same", body = "once" });
        var second = await tab.ReceiveAsync("ack");

        Assert.Equal(first.GetProperty("id").GetInt64(), second.GetProperty("id").GetInt64());
        Assert.Equal(first.GetProperty("seq").GetInt64(), second.GetProperty("seq").GetInt64());
        Assert.True(second.GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));

        // Also after a reconnect (the ack was lost with the connection).
        var (again, _) = await host.ConnectVisitorAsync(visitor.Token, lastSeq: 1);
        await using var _2 = again;
        await again.SendAsync(new { type = "send", clientMsgId = "same", body = "once" });
        Assert.Equal(first.GetProperty("id").GetInt64(), (await again.ReceiveAsync("ack")).GetProperty("id").GetInt64());
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
    }

    [Fact]
    public async Task An_admin_reply_over_http_takes_the_same_path_and_reaches_the_visitor()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = tab;
        using var http = host.AdminHttp(admin);

        var body = new { clientMsgId = "http-1", body = "Replied from the console" };
        var response = await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/messages", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var retried = await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/messages", body);
        Assert.True((await retried.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());

        Assert.Equal("Replied from the console", (await tab.ReceiveAsync("message")).GetProperty("body").GetString());
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
    }

    [Fact]
    public async Task Typing_read_receipts_and_presence_reach_the_other_side()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);

        var online = await adminSocket.ReceiveAsync("presence");
        Assert.Equal(visitor.ConversationId, online.GetProperty("conversationId").GetGuid());
        Assert.True(online.GetProperty("visitorOnline").GetBoolean());

        await tab.SendAsync(new { type = "typing" });
        Assert.Equal("visitor", (await adminSocket.ReceiveAsync("typing")).GetProperty("sender").GetString());
        await adminSocket.SendAsync(new { type = "typing", conversationId = visitor.ConversationId });
        Assert.Equal("admin", (await tab.ReceiveAsync("typing")).GetProperty("sender").GetString());

        await tab.SendAsync(new { type = "send", clientMsgId = "r-1", body = "read me" });
        await adminSocket.ReceiveAsync("message");
        await adminSocket.SendAsync(new { type = "read", conversationId = visitor.ConversationId, seq = 1 });
        var read = await tab.ReceiveAsync("read");
        Assert.Equal("admin", read.GetProperty("reader").GetString());
        Assert.Equal(1, read.GetProperty("seq").GetInt64());

        await adminSocket.SendAsync(new { type = "send", conversationId = visitor.ConversationId, clientMsgId = "r-2", body = "answer" });
        await tab.ReceiveAsync("message");
        await tab.SendAsync(new { type = "read", seq = 2 });
        var visitorRead = await adminSocket.ReceiveAsync("read", f => f.GetProperty("reader").GetString() == "visitor");
        Assert.Equal(2, visitorRead.GetProperty("seq").GetInt64());

        await tab.DisposeAsync();
        var offline = await adminSocket.ReceiveAsync("presence");
        Assert.False(offline.GetProperty("visitorOnline").GetBoolean());
    }

    [Fact]
    public async Task The_admin_list_shows_preview_unread_count_visitor_and_online_state_with_keyset_paging()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var quiet = await host.StartVisitorAsync(new { name = "Quiet" });
        var talker = await host.StartVisitorAsync(new { name = "Talker", pageUrl = "https://shop.example/cart" });
        var (tab, _) = await host.ConnectVisitorAsync(talker.Token);
        await using var _1 = tab;
        await tab.SendAsync(new { type = "send", clientMsgId = "l-1", body = "first" });
        await tab.ReceiveAsync("ack");
        await tab.SendAsync(new { type = "send", clientMsgId = "l-2", body = "second question" });
        await tab.ReceiveAsync("ack");
        using var http = host.AdminHttp(admin);

        var page = await http.GetFromJsonAsync<JsonElement>("/api/admin/conversations?limit=100");
        var rows = page.GetProperty("conversations").EnumerateArray().ToList();
        var row = rows.Single(r => r.GetProperty("id").GetGuid() == talker.ConversationId);
        Assert.Equal("second question", row.GetProperty("lastMessagePreview").GetString());
        Assert.Equal(2, row.GetProperty("unreadCount").GetInt64());
        Assert.Equal("Talker", row.GetProperty("visitorName").GetString());
        Assert.Equal("https://shop.example/cart", row.GetProperty("pageUrl").GetString());
        Assert.True(row.GetProperty("visitorOnline").GetBoolean());
        Assert.False(rows.Single(r => r.GetProperty("id").GetGuid() == quiet.ConversationId).GetProperty("visitorOnline").GetBoolean());

        // Keyset paging one at a time walks every conversation exactly once.
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var r = await http.GetAsync("/api/admin/conversations?limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            var p = await r.Content.ReadFromJsonAsync<JsonElement>();
            seen.AddRange(p.GetProperty("conversations").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
            cursor = p.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? p.GetProperty("nextCursor").GetString() : null;
        } while (cursor is not null);
        Assert.Equal(rows.Select(r => r.GetProperty("id").GetGuid()), seen);

        var messages = await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{talker.ConversationId}/messages?before=2&limit=10");
        Assert.Equal(["first"], messages.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").GetString()));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync($"/api/admin/conversations/{Guid.NewGuid()}/messages")).StatusCode);
        using var anonymous = host.Http(host.OwnOrigin);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/admin/conversations")).StatusCode);
    }
}
