using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

public sealed class ConversationStatusTests(TestDatabase database) : RealtimeTest(database)
{
    async Task<string> StatusInDbAsync(Guid id)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.ExecuteScalarAsync<string>("SELECT status FROM conversations WHERE id = @id", new { id }) ?? "";
    }

    [Fact]
    public async Task An_admin_closes_and_reopens_everyone_hears_it_and_a_visitor_message_reopens()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var http = TestAdmins.CreateClient(host.App, admin);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = adminSocket;
        await using var _2 = tab;

        var closed = await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status = "closed" });
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Equal("closed", (await tab.ReceiveAsync("status")).GetProperty("status").GetString());
        Assert.Equal("closed", (await adminSocket.ReceiveAsync("status")).GetProperty("status").GetString());
        Assert.Equal("closed", await StatusInDbAsync(visitor.ConversationId));
        var list = await http.GetFromJsonAsync<JsonElement>("/api/admin/conversations?status=closed");
        Assert.Contains(list.GetProperty("conversations").EnumerateArray(), c => c.GetProperty("id").GetGuid() == visitor.ConversationId);

        // The visitor writes again: the conversation is open again.
        await tab.SendAsync(new { type = "send", clientMsgId = "again", body = "One more question" });
        await tab.ReceiveAsync("ack");
        Assert.Equal("open", await StatusInDbAsync(visitor.ConversationId));

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status = "closed" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status = "open" })).StatusCode);
        Assert.Equal("open", (await tab.ReceiveAsync("status", f => f.GetProperty("status").GetString() == "open")).GetProperty("status").GetString());

        await using var c = new NpgsqlConnection(db.ConnectionString);
        var actions = (await c.QueryAsync<string>("SELECT action FROM audit_log WHERE target_id = @id AND action LIKE 'conversation.%' ORDER BY id",
            new { id = visitor.ConversationId.ToString() })).ToList();
        Assert.Equal(["conversation.closed", "conversation.closed", "conversation.reopened"], actions);
    }

    [Fact]
    public async Task Bad_status_changes_are_refused_and_change_nothing()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var http = TestAdmins.CreateClient(host.App, admin);
        var visitor = await host.StartVisitorAsync();
        var bad = await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status = "archived" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("bad_request", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync($"/api/admin/conversations/{Guid.NewGuid()}/status", new { status = "closed" })).StatusCode);
        Assert.Equal("open", await StatusInDbAsync(visitor.ConversationId));

        // Without the CSRF token (a foreign page posting with the admin's cookie) nothing happens.
        var forged = host.App.CreateClient();
        forged.DefaultRequestHeaders.Add("Cookie", admin.CookieHeader);
        forged.DefaultRequestHeaders.UserAgent.ParseAdd(admin.UserAgent);
        forged.DefaultRequestHeaders.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await forged.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status = "closed" })).StatusCode);
        Assert.Equal("open", await StatusInDbAsync(visitor.ConversationId));
    }
}
