using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

/// <summary>Assignment and tags reach every admin socket live and never the visitor's.</summary>
public sealed class AssignmentAndTagFramesTests(TestDatabase database) : RealtimeTest(database)
{
    [Fact]
    public async Task A_second_admin_gets_assignment_tags_and_tags_changed_frames_and_the_visitor_gets_none()
    {
        var first = await TestAdmins.SignInAsync(db.ConnectionString);
        var second = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, first);
        var visitor = await host.StartVisitorAsync();
        var id = visitor.ConversationId;
        var (watcher, _) = await host.ConnectAdminAsync(second);
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = watcher;
        await using var _2 = tab;

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/admin/conversations/{id}/assignee", new { adminId = second.AdminId })).StatusCode);
        var assignment = await watcher.ReceiveAsync("assignment");
        Assert.Equal(id, assignment.GetProperty("conversationId").GetGuid());
        Assert.Equal(second.AdminId, assignment.GetProperty("adminId").GetInt64());
        Assert.Equal(second.Username, assignment.GetProperty("adminName").GetString());

        var created = await http.PostAsJsonAsync("/api/admin/tags", new { name = "VIP " + Guid.NewGuid().ToString("N")[..6], color = "#7c3aed" });
        var tag = await created.Content.ReadFromJsonAsync<JsonElement>();
        var tagId = tag.GetProperty("id").GetInt64();
        await watcher.ReceiveAsync("tags-changed");
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsync($"/api/admin/conversations/{id}/tags/{tagId}", null)).StatusCode);
        var tags = await watcher.ReceiveAsync("tags");
        Assert.Equal(id, tags.GetProperty("conversationId").GetGuid());
        var only = Assert.Single(tags.GetProperty("tags").EnumerateArray());
        Assert.Equal(tagId, only.GetProperty("id").GetInt64());
        Assert.Equal(tag.GetProperty("name").GetString(), only.GetProperty("name").GetString());
        Assert.Equal("#7c3aed", only.GetProperty("color").GetString());

        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/admin/conversations/{id}/tags/{tagId}")).StatusCode);
        Assert.Equal(0, (await watcher.ReceiveAsync("tags")).GetProperty("tags").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/admin/conversations/{id}/assignee", new { adminId = (long?)null })).StatusCode);
        var unassigned = await watcher.ReceiveAsync("assignment");
        Assert.Equal(JsonValueKind.Null, unassigned.GetProperty("adminId").ValueKind);
        Assert.Equal(JsonValueKind.Null, unassigned.GetProperty("adminName").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await http.PatchAsJsonAsync($"/api/admin/tags/{tagId}", new { color = "#000000" })).StatusCode);
        await watcher.ReceiveAsync("tags-changed");

        // Frames to one socket keep their order: the status change after all of the above is the first thing the visitor
        // hears besides presence and its connect-time history, so none of the above reached it.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/admin/conversations/{id}/status", new { status = "pending" })).StatusCode);
        while (true)
        {
            var frame = await tab.ReceiveAsync();
            var type = frame.GetProperty("type").GetString();
            if (type is "presence" or "typing" or "history") continue;
            Assert.Equal("status", type);
            break;
        }
    }
}
