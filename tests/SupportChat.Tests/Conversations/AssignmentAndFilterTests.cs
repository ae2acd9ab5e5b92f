using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Conversations;

public sealed class AssignmentAndFilterTests(TestDatabase database) : RealtimeTest(database)
{
    async Task<NpgsqlConnection> OpenAsync()
    {
        var c = new NpgsqlConnection(db.ConnectionString);
        await c.OpenAsync();
        return c;
    }

    static Task<HttpResponseMessage> AssignAsync(HttpClient http, Guid conversation, long? adminId) =>
        http.PostAsJsonAsync($"/api/admin/conversations/{conversation}/assignee", new { adminId });

    static async Task<long> TagAsync(HttpClient http, string name)
    {
        var response = await http.PostAsJsonAsync("/api/admin/tags", new { name = $"{name} {Guid.NewGuid().ToString("N")[..6]}" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    /// <summary>Every conversation the list shows for this query, following nextCursor page by page.</summary>
    static async Task<List<Guid>> AllPagesAsync(HttpClient http, string query, int limit)
    {
        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var url = $"/api/admin/conversations?{query}&limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}");
            var page = await http.GetFromJsonAsync<JsonElement>(url);
            ids.AddRange(page.GetProperty("conversations").EnumerateArray().Select(c => c.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        } while (cursor is not null);
        return ids;
    }

    [Fact]
    public async Task Removing_an_admin_unassigns_their_conversations_and_tells_every_console()
    {
        var me = await TestAdmins.SignInAsync(db.ConnectionString);
        var leaving = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, me);
        var theirs = (await host.StartVisitorAsync()).ConversationId;
        var mine = (await host.StartVisitorAsync()).ConversationId;
        Assert.Equal(HttpStatusCode.OK, (await AssignAsync(http, theirs, leaving.AdminId)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await AssignAsync(http, mine, me.AdminId)).StatusCode);
        var (console, _) = await host.ConnectAdminAsync(me);
        await using var _0 = console;

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/admin/admins/{leaving.AdminId}")).StatusCode);

        var frame = await console.ReceiveAsync("assignment");
        Assert.Equal(theirs, frame.GetProperty("conversationId").GetGuid());
        Assert.Equal(JsonValueKind.Null, frame.GetProperty("adminId").ValueKind);
        var item = await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{theirs}");
        Assert.Equal(JsonValueKind.Null, item.GetProperty("assignedAdminId").ValueKind);
        Assert.Equal(me.AdminId, (await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{mine}")).GetProperty("assignedAdminId").GetInt64());
        var unassigned = await AllPagesAsync(http, "assignee=none", 50);
        Assert.Contains(theirs, unassigned);
        Assert.DoesNotContain(mine, unassigned);
        await using var c = await OpenAsync();
        Assert.Equal(theirs.ToString(), await c.ExecuteScalarAsync<string>(
            "SELECT details->'unassignedConversations'->>0 FROM audit_log WHERE action = 'admin.removed' AND target_id = @id",
            new { id = leaving.AdminId.ToString() }));
    }

    [Fact]
    public async Task An_admin_assigns_reassigns_and_unassigns_each_change_audited_with_from_and_to_and_shown_in_the_list()
    {
        var me = await TestAdmins.SignInAsync(db.ConnectionString);
        var other = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, me);
        var visitor = await host.StartVisitorAsync();
        var id = visitor.ConversationId;

        var assigned = await AssignAsync(http, id, other.AdminId);
        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var body = await assigned.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(other.AdminId, body.GetProperty("adminId").GetInt64());
        Assert.Equal(other.Username, body.GetProperty("adminName").GetString());
        var item = await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{id}");
        Assert.Equal(other.AdminId, item.GetProperty("assignedAdminId").GetInt64());
        Assert.Equal(other.Username, item.GetProperty("assignedAdminName").GetString());

        Assert.Equal(HttpStatusCode.OK, (await AssignAsync(http, id, other.AdminId)).StatusCode); // the same again: nothing changes
        Assert.Equal(HttpStatusCode.OK, (await AssignAsync(http, id, me.AdminId)).StatusCode);
        var unassigned = await AssignAsync(http, id, null);
        Assert.Equal(HttpStatusCode.OK, unassigned.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await unassigned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("adminId").ValueKind);
        item = await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{id}");
        Assert.Equal(JsonValueKind.Null, item.GetProperty("assignedAdminId").ValueKind);
        Assert.Equal(JsonValueKind.Null, item.GetProperty("assignedAdminName").ValueKind);

        await using var c = await OpenAsync();
        var audit = (await c.QueryAsync<(string Action, long AdminId, long? From, long? To)>("""
            SELECT action, admin_id, (details->>'from')::bigint, (details->>'to')::bigint FROM audit_log
            WHERE target_type = 'conversation' AND target_id = @id AND action LIKE 'conversation.%assigned' ORDER BY id
            """, new { id = id.ToString() })).ToList();
        Assert.Equal([
            ("conversation.assigned", me.AdminId, (long?)null, (long?)other.AdminId),
            ("conversation.assigned", me.AdminId, other.AdminId, me.AdminId),
            ("conversation.unassigned", me.AdminId, me.AdminId, null),
        ], audit);
    }

    [Fact]
    public async Task Assigning_to_an_unknown_or_inactive_admin_or_an_unknown_conversation_is_refused_and_changes_nothing()
    {
        var me = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, me);
        var visitor = await host.StartVisitorAsync();
        await using var c = await OpenAsync();
        var pending = await c.ExecuteScalarAsync<long>("INSERT INTO admins (username, display_name) VALUES (@u, 'Pending') RETURNING id",
            new { u = "pending_" + Guid.NewGuid().ToString("N")[..8] });
        var removed = await c.ExecuteScalarAsync<long>("INSERT INTO admins (username, display_name, status) VALUES (@u, 'Gone', 'removed') RETURNING id",
            new { u = "removed_" + Guid.NewGuid().ToString("N")[..8] });

        var unknownAdmin = await AssignAsync(http, visitor.ConversationId, 999_999_999);
        Assert.Equal(HttpStatusCode.NotFound, unknownAdmin.StatusCode);
        Assert.Equal("not_found", (await unknownAdmin.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        foreach (var inactive in new[] { pending, removed })
        {
            var refused = await AssignAsync(http, visitor.ConversationId, inactive);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var error = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("bad_request", error.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        }
        var unknownConversation = await AssignAsync(http, Guid.NewGuid(), me.AdminId);
        Assert.Equal(HttpStatusCode.NotFound, unknownConversation.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AssignAsync(http, Guid.NewGuid(), null)).StatusCode);
        foreach (var body in new[] { "{\"adminId\":\"someone\"}", "{}", "{\"adminId\":1.5}", "{\"adminId\":-3}", "[]" })
        {
            var bad = await http.PostAsync($"/api/admin/conversations/{visitor.ConversationId}/assignee",
                new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("bad_request", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }

        Assert.Null(await c.ExecuteScalarAsync<long?>("SELECT assigned_admin_id FROM conversations WHERE id = @id", new { id = visitor.ConversationId }));
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE target_id = @id AND action LIKE 'conversation.%assigned'",
            new { id = visitor.ConversationId.ToString() }));
    }

    [Fact]
    public async Task Each_filter_and_their_combinations_page_through_exactly_the_matching_conversations()
    {
        var me = await TestAdmins.SignInAsync(db.ConnectionString);
        var other = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, me);
        var tag = await TagAsync(http, "Filtered");

        // Seven tagged conversations: mine, the other admin's and nobody's; some with an unread visitor message, one closed.
        var conversations = new List<(Guid Id, long? Assignee, bool Unread, string Status)>();
        (long?, bool, string)[] shapes = [(me.AdminId, true, "open"), (me.AdminId, false, "open"), (me.AdminId, true, "closed"),
            (other.AdminId, true, "open"), (other.AdminId, false, "open"), (null, true, "open"), (null, false, "pending")];
        foreach (var (assignee, unread, status) in shapes)
        {
            var visitor = await host.StartVisitorAsync();
            var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
            await using (tab)
            {
                await tab.SendAsync(new { type = "send", clientMsgId = "q", body = "Hello?" });
                await tab.ReceiveAsync("ack");
            }
            if (!unread)
            {
                await using var c = await OpenAsync();
                await c.ExecuteAsync("UPDATE conversations SET admin_read_seq = last_seq WHERE id = @id", new { id = visitor.ConversationId });
            }
            Assert.Equal(HttpStatusCode.OK, (await http.PutAsync($"/api/admin/conversations/{visitor.ConversationId}/tags/{tag}", null)).StatusCode);
            if (assignee is not null) Assert.Equal(HttpStatusCode.OK, (await AssignAsync(http, visitor.ConversationId, assignee)).StatusCode);
            if (status != "open")
                Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status })).StatusCode);
            conversations.Add((visitor.ConversationId, assignee, unread, status));
        }
        var untagged = await host.StartVisitorAsync();
        Assert.Equal(HttpStatusCode.OK, (await AssignAsync(http, untagged.ConversationId, me.AdminId)).StatusCode);

