using System.Net.WebSockets;
using SupportChat.Sockets;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

public sealed class RealtimeBackpressureTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_stalled_reader_is_closed_while_the_other_tabs_keep_receiving_and_it_catches_up_on_reconnect()
    {
        await using var host = new RealtimeHost(db.ConnectionString, new Dictionary<string, string?>
        {
            // Room enough that the reading tab is not closed when a loaded machine pauses the test for a moment (CI saw it
            // once with 8 frames and a 2 s send timeout); the stalled tab fills its TCP buffers and then any queue.
            ["Realtime:OutboundQueueCapacity"] = "64",
            ["Realtime:SendTimeoutSeconds"] = "10",
        });
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;
        using var smallBuffers = RealtimeHost.SmallReceiveBufferClient();
        var (stalled, _) = await host.ConnectVisitorAsync(visitor.Token, invoker: smallBuffers);
        var (reader, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = stalled;
        await using var _2 = reader;
        var manager = host.App.Get<ConnectionManager>();

        // The reading tab reads everything as it comes; the stalled one reads nothing until it has been closed.
        var seen = System.Threading.Channels.Channel.CreateUnbounded<long>();
        var body = new string('x', 3900);
        var reading = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var (frame, close) = await reader.ReceiveOrCloseAsync();
                    // The reading tab must never be closed: say so instead of timing out below.
                    if (frame is null) throw new InvalidOperationException($"the reading tab was closed ({close})");
                    var type = frame.Value.GetProperty("type").GetString();
                    // The first messages may come in the connect-time history page rather than as live frames.
                    if (type == "message") await seen.Writer.WriteAsync(frame.Value.GetProperty("seq").GetInt64());
                    else if (type == "history")
                        foreach (var m in frame.Value.GetProperty("messages").EnumerateArray()) await seen.Writer.WriteAsync(m.GetProperty("seq").GetInt64());
                }
            }
            catch (Exception ex) { seen.Writer.TryComplete(ex); }
        });
        var sent = 0L;
        for (var i = 1; i <= 5000 && manager.VisitorSockets(visitor.ConversationId) == 2; i++)
        {
            await adminSocket.SendAsync(new { type = "send", conversationId = visitor.ConversationId, clientMsgId = $"flood{i}", body });
            sent = (await adminSocket.ReceiveAsync("ack")).GetProperty("seq").GetInt64();
        }
        Assert.Equal(1, manager.VisitorSockets(visitor.ConversationId));
        var readerGot = new List<long>();
        using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (readerGot.Count == 0 || readerGot[^1] < sent) readerGot.Add(await seen.Reader.ReadAsync(guard.Token));
        Assert.Equal(Enumerable.Range(1, (int)sent).Select(i => (long)i), readerGot);

        // The stalled tab finds its frames, then the end: a 4001 close, or an abort if the close frame could not get through.
        var got = new List<long>();
        try
        {
            while (true)
            {
                var (frame, close) = await stalled.ReceiveOrCloseAsync();
                if (frame is null)
                {
                    Assert.Equal((WebSocketCloseStatus)4001, close);
                    break;
                }
                var type = frame.Value.GetProperty("type").GetString();
                if (type == "message") got.Add(frame.Value.GetProperty("seq").GetInt64());
                else if (type == "history") got.AddRange(frame.Value.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
            }
        }
        catch (WebSocketException) { }
        Assert.True(got.Count < sent);
        Assert.Equal(Enumerable.Range(1, got.Count).Select(i => (long)i), got);

        var (back, _) = await host.ConnectVisitorAsync(visitor.Token, lastSeq: got.Count == 0 ? null : got[^1]);
        await using var _3 = back;
        var rest = new List<long>();
        while (rest.Count == 0 || rest[^1] < sent)
        {
            var frame = await back.ReceiveAsync();
            var type = frame.GetProperty("type").GetString();
            if (type == "message") rest.Add(frame.GetProperty("seq").GetInt64());
            else if (type == "history") rest.AddRange(frame.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        }
        if (got.Count > 0) Assert.Equal(Enumerable.Range(got.Count + 1, (int)sent - got.Count).Select(i => (long)i), rest);
    }

    [Fact]
    public async Task Shutdown_closes_every_socket_with_1001()
    {
        var host = new RealtimeHost(db.ConnectionString);
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        var closes = Task.WhenAll(tab.ExpectCloseAsync(), adminSocket.ExpectCloseAsync());
        await host.DisposeAsync();
        Assert.All(await closes, status => Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status));
        await tab.DisposeAsync();
        await adminSocket.DisposeAsync();
    }
}
