using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Conversations;

public sealed class TagsTests(TestDatabase database) : RealtimeTest(database)
{
    const string Url = "/api/admin/tags";

    async Task<long> CountAsync(string sql, object? args = null)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.ExecuteScalarAsync<long>(sql, args);
    }

    static string Unique(string name) => $"{name} {Guid.NewGuid().ToString("N")[..6]}";

    static async Task<JsonElement> CreatedAsync(HttpClient http, string name, string? color = null)
    {
        var response = await http.PostAsJsonAsync(Url, new { name, color });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    static async Task<string> ErrorOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;

    [Fact]
    public async Task Tags_are_created_listed_renamed_recoloured_and_deleted_each_audited()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var name = Unique("Billing");

        var tag = await CreatedAsync(http, $"  {name}  ", "#1D4ED8");
        var id = tag.GetProperty("id").GetInt64();
        Assert.Equal(name, tag.GetProperty("name").GetString());
        Assert.Equal("#1d4ed8", tag.GetProperty("color").GetString());
        Assert.Equal("#6b7280", (await CreatedAsync(http, Unique("Plain"))).GetProperty("color").GetString());

        var list = await http.GetFromJsonAsync<JsonElement>(Url);
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("id").GetInt64() == id && t.GetProperty("name").GetString() == name);

        var renamed = await http.PatchAsJsonAsync($"{Url}/{id}", new { name = name + " EU" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var after = await renamed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(name + " EU", after.GetProperty("name").GetString());
        Assert.Equal("#1d4ed8", after.GetProperty("color").GetString());
        var recoloured = await (await http.PatchAsJsonAsync($"{Url}/{id}", new { color = "#b91c1c" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(name + " EU", recoloured.GetProperty("name").GetString());
        Assert.Equal("#b91c1c", recoloured.GetProperty("color").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"{Url}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"{Url}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PatchAsJsonAsync($"{Url}/{id}", new { name = "x" })).StatusCode);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM tags WHERE id = @id", new { id }));
        var actions = await CountAsync("""
            SELECT count(*) FROM audit_log WHERE target_type = 'tag' AND target_id = @id AND admin_id = @admin
              AND action IN ('tag.created', 'tag.updated', 'tag.deleted')
            """, new { id = id.ToString(), admin = admin.AdminId });
        Assert.Equal(4, actions);
    }

    [Theory]
    [InlineData("", "#112233")]
    [InlineData("   ", "#112233")]
    [InlineData(null, "#112233")]
    [InlineData("has\u0007bell", "#112233")]
    [InlineData("line\nbreak", "#112233")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxy", "#112233")] // 51 characters
    [InlineData("ok", "red")]
    [InlineData("ok", "#12345")]
    [InlineData("ok", "#1234567")]
    [InlineData("ok", "#12345g")]
    [InlineData("ok", "")]
    public async Task Bad_names_and_colours_are_refused_and_nothing_is_stored(string? name, string color)
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var before = await CountAsync("SELECT count(*) FROM tags");
        var response = await http.PostAsJsonAsync(Url, new { name, color });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", await ErrorOf(response));
        Assert.Equal(before, await CountAsync("SELECT count(*) FROM tags"));

        var tag = await CreatedAsync(http, Unique("Valid"), "#000000");
        var id = tag.GetProperty("id").GetInt64();
        var patched = await http.PatchAsJsonAsync($"{Url}/{id}", name is "ok" ? new { name = (string?)null, color = (string?)color } : new { name, color = (string?)null });
        Assert.Equal(HttpStatusCode.BadRequest, patched.StatusCode);
        Assert.Equal(tag.GetProperty("name").GetString(), (await http.GetFromJsonAsync<JsonElement>(Url)).EnumerateArray()
            .Single(t => t.GetProperty("id").GetInt64() == id).GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_name_of_50_characters_is_accepted_and_a_patch_with_nothing_to_change_is_refused()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var tag = await CreatedAsync(http, Guid.NewGuid().ToString("N") + "abcdefghijklmnopqr"); // 32 + 18
        Assert.Equal(50, tag.GetProperty("name").GetString()!.Length);
        var empty = await http.PatchAsJsonAsync($"{Url}/{tag.GetProperty("id").GetInt64()}", new { });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task A_duplicate_name_whatever_its_case_is_a_conflict_on_create_and_on_rename()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var name = Unique("Urgent");
        await CreatedAsync(http, name);
        var duplicate = await http.PostAsJsonAsync(Url, new { name = name.ToUpperInvariant() });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("conflict", await ErrorOf(duplicate));

        var other = await CreatedAsync(http, Unique("Later"));
        var renamed = await http.PatchAsJsonAsync($"{Url}/{other.GetProperty("id").GetInt64()}", new { name = $" {name.ToLowerInvariant()} " });
        Assert.Equal(HttpStatusCode.Conflict, renamed.StatusCode);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM tags WHERE lower(name) = lower(@name)", new { name }));
    }

    [Fact]
    public async Task Tags_are_put_on_and_taken_off_a_conversation_idempotently_audited_once_each_and_shown_in_its_list_item()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var visitor = await host.StartVisitorAsync();
        var conversation = visitor.ConversationId;
        var tag = await CreatedAsync(http, Unique("Refund"), "#16a34a");
        var tagId = tag.GetProperty("id").GetInt64();
        var second = (await CreatedAsync(http, Unique("Another"))).GetProperty("id").GetInt64();

        for (var i = 0; i < 2; i++)
        {
            var put = await http.PutAsync($"/api/admin/conversations/{conversation}/tags/{tagId}", null);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var tags = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tags");
            Assert.Equal(tagId, Assert.Single(tags.EnumerateArray()).GetProperty("id").GetInt64());
        }
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsync($"/api/admin/conversations/{conversation}/tags/{second}", null)).StatusCode);

        var item = await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{conversation}");
        var shown = item.GetProperty("tags").EnumerateArray().ToList();
        Assert.Equal(2, shown.Count);
        Assert.Contains(shown, t => t.GetProperty("id").GetInt64() == tagId && t.GetProperty("color").GetString() == "#16a34a"
            && t.GetProperty("name").GetString() == tag.GetProperty("name").GetString());
        var listed = await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations?tag={tagId}");
        Assert.Equal(2, listed.GetProperty("conversations").EnumerateArray().Single().GetProperty("tags").GetArrayLength());

        for (var i = 0; i < 2; i++)
        {
            var removed = await http.DeleteAsync($"/api/admin/conversations/{conversation}/tags/{tagId}");
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
            Assert.Equal(second, (await removed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tags").EnumerateArray().Single().GetProperty("id").GetInt64());
        }

        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM audit_log WHERE action = 'conversation.tagged' AND target_id = @id AND (details->>'tagId')::bigint = @tagId
            """, new { id = conversation.ToString(), tagId }));
        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM audit_log WHERE action = 'conversation.untagged' AND target_id = @id AND (details->>'tagId')::bigint = @tagId
            """, new { id = conversation.ToString(), tagId }));

        // Deleting a tag takes it off the conversations that carried it.
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"{Url}/{second}")).StatusCode);
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{conversation}")).GetProperty("tags").GetArrayLength());
    }

    [Fact]
    public async Task Tagging_an_unknown_conversation_or_with_an_unknown_tag_is_not_found()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var visitor = await host.StartVisitorAsync();
        var tagId = (await CreatedAsync(http, Unique("Known"))).GetProperty("id").GetInt64();
        var unknownConversation = await http.PutAsync($"/api/admin/conversations/{Guid.NewGuid()}/tags/{tagId}", null);
        Assert.Equal(HttpStatusCode.NotFound, unknownConversation.StatusCode);
        Assert.Equal("not_found", await ErrorOf(unknownConversation));
        Assert.Equal(HttpStatusCode.NotFound, (await http.PutAsync($"/api/admin/conversations/{visitor.ConversationId}/tags/999999999", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"/api/admin/conversations/{visitor.ConversationId}/tags/999999999")).StatusCode);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM conversation_tags WHERE conversation_id = @id", new { id = visitor.ConversationId }));
    }

    [Fact]
    public async Task Without_a_session_every_tag_endpoint_is_unauthorized()
    {
        using var http = host.App.CreateClient();
        http.DefaultRequestHeaders.Add("Origin", http.BaseAddress!.GetLeftPart(UriPartial.Authority));
        var conversation = $"/api/admin/conversations/{Guid.NewGuid()}";
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(Url)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync(Url, new { name = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PatchAsJsonAsync($"{Url}/1", new { name = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteAsync($"{Url}/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PutAsync($"{conversation}/tags/1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteAsync($"{conversation}/tags/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync($"{conversation}/assignee", new { adminId = (long?)null })).StatusCode);
    }

    [Fact]
    public async Task Without_the_CSRF_token_no_tag_or_assignment_changes()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var visitor = await host.StartVisitorAsync();
        var tagId = (await CreatedAsync(http, Unique("Guarded"))).GetProperty("id").GetInt64();
        using var forged = host.App.CreateClient();
        forged.DefaultRequestHeaders.Add("Cookie", admin.CookieHeader);
        forged.DefaultRequestHeaders.UserAgent.ParseAdd(admin.UserAgent);
        forged.DefaultRequestHeaders.Add("Origin", forged.BaseAddress!.GetLeftPart(UriPartial.Authority));
        var conversation = $"/api/admin/conversations/{visitor.ConversationId}";
        Assert.Equal(HttpStatusCode.Forbidden, (await forged.PostAsJsonAsync(Url, new { name = "forged" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await forged.PatchAsJsonAsync($"{Url}/{tagId}", new { name = "forged" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await forged.DeleteAsync($"{Url}/{tagId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await forged.PutAsync($"{conversation}/tags/{tagId}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await forged.PostAsJsonAsync($"{conversation}/assignee", new { adminId = admin.AdminId })).StatusCode);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM tags WHERE id = @tagId", new { tagId }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM conversation_tags WHERE conversation_id = @id", new { id = visitor.ConversationId }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM conversations WHERE id = @id AND assigned_admin_id IS NOT NULL", new { id = visitor.ConversationId }));
    }
}
