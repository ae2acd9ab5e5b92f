using System.Text.Json;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

public sealed class RealtimeResumeTests(TestDatabase database) : RealtimeTest(database)
{
    static async Task<long> AdminSendAsync(TestSocket admin, Guid conversationId, string clientMsgId, string body)
    {
        await admin.SendAsync(new { type = "send", conversationId, clientMsgId, body });
        return (await admin.ReceiveAsync("ack", f => f.GetProperty("clientMsgId").GetString() == clientMsgId)).GetProperty("seq").GetInt64();
    }

    [Fact]
    public async Task Messages_sent_while_the_visitor_was_away_are_replayed_once_after_its_last_seq()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await AdminSendAsync(adminSocket, visitor.ConversationId, "m1", "one");
        Assert.Equal(1, (await tab.ReceiveAsync("message")).GetProperty("seq").GetInt64());
        await tab.DisposeAsync();

        for (var i = 2; i <= 4; i++) await AdminSendAsync(adminSocket, visitor.ConversationId, $"m{i}", $"message {i}");

        var (back, welcome) = await host.ConnectVisitorAsync(visitor.Token, lastSeq: 1);
        await using var _1 = back;
        Assert.Equal(4, welcome.GetProperty("lastSeq").GetInt64());
        var replayed = new List<long>();
        for (var i = 0; i < 3; i++) replayed.Add((await back.ReceiveAsync("message")).GetProperty("seq").GetInt64());
        Assert.Equal([2, 3, 4], replayed);

        // Live again afterwards, and nothing replayed twice.
        await AdminSendAsync(adminSocket, visitor.ConversationId, "m5", "live");
        var live = await back.ReceiveAsync("message");
        Assert.Equal(5, live.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task A_visitor_reconnecting_again_and_again_while_the_admin_keeps_sending_gets_every_message_once_in_order()
    {
        const int total = 120;
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;

        // The admin starts sending once the visitor's first socket is open: on a loaded machine all 120 could otherwise be
        // stored before it, and the first connect would receive them all at once with nothing left to reconnect for.
        var firstConnect = new TaskCompletionSource();
        var sender = Task.Run(async () =>
        {
            await firstConnect.Task;
            for (var i = 1; i <= total; i++) await AdminSendAsync(adminSocket, visitor.ConversationId, $"s{i}", $"message {i}");
        });

        var received = new List<long>();
        var lastSeq = 0L;
        var round = 0;
        while (lastSeq < total)
        {
            round++;
            var (tab, _) = await host.ConnectVisitorAsync(visitor.Token, lastSeq: lastSeq == 0 ? null : lastSeq);
            firstConnect.TrySetResult();
            // Read a few frames, then drop the connection without a goodbye (odd rounds) or with one (even rounds).
            var take = 1 + round % 4;
            for (var n = 0; n < take && lastSeq < total; n++)
            {
                var frame = await tab.ReceiveAsync();
                var type = frame.GetProperty("type").GetString();
                IEnumerable<long> seqs = type switch
                {
                    "message" => [frame.GetProperty("seq").GetInt64()],
                    "history" => frame.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()),
                    _ => [],
                };
                foreach (var seq in seqs)
                {
                    received.Add(seq);
                    lastSeq = seq;
                }
            }
            if (round % 2 == 1) tab.Client.Abort();
            await tab.DisposeAsync();
        }
        await sender;

        Assert.True(round > 5, $"only {round} reconnects happened");
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), received);
    }

    [Fact]
    public async Task On_connect_the_newest_50_arrive_and_older_ones_page_by_cursor()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;
        for (var i = 1; i <= 130; i++) await AdminSendAsync(adminSocket, visitor.ConversationId, $"h{i}", $"history {i}");

        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = tab;
        var first = await tab.ReceiveAsync("history");
        Assert.Equal(Enumerable.Range(81, 50).Select(i => (long)i), Seqs(first));
        Assert.True(first.GetProperty("hasMore").GetBoolean());

        await tab.SendAsync(new { type = "history", before = 81, limit = 100 });
        var older = await tab.ReceiveAsync("history");
        Assert.Equal(Enumerable.Range(1, 80).Select(i => (long)i), Seqs(older));
        Assert.False(older.GetProperty("hasMore").GetBoolean());

        await tab.SendAsync(new { type = "history", before = 81, limit = 101 });
        Assert.Equal("bad_request", (await tab.ReceiveAsync("error")).GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_admin_resumes_a_conversation_after_its_last_seq()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (sending, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = sending;
        for (var i = 1; i <= 3; i++) await AdminSendAsync(sending, visitor.ConversationId, $"r{i}", $"resume {i}");

        var (other, _) = await host.ConnectAdminAsync(admin);
        await using var _1 = other;
        await other.SendAsync(new { type = "resume", conversationId = visitor.ConversationId, lastSeq = 1 });
        Assert.Equal(2, (await other.ReceiveAsync("message")).GetProperty("seq").GetInt64());
        Assert.Equal(3, (await other.ReceiveAsync("message")).GetProperty("seq").GetInt64());
        await AdminSendAsync(sending, visitor.ConversationId, "r4", "resume 4");
        Assert.Equal(4, (await other.ReceiveAsync("message")).GetProperty("seq").GetInt64());
    }

    static IEnumerable<long> Seqs(JsonElement history) => history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64());
}
