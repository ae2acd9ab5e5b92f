using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Scaleout;

/// <summary>Two real instances (Kestrel on their own ports) sharing one PostgreSQL and one Redis of their own.</summary>
public sealed class TwoInstanceTests(TestDatabase database) : TwoInstancesTest(database)
{

    [Fact]
    public async Task A_visitor_on_one_instance_and_an_admin_on_the_other_see_each_other_live()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await a.StartVisitorAsync();
        var (adminSocket, _) = await b.ConnectAdminAsync(admin);
        await using var _1 = adminSocket;
        var (tab, welcome) = await a.ConnectVisitorAsync(visitor.Token);
        await using var _2 = tab;
        // The only admin is on the other instance, and the visitor is told so.
        Assert.True(welcome.GetProperty("adminsOnline").GetBoolean());
        var online = await adminSocket.ReceiveAsync("presence", f => f.GetProperty("conversationId").GetGuid() == visitor.ConversationId);
        Assert.True(online.GetProperty("visitorOnline").GetBoolean());

        await tab.SendAsync(new { type = "send", clientMsgId = "v-1", body = "hello from A" });
        await tab.ReceiveAsync("ack");
        var atAdmin = await adminSocket.ReceiveAsync("message");
        Assert.Equal("hello from A", atAdmin.GetProperty("body").GetString());

        await tab.SendAsync(new { type = "typing" });
        Assert.Equal("visitor", (await adminSocket.ReceiveAsync("typing")).GetProperty("sender").GetString());

        await adminSocket.SendAsync(new { type = "send", conversationId = visitor.ConversationId, clientMsgId = "a-1", body = "hi from B" });
        var reply = await tab.ReceiveAsync("message");
        Assert.Equal("hi from B", reply.GetProperty("body").GetString());
        Assert.Equal(2, reply.GetProperty("seq").GetInt64());

        await adminSocket.SendAsync(new { type = "read", conversationId = visitor.ConversationId, seq = 1 });
        Assert.Equal("admin", (await tab.ReceiveAsync("read")).GetProperty("reader").GetString());

        // The admin's list through B shows the visitor on A as online.
        var list = await TestAdmins.CreateClient(b.App, admin).GetFromJsonAsync<JsonElement>("/api/admin/conversations");
        Assert.True(list.GetProperty("conversations").EnumerateArray().Single(c => c.GetProperty("id").GetGuid() == visitor.ConversationId)
            .GetProperty("visitorOnline").GetBoolean());

        // The admin leaving B is seen by the visitor on A.
        await adminSocket.DisposeAsync();
        var away = await tab.ReceiveAsync("presence", f => f.TryGetProperty("adminsOnline", out var v) && v.ValueKind == JsonValueKind.False);
        Assert.False(away.GetProperty("adminsOnline").GetBoolean());
    }

    [Fact]
    public async Task A_visitor_has_one_message_budget_across_instances()
    {
        var visitor = await a.StartVisitorAsync();
        var (onA, _) = await a.ConnectVisitorAsync(visitor.Token);
        var (onB, _) = await b.ConnectVisitorAsync(visitor.Token);
        await using var _1 = onA;
        await using var _2 = onB;
        var outcomes = new List<string>();
        // The default budget is a burst of 5 (then 1 a second): eight quick sends spread over both instances cannot all pass.
        for (var i = 0; i < 8; i++)
        {
            var socket = i % 2 == 0 ? onA : onB;
            var id = $"b-{i}";
            await socket.SendAsync(new { type = "send", clientMsgId = id, body = $"burst {i}" });
            while (true)
            {
                var frame = await socket.ReceiveAsync();
                var type = frame.GetProperty("type").GetString();
                if (type is "ack" or "error" && frame.TryGetProperty("clientMsgId", out var c) && c.GetString() == id)
                {
                    outcomes.Add(type == "ack" ? "ack" : frame.GetProperty("error").GetString()!);
                    break;
                }
            }
        }
        Assert.Contains("rate_limited", outcomes);
        Assert.InRange(outcomes.Count(o => o == "ack"), 5, 6);
        Assert.Equal(outcomes.Count(o => o == "ack"), await a.CountMessagesAsync(visitor.ConversationId));
    }

    [Fact]
    public async Task A_list_change_acknowledged_through_one_instance_is_never_missing_from_a_list_read_through_the_other()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var readerOnB = TestAdmins.CreateClient(b.App, admin);
        var visitor = await a.StartVisitorAsync();
        var (tab, _) = await a.ConnectVisitorAsync(visitor.Token);
        await using var _1 = tab;
        for (var i = 0; i < 5; i++)
        {
            // Fill the cache on B (twice: the second read is served from it), then change the list through A;
            // after A's ack, B must show the change.
            await readerOnB.GetFromJsonAsync<JsonElement>("/api/admin/conversations");
            await readerOnB.GetFromJsonAsync<JsonElement>("/api/admin/conversations");
            await tab.SendAsync(new { type = "send", clientMsgId = $"l-{i}", body = $"change {i}" });
            await tab.ReceiveAsync("ack");
            var list = await readerOnB.GetFromJsonAsync<JsonElement>("/api/admin/conversations");
            var mine = list.GetProperty("conversations").EnumerateArray().Single(c => c.GetProperty("id").GetGuid() == visitor.ConversationId);
            Assert.Equal($"change {i}", mine.GetProperty("lastMessagePreview").GetString());
        }
        var metrics = await b.Http(origin: null).GetStringAsync("/metrics");
        Assert.Matches("supportchat_conversation_list_cache_total\\{result=\"hit\"\\} [1-9]", metrics);
    }
}