        async Task Expect(string query, Func<(Guid Id, long? Assignee, bool Unread, string Status), bool> expected)
        {
            var want = conversations.Where(expected).Select(c => c.Id).ToHashSet();
            foreach (var limit in new[] { 2, 50 })
            {
                var got = await AllPagesAsync(http, $"tag={tag}&{query}", limit);
                Assert.Equal(got.Count, got.Distinct().Count());
                Assert.True(want.SetEquals(got), $"{query} (limit {limit}): expected {want.Count}, got {got.Count}");
            }
        }

        await Expect("", _ => true);
        await Expect("assignee=me", c => c.Assignee == me.AdminId);
        await Expect($"assignee={other.AdminId}", c => c.Assignee == other.AdminId);
        await Expect("assignee=none", c => c.Assignee is null);
        await Expect("unread=true", c => c.Unread);
        await Expect("unread=false", _ => true);
        await Expect("status=open", c => c.Status == "open");
        await Expect("assignee=me&unread=true", c => c.Assignee == me.AdminId && c.Unread);
        await Expect("assignee=me&unread=true&status=open", c => c.Assignee == me.AdminId && c.Unread && c.Status == "open");
        await Expect("assignee=none&status=pending", c => c.Assignee is null && c.Status == "pending");

        // Without the tag, "me" is the asking admin: the other admin's "me" is their own list.
        var mine = await AllPagesAsync(http, "assignee=me", 3);
        Assert.Contains(untagged.ConversationId, mine);
        Assert.DoesNotContain(mine, id => conversations.Any(c => c.Id == id && c.Assignee != me.AdminId));
        using var otherHttp = TestAdmins.CreateClient(host.App, other);
        var theirs = await AllPagesAsync(otherHttp, "assignee=me", 50);
        Assert.Equal(conversations.Where(c => c.Assignee == other.AdminId).Select(c => c.Id).ToHashSet(), theirs.ToHashSet());

