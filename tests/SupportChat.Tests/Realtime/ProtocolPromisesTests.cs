using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using SupportChat.Sockets;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupportChat.Tests.Realtime;

/// <summary>What docs/protocol.md promises about errors, resume and slow sockets, held to the letter.</summary>
public sealed class ProtocolPromisesTests(TestDatabase database, ITestOutputHelper output) : RealtimeTest(database)
{
    static async Task<long> AdminSendAsync(TestSocket admin, Guid conversationId, string clientMsgId, string body)
    {
        await admin.SendAsync(new { type = "send", conversationId, clientMsgId, body });
        return (await admin.ReceiveAsync("ack", f => f.GetProperty("clientMsgId").GetString() == clientMsgId)).GetProperty("seq").GetInt64();
    }

    static async Task<JsonElement> ErrorForAsync(TestSocket socket, string json)
    {
        await socket.SendTextAsync(json);
        return await socket.ReceiveAsync("error");
    }

    [Fact]
    public async Task An_error_carries_the_clientMsgId_even_when_another_field_has_the_wrong_type()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        var (console, _) = await host.ConnectAdminAsync(admin);
        await using var _1 = tab;
        await using var _2 = console;

        var cases = new (TestSocket Socket, string Json, string Id)[]
        {
            (tab, """{"type":"send","clientMsgId":"v-42","body":42}""", "v-42"),
            (console, """{"type":"send","conversationId":"nope","clientMsgId":"a-nope","body":"hi"}""", "a-nope"),
            (console, """{"type":"send","conversationId":7,"clientMsgId":"a-7","body":"hi"}""", "a-7"),
            (console, $$"""{"type":"send","conversationId":"{{visitor.ConversationId}}","clientMsgId":"a-note","body":"hi","note":"yes"}""", "a-note"),
        };
        foreach (var (socket, json, id) in cases)
        {
            var error = await ErrorForAsync(socket, json);
            output.WriteLine($"{json} -> {error}");
            Assert.Equal("bad_request", error.GetProperty("error").GetString());
            Assert.Equal(id, error.TryGetProperty("clientMsgId", out var c) ? c.GetString() : null);
        }
        // A clientMsgId that is not a string is not echoed; nothing was stored for any of them.
        var noId = await ErrorForAsync(tab, """{"type":"send","clientMsgId":5,"body":"x"}""");
        Assert.False(noId.TryGetProperty("clientMsgId", out _));
        Assert.Equal(0, await host.CountMessagesAsync(visitor.ConversationId));
    }

    [Fact]
    public async Task An_admin_resume_never_repeats_a_seq_this_socket_already_has()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (writer, _) = await host.ConnectAdminAsync(admin);
        var (reader, _) = await host.ConnectAdminAsync(admin);
        await using var _1 = writer;
        await using var _2 = reader;
        for (var i = 1; i <= 3; i++) await AdminSendAsync(writer, visitor.ConversationId, $"r{i}", $"live {i}");
        var seen = new List<long>();
        while (seen.Count < 3) seen.Add((await reader.ReceiveAsync("message")).GetProperty("seq").GetInt64());

        // A console that resumes from less than it was sent (it reconnected, or resumed twice) gets nothing twice.
        await reader.SendAsync(new { type = "resume", conversationId = visitor.ConversationId, lastSeq = 1 });
        await reader.SendAsync(new { type = "resume", conversationId = visitor.ConversationId, lastSeq = 0 });
        var last = await AdminSendAsync(writer, visitor.ConversationId, "r4", "live 4");
        while (seen[^1] != last)
        {
            var f = await reader.ReceiveAsync();
            var type = f.GetProperty("type").GetString();
            if (type == "message") seen.Add(f.GetProperty("seq").GetInt64());
            else if (type == "history") seen.AddRange(f.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        }
        output.WriteLine($"seqs on the socket: {string.Join(",", seen)}");
        Assert.Equal([1, 2, 3, 4], seen);
    }

    [Fact]
    public async Task An_admin_resume_from_0_sends_every_message_as_message_frames_past_the_first_50()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (writer, _) = await host.ConnectAdminAsync(admin);
        await using var _1 = writer;
        for (var i = 1; i <= 130; i++) await AdminSendAsync(writer, visitor.ConversationId, $"p{i}", $"page {i}");

        var (fresh, _) = await host.ConnectAdminAsync(admin);
        await using var _2 = fresh;
        await fresh.SendAsync(new { type = "resume", conversationId = visitor.ConversationId, lastSeq = 0 });
        var live = AdminSendAsync(writer, visitor.ConversationId, "p131", "page 131");
        var seen = new List<long>();
        while (seen.Count < 131)
        {
            var f = await fresh.ReceiveAsync();
            Assert.NotEqual("history", f.GetProperty("type").GetString());
            if (f.GetProperty("type").GetString() == "message") seen.Add(f.GetProperty("seq").GetInt64());
        }
        await live;
        Assert.Equal(Enumerable.Range(1, 131).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task A_visitor_socket_whose_queue_overflows_is_closed_by_the_queue_limit_not_by_the_send_timeout()
    {
        await using var slowHost = new RealtimeHost(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Realtime:OutboundQueueCapacity"] = "8",
            ["Realtime:SendTimeoutSeconds"] = "30",
            ["Realtime:CloseTimeoutSeconds"] = "1",
        });
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await slowHost.StartVisitorAsync();
        var (console, _) = await slowHost.ConnectAdminAsync(admin);
        await using var _1 = console;
        using var smallBuffers = RealtimeHost.SmallReceiveBufferClient();
        var (stalled, _) = await slowHost.ConnectVisitorAsync(visitor.Token, invoker: smallBuffers);
        await using var _2 = stalled;
        var manager = slowHost.App.Get<ConnectionManager>();

        var body = new string('x', 3900);
        var clock = Stopwatch.StartNew();
        var slowBefore = RealtimeMetrics.SlowSocketsClosed.Value;
        var sent = 0;
        // Flood until the stalled socket's queue overflows, then measure how long the socket takes to go.
        while (RealtimeMetrics.SlowSocketsClosed.Value == slowBefore && sent < 3000)
            await AdminSendAsync(console, visitor.ConversationId, $"f{++sent}", body);
        var overflowAt = clock.Elapsed;
        while (manager.VisitorSockets(visitor.ConversationId) > 0 && clock.Elapsed < overflowAt + TimeSpan.FromSeconds(60)) await Task.Delay(20);
        var closeTook = clock.Elapsed - overflowAt;
        output.WriteLine($"{sent} messages of 3,900 characters; the queue overflowed {overflowAt.TotalSeconds:0.0} s into the flood and the stalled " +
            $"socket was gone {closeTook.TotalSeconds:0.00} s later (send timeout 30 s, close timeout 1 s)");
        Assert.Equal(0, manager.VisitorSockets(visitor.ConversationId));
        Assert.True(closeTook < TimeSpan.FromSeconds(10), $"closed only {closeTook.TotalSeconds:0.0} s after the overflow");

        // What the client finds: the frames that got through, then a 4001 close or an abort (the close frame could not get through).
        WebSocketCloseStatus? close = null;
        try { close = await stalled.ExpectCloseAsync(); }
        catch (WebSocketException) { }
        output.WriteLine($"client saw: {(close is null ? "abort" : ((int)close).ToString())}");
        Assert.True(close is null or (WebSocketCloseStatus)4001, $"closed with {close}");
    }
}
