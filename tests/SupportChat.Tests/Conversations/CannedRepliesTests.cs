using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Conversations;

public sealed class CannedRepliesTests(TestDatabase database) : RealtimeTest(database)
{
    const string Url = "/api/admin/canned-replies";

    async Task<long> CountAsync(string sql)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.ExecuteScalarAsync<long>(sql);
    }

    [Fact]
    public async Task Canned_replies_are_added_listed_edited_and_deleted_each_audited()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);

        var created = await http.PostAsJsonAsync(Url, new { shortcut = "refund", title = "Refund policy", body = "Refunds take 3 to 5 days." });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var reply = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = reply.GetProperty("id").GetInt64();
        Assert.Equal("refund", reply.GetProperty("shortcut").GetString());
        Assert.Equal(admin.AdminId, reply.GetProperty("createdBy").GetInt64());

        var list = await http.GetFromJsonAsync<JsonElement>(Url);
        Assert.Contains(list.EnumerateArray(), r => r.GetProperty("id").GetInt64() == id && r.GetProperty("body").GetString() == "Refunds take 3 to 5 days.");

        var edited = await http.PutAsJsonAsync($"{Url}/{id}", new { shortcut = "refunds", title = "Refunds", body = "Refunds take a week." });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal("Refunds take a week.", (await edited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("body").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"{Url}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"{Url}/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PutAsJsonAsync($"{Url}/{id}", new { shortcut = "x", body = "y" })).StatusCode);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM canned_replies WHERE id = {id}"));
        Assert.Equal(3, await CountAsync($"""
            SELECT count(*) FROM audit_log WHERE target_type = 'canned_reply' AND target_id = '{id}'
              AND action IN ('canned.created', 'canned.updated', 'canned.deleted')
            """));
    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("has space", "body")]
    [InlineData("dot.ted", "body")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "body")] // 33 characters
    [InlineData("ok", "")]
    [InlineData("ok", "   ")]
    [InlineData("ok", null)]
    [InlineData(null, "body")]
    public async Task Bad_input_is_refused_with_bad_request_and_nothing_is_stored(string? shortcut, string? body)
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        var before = await CountAsync("SELECT count(*) FROM canned_replies");
        var response = await http.PostAsJsonAsync(Url, new { shortcut, body });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(before, await CountAsync("SELECT count(*) FROM canned_replies"));
    }

    [Fact]
    public async Task A_body_over_4000_characters_is_refused_and_4000_is_accepted()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync(Url, new { shortcut = "long", body = new string('x', 4001) })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync(Url, new { shortcut = "long", body = new string('x', 4000) })).StatusCode);
    }

    [Fact]
    public async Task A_duplicate_shortcut_whatever_its_case_is_a_conflict()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, admin);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync(Url, new { shortcut = "hello", body = "Hello!" })).StatusCode);
        var duplicate = await http.PostAsJsonAsync(Url, new { shortcut = "HELLO", body = "Hi!" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("conflict", (await duplicate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        var other = await (await http.PostAsJsonAsync(Url, new { shortcut = "bye", body = "Bye!" })).Content.ReadFromJsonAsync<JsonElement>();
        var renamed = await http.PutAsJsonAsync($"{Url}/{other.GetProperty("id").GetInt64()}", new { shortcut = "hello", body = "Bye!" });
        Assert.Equal(HttpStatusCode.Conflict, renamed.StatusCode);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM canned_replies WHERE lower(shortcut) = 'hello'"));
    }

    [Fact]
    public async Task Without_a_session_every_endpoint_is_unauthorized()
    {
        using var http = host.App.CreateClient();
        http.DefaultRequestHeaders.Add("Origin", http.BaseAddress!.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(Url)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync(Url, new { shortcut = "x", body = "y" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PutAsJsonAsync($"{Url}/1", new { shortcut = "x", body = "y" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteAsync($"{Url}/1")).StatusCode);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM canned_replies WHERE shortcut = 'x'"));
    }
}
