using SupportChat.Admins;
using SupportChat.Conversations;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Data;
using SupportChat.Endpoints;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

public sealed class RealtimeBadInputTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    RealtimeHost host = null!;

    public Task InitializeAsync()
    {
        host = new RealtimeHost(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Realtime:AuthTimeoutSeconds"] = "1",
            // One token per 100 s after the burst: the burst test cannot be refilled by a slow machine.
            ["Realtime:MessagesPerSecond"] = "0.01",
            ["Realtime:VisitorSessionsPerIp"] = "1000",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    async Task<(VisitorSessionResponse Visitor, TestSocket Tab)> VisitorAsync()
    {
        var visitor = await host.StartVisitorAsync();
        return (visitor, (await host.ConnectVisitorAsync(visitor.Token)).Socket);
    }

    async Task ExpectErrorAsync(TestSocket tab, string code)
    {
        var error = await tab.ReceiveAsync("error");
        Assert.Equal(code, error.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Each_bad_frame_gets_its_code_stores_nothing_and_the_socket_stays_open()
    {
        var (visitor, tab) = await VisitorAsync();
        await using var _ = tab;
        var before = await host.CountMessagesAsync();

        await tab.SendAsync(new { type = "send", clientMsgId = "e1", body = "" });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { type = "send", clientMsgId = "e2", body = " \r\n\u0001\t " });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { type = "send", clientMsgId = "e3", body = new string('x', 4001) });
        await ExpectErrorAsync(tab, "too_large");
        await tab.SendTextAsync("{not json");
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendTextAsync("[1,2]");
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { type = "shout", body = "hi" });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { body = "no type" });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { type = "send", body = "no client id" });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { type = "send", clientMsgId = "e4" });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { type = "send", clientMsgId = new string('c', 65), body = "long id" });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendAsync(new { type = "read" });
        await ExpectErrorAsync(tab, "bad_request");
        await tab.SendRawAsync([1, 2, 3], WebSocketMessageType.Binary);
        await ExpectErrorAsync(tab, "bad_request");
        Assert.Equal(before, await host.CountMessagesAsync());

        // Still open, and the limit itself is allowed; control characters go, line endings become \n.
        await tab.SendAsync(new { type = "send", clientMsgId = "ok", body = "line one\r\nline\u0007 two\rthree\u200b" });
        Assert.Equal(1, (await tab.ReceiveAsync("ack")).GetProperty("seq").GetInt64());
        await tab.SendAsync(new { type = "send", clientMsgId = "max", body = new string('y', 4000) });
        await tab.ReceiveAsync("ack");
        await using var c = new NpgsqlConnection(db.ConnectionString);
        Assert.Equal("line one\nline two\nthree\u200b", await c.ExecuteScalarAsync<string>(
            "SELECT body FROM messages WHERE conversation_id = @ConversationId AND client_msg_id = 'ok'", new { visitor.ConversationId }));
    }

    [Fact]
    public async Task A_frame_over_the_limit_closes_with_1009_and_stores_nothing()
    {
        var (_, tab) = await VisitorAsync();
        await using var _1 = tab;
        var before = await host.CountMessagesAsync();
        await tab.SendAsync(new { type = "send", clientMsgId = "big", body = new string('z', 40_000) });
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await tab.ExpectCloseAsync());
        Assert.Equal(before, await host.CountMessagesAsync());
    }

    [Fact]
    public async Task Invalid_utf8_closes_with_1007_and_stores_nothing()
    {
        var (_, tab) = await VisitorAsync();
        await using var _1 = tab;
        var before = await host.CountMessagesAsync();
        byte[] frame = [.. "{\"type\":\"send\",\"clientMsgId\":\"u\",\"body\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];
        await tab.SendRawAsync(frame);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await tab.ExpectCloseAsync());
        Assert.Equal(before, await host.CountMessagesAsync());
    }

    [Fact]
    public async Task Over_the_rate_limit_across_all_tabs_of_a_visitor_is_rate_limited()
    {
        var visitor = await host.StartVisitorAsync();
        var (a, _) = await host.ConnectVisitorAsync(visitor.Token);
        var (b, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = a;
        await using var _2 = b;
        for (var i = 0; i < 5; i++)
        {
            var tab = i % 2 == 0 ? a : b;
            await tab.SendAsync(new { type = "send", clientMsgId = $"burst{i}", body = $"burst {i}" });
            await tab.ReceiveAsync("ack");
        }
        await b.SendAsync(new { type = "send", clientMsgId = "burst5", body = "one too many" });
        var error = await b.ReceiveAsync("error");
        Assert.Equal("rate_limited", error.GetProperty("error").GetString());
        Assert.Equal("burst5", error.GetProperty("clientMsgId").GetString());
        Assert.Equal(5, await host.CountMessagesAsync(visitor.ConversationId));
    }

    [Fact]
    public async Task A_visitor_can_never_read_or_write_another_conversation()
    {
        var victim = await host.StartVisitorAsync();
        var (victimTab, _) = await host.ConnectVisitorAsync(victim.Token);
        await using var _0 = victimTab;
        await victimTab.SendAsync(new { type = "send", clientMsgId = "secret", body = "my address is ..." });
        await victimTab.ReceiveAsync("ack");
        var (_, tab) = await VisitorAsync();
        await using var _1 = tab;
        var before = await host.CountMessagesAsync();

        await tab.SendAsync(new { type = "send", conversationId = victim.ConversationId, clientMsgId = "x", body = "injected" });
        await ExpectErrorAsync(tab, "forbidden");
        await tab.SendAsync(new { type = "history", conversationId = victim.ConversationId });
        await ExpectErrorAsync(tab, "forbidden");
        await tab.SendAsync(new { type = "read", conversationId = victim.ConversationId, seq = 1 });
        await ExpectErrorAsync(tab, "forbidden");
        await tab.SendAsync(new { type = "typing", conversationId = victim.ConversationId });
        await ExpectErrorAsync(tab, "forbidden");
        await tab.SendAsync(new { type = "resume", conversationId = victim.ConversationId, lastSeq = 0 });
        await ExpectErrorAsync(tab, "bad_request");

        Assert.Equal(before, await host.CountMessagesAsync());
        await using var c = new NpgsqlConnection(db.ConnectionString);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT visitor_read_seq FROM conversations WHERE id = @ConversationId", new { victim.ConversationId }));
    }

    [Fact]
    public async Task A_forged_missing_or_expired_token_or_a_late_auth_is_refused_with_its_close_code()
    {
        async Task<WebSocketCloseStatus?> AuthWith(object frame)
        {
            await using var s = await TestSocket.ConnectAsync(new Uri(host.BaseUri, "/ws/visitor"), o => o.SetRequestHeader("Origin", RealtimeHost.WidgetOrigin));
            await s.SendAsync(frame);
            return await s.ExpectCloseAsync();
        }

        Assert.Equal((WebSocketCloseStatus)4401, await AuthWith(new { type = "auth", token = "forged-token-forged-token-forged-token-12" }));
        Assert.Equal((WebSocketCloseStatus)4401, await AuthWith(new { type = "auth" }));
        Assert.Equal((WebSocketCloseStatus)4401, await AuthWith(new { type = "send", clientMsgId = "a", body = "no auth" }));

        var expired = await host.StartVisitorAsync();
        await using (var c = new NpgsqlConnection(db.ConnectionString))
            await c.ExecuteAsync("UPDATE visitors SET last_seen_at = now() - interval '400 days' WHERE id = @VisitorId", new { expired.VisitorId });
        Assert.Equal((WebSocketCloseStatus)4401, await AuthWith(new { type = "auth", token = expired.Token }));

        await using var silent = await TestSocket.ConnectAsync(new Uri(host.BaseUri, "/ws/visitor"), o => o.SetRequestHeader("Origin", RealtimeHost.WidgetOrigin));
        Assert.Equal((WebSocketCloseStatus)4408, await silent.ExpectCloseAsync());
    }

    [Fact]
    public async Task Sockets_check_the_origin_and_the_admin_socket_needs_a_live_session()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await Status("/ws/visitor", o => o.SetRequestHeader("Origin", "https://evil.example")));
        Assert.Equal(HttpStatusCode.Forbidden, await Status("/ws/visitor", _ => { }));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await Status("/ws/visitor", o => o.SetRequestHeader("Origin", host.OwnOrigin)));

        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        Assert.Equal(HttpStatusCode.Unauthorized, await Status("/ws/admin", o => o.SetRequestHeader("Origin", host.OwnOrigin)));
        Assert.Equal(HttpStatusCode.Forbidden, await Status("/ws/admin", o =>
        {
            o.SetRequestHeader("Origin", RealtimeHost.WidgetOrigin);
            o.SetRequestHeader("Cookie", admin.CookieHeader);
            o.SetRequestHeader("User-Agent", admin.UserAgent);
        }));
    }

    async Task<HttpStatusCode> Status(string path, Action<ClientWebSocketOptions> configure)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        configure(ws.Options);
        try
        {
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await ws.ConnectAsync(new UriBuilder(new Uri(host.BaseUri, path)) { Scheme = "ws" }.Uri, guard.Token);
            ws.Abort();
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return ws.HttpStatusCode;
        }
        finally { ws.Dispose(); }
    }

    [Fact]
    public async Task An_admin_socket_closes_with_4403_when_its_session_is_revoked()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var (socket, _) = await host.ConnectAdminAsync(admin);
        await using var _1 = socket;
        await using (var c = new NpgsqlConnection(db.ConnectionString))
        {
            var sessionId = await c.ExecuteScalarAsync<long>("SELECT id FROM admin_sessions WHERE admin_id = @AdminId", new { admin.AdminId });
            await host.App.Get<AdminSessions>().RevokeAsync(admin.AdminId, sessionId, "test", new AuditEntry("session.revoked", admin.AdminId));
        }
        Assert.Equal((WebSocketCloseStatus)4403, await socket.ExpectCloseAsync());
    }

    [Fact]
    public async Task Visitor_sessions_are_resumed_by_token_and_their_creation_is_limited_per_ip()
    {
        var created = await host.StartVisitorAsync(new { name = "Ann", pageUrl = "https://shop.example/p/1", locale = "de" });
        Assert.True(created.Token.Length >= 22); // at least 128 bits in base64url
        using var http = host.Http();
        var resumed = await (await http.PostAsJsonAsync("/api/visitor/sessions", new { token = created.Token, pageUrl = "https://shop.example/p/2" }))
            .Content.ReadFromJsonAsync<VisitorSessionResponse>();
        Assert.Equal(created.ConversationId, resumed!.ConversationId);
        Assert.True(resumed.Resumed);
        await using (var c = new NpgsqlConnection(db.ConnectionString))
        {
            var row = await c.QuerySingleAsync<(string PageUrl, byte[] TokenHash, string? UserAgent)>(
                "SELECT page_url, token_hash, user_agent FROM visitors WHERE id = @VisitorId", new { created.VisitorId });
            Assert.Equal("https://shop.example/p/2", row.PageUrl);
            Assert.Equal(Tokens.Hash(created.Token), row.TokenHash);
            Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT count(*) FROM visitors WHERE token_hash = convert_to(@Token, 'UTF8')", new { created.Token }));
        }

        var unknown = await http.PostAsJsonAsync("/api/visitor/sessions", new { token = "not-a-token-we-issued-at-all-000000000000" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("unauthorized", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        using var evil = host.Http("https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await evil.PostAsJsonAsync("/api/visitor/sessions", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/visitor/sessions", new { pageUrl = "javascript:alert(1)" })).StatusCode);
    }
}

public sealed class VisitorSessionRateLimitTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Creating_too_many_visitor_sessions_from_one_ip_gets_429_with_retry_after()
    {
        await using var host = new RealtimeHost(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Realtime:VisitorSessionsPerIp"] = "2",
            ["Realtime:VisitorSessionWindowSeconds"] = "3600",
        });
        using var http = host.Http();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/visitor/sessions", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/visitor/sessions", new { })).StatusCode);
        var limited = await http.PostAsJsonAsync("/api/visitor/sessions", new { });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) >= 1);
        var body = await limited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rate_limited", body.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
        await using var c = new NpgsqlConnection(db.ConnectionString);
        Assert.Equal(2, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM visitors"));
    }
}