/// <summary>Redis stops in the middle: each instance keeps serving its own sockets, then everyone catches up.</summary>
public sealed class RedisOutageTests(TestDatabase database) : TwoInstancesTest(database)
{
    protected override Dictionary<string, string?> Settings => new() { ["Realtime:MessageBurst"] = "100" };

    static async Task<long> SendAsync(TestSocket visitor, string id, string body)
    {
        await visitor.SendAsync(new { type = "send", clientMsgId = id, body });
        return (await visitor.ReceiveAsync("ack", f => f.GetProperty("clientMsgId").GetString() == id)).GetProperty("seq").GetInt64();
    }

    [Fact]
    public async Task Each_instance_serves_its_own_sockets_while_redis_is_down_and_clients_catch_up_by_resume_when_it_returns()
    {
        var adminOnB = await TestAdmins.SignInAsync(db.ConnectionString);
        var adminOnA = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await a.StartVisitorAsync();
        var (remoteAdmin, _) = await b.ConnectAdminAsync(adminOnB);
        var (localAdmin, _) = await a.ConnectAdminAsync(adminOnA);
        var (tab, _) = await a.ConnectVisitorAsync(visitor.Token);
        await using var _1 = localAdmin;

        var seen = new List<long>();
        await SendAsync(tab, "before", "before the outage");
        seen.Add((await remoteAdmin.ReceiveAsync("message")).GetProperty("seq").GetInt64());

        await redis.StopAsync();
        // Instance A still delivers between its own sockets, and both report degraded readiness.
        var during = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            during.Add(await SendAsync(tab, $"during-{i}", $"during the outage {i}"));
            Assert.Equal(during[^1], (await localAdmin.ReceiveAsync("message", f => f.GetProperty("body").GetString() == $"during the outage {i}"))
                .GetProperty("seq").GetInt64());
        }
        foreach (var host in new[] { a, b })
        {
            var ready = await host.Http(origin: null).GetAsync("/health/ready");
            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("Degraded", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        await redis.StartAgainAsync();
        // The backplane is back: sockets are asked to resume, and do.
        while (true)
        {
            var (frame, close) = await remoteAdmin.ReceiveOrCloseAsync();
            if (frame is { } f && f.GetProperty("type").GetString() == "message") seen.Add(f.GetProperty("seq").GetInt64());
            if (close is not null)
            {
                Assert.Equal((WebSocketCloseStatus)4002, close);
                break;
            }
        }
        await remoteAdmin.DisposeAsync();
        Assert.Equal((WebSocketCloseStatus)4002, await tab.ExpectCloseAsync());
        await tab.DisposeAsync();

        var (resumedAdmin, _) = await b.ConnectAdminAsync(adminOnB);
        await using var _2 = resumedAdmin;
        await resumedAdmin.SendAsync(new { type = "resume", conversationId = visitor.ConversationId, lastSeq = seen.Max() });
        foreach (var _ in during.Where(s => !seen.Contains(s)).ToList())
            seen.Add((await resumedAdmin.ReceiveAsync("message")).GetProperty("seq").GetInt64());

        var (backTab, _) = await a.ConnectVisitorAsync(visitor.Token, lastSeq: during.Max());
        await using var _3 = backTab;
        var after = await SendAsync(backTab, "after", "after the outage");
        seen.Add((await resumedAdmin.ReceiveAsync("message", f => f.GetProperty("seq").GetInt64() == after)).GetProperty("seq").GetInt64());

        // Every message reached the admin on the other instance exactly once.
        Assert.Equal([1, 2, 3, 4, 5], seen.Order());
    }
}