        // A change moves the conversation between the cached first pages at once.
        var first = conversations.First(c => c.Assignee is null);
        Assert.Equal(HttpStatusCode.OK, (await AssignAsync(http, first.Id, other.AdminId)).StatusCode);
        Assert.Contains(first.Id, await AllPagesAsync(otherHttp, $"tag={tag}&assignee=me", 50));
        Assert.DoesNotContain(first.Id, await AllPagesAsync(http, $"tag={tag}&assignee=none", 50));
        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/admin/conversations/{first.Id}/tags/{tag}")).StatusCode);
        Assert.DoesNotContain(first.Id, await AllPagesAsync(http, $"tag={tag}", 50));
    }

    [Theory]
    [InlineData("assignee=someone")]
    [InlineData("assignee=-1")]
    [InlineData("assignee=0")]
    [InlineData("tag=abc")]
    [InlineData("tag=0")]
    [InlineData("tag=1.5")]
    [InlineData("unread=yes")]
    [InlineData("unread=1")]
    [InlineData("status=archived")]
    public async Task A_bad_filter_value_is_a_bad_request_that_names_the_filter(string query)
    {
        var me = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = TestAdmins.CreateClient(host.App, me);
        var response = await http.GetAsync($"/api/admin/conversations?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bad_request", error.GetProperty("error").GetString());
        Assert.Contains(query.Split('=')[0], error.GetProperty("message").GetString());
    }
}
