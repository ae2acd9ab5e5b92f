using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Scaleout;

/// <summary>Assignment and tags changed on one instance reach admins on the other through Redis, and its cached lists.</summary>
public sealed class AssignmentAndTagsAcrossInstancesTests(TestDatabase database) : TwoInstancesTest(database)
{
    [Fact]
    public async Task Changes_made_on_one_instance_reach_an_admin_socket_and_the_first_list_page_on_the_other()
    {
        var writer = await TestAdmins.SignInAsync(db.ConnectionString);
        var reader = await TestAdmins.SignInAsync(db.ConnectionString);
        using var onA = TestAdmins.CreateClient(a.App, writer);
        using var onB = TestAdmins.CreateClient(b.App, reader);
        var visitor = await b.StartVisitorAsync();
        var (reading, _) = await b.ConnectAdminAsync(reader);
        await using var _0 = reading;

        // The first page with the filter is cached on b before the change.
        Assert.Equal(0, (await onB.GetFromJsonAsync<JsonElement>("/api/admin/conversations?assignee=me")).GetProperty("conversations").GetArrayLength());

        Assert.Equal(HttpStatusCode.OK, (await onA.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/assignee", new { adminId = reader.AdminId })).StatusCode);
        Assert.Equal(reader.AdminId, (await reading.ReceiveAsync("assignment")).GetProperty("adminId").GetInt64());
        var mine = await onB.GetFromJsonAsync<JsonElement>("/api/admin/conversations?assignee=me");
        Assert.Equal(visitor.ConversationId, Assert.Single(mine.GetProperty("conversations").EnumerateArray()).GetProperty("id").GetGuid());

        var tag = await (await onA.PostAsJsonAsync("/api/admin/tags", new { name = "Across " + Guid.NewGuid().ToString("N")[..6] })).Content.ReadFromJsonAsync<JsonElement>();
        await reading.ReceiveAsync("tags-changed");
        var tagId = tag.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await onA.PutAsync($"/api/admin/conversations/{visitor.ConversationId}/tags/{tagId}", null)).StatusCode);
        Assert.Equal(tagId, (await reading.ReceiveAsync("tags")).GetProperty("tags").EnumerateArray().Single().GetProperty("id").GetInt64());
        var listed = (await onB.GetFromJsonAsync<JsonElement>("/api/admin/conversations?assignee=me")).GetProperty("conversations").EnumerateArray().Single();
        Assert.Equal(tagId, listed.GetProperty("tags").EnumerateArray().Single().GetProperty("id").GetInt64());
    }
}
