using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupportChat.Tests.Scaleout;

/// <summary>
/// Redis stops while a visitor (on A) and an admin (on B) keep writing, then comes back: clients that do what
/// docs/protocol.md says end up with every message, with no hole on either side.
/// </summary>
public sealed class LiveViewAfterOutageTests(TestDatabase database, ITestOutputHelper output) : TwoInstancesTest(database)
{
    const int DuringOutage = 8;

    protected override Dictionary<string, string?> Settings => new() { ["Realtime:MessageBurst"] = "100" };

    [Fact]
    public async Task After_a_backplane_outage_both_sides_have_every_message_with_no_hole()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitorSession = await a.StartVisitorAsync();
        var conversationId = visitorSession.ConversationId;
        await using var visitor = new DocumentedClient(async from =>
            (await a.ConnectVisitorAsync(visitorSession.Token, lastSeq: from == 0 ? null : from)).Socket);
        await using var console = new DocumentedClient(async from =>
        {
            var (socket, _) = await b.ConnectAdminAsync(admin);
            await socket.SendAsync(new { type = "resume", conversationId, lastSeq = from });
            return socket;
        });
        await Task.WhenAll(visitor.Connected, console.Connected);

        var visitorSend = (string id) => visitor.SendAsync(new { type = "send", clientMsgId = id, body = id }, id);
        var adminSend = (string id) => console.SendAsync(new { type = "send", conversationId, clientMsgId = id, body = id }, id);
        await console.WaitForAsync([await visitorSend("v-before")], TimeSpan.FromSeconds(20));
        await visitor.WaitForAsync([await adminSend("a-before")], TimeSpan.FromSeconds(20));

        await redis.StopAsync();
        // Both keep writing, each through its own instance; neither hears the other until Redis is back.
        for (var i = 0; i < DuringOutage; i++)
        {
            await visitorSend($"v-{i}");
            await adminSend($"a-{i}");
        }
        await redis.StartAgainAsync();

        // Once both have been told to resync (4002) and came back, each writes once more and the other sees it.
        var resynced = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (DateTime.UtcNow < resynced && (visitor.Closes.Count == 0 || console.Closes.Count == 0)) await Task.Delay(100);
        await Task.WhenAll(visitorSend("v-after"), adminSend("a-after"));
        var all = await SeqsAsync(conversationId);
        await Task.WhenAll(visitor.WaitForAsync(all, TimeSpan.FromSeconds(20)), console.WaitForAsync(all, TimeSpan.FromSeconds(20)));

        var visitorHoles = all.Where(s => !visitor.Have.Contains(s)).ToList();
        var adminHoles = all.Where(s => !console.Have.Contains(s)).ToList();
        output.WriteLine($"{all.Count} messages; visitor (A): {visitorHoles.Count} holes [{string.Join(",", visitorHoles)}], closes " +
            $"[{string.Join(",", visitor.Closes.Select(c => (int?)c))}]; admin (B): {adminHoles.Count} holes [{string.Join(",", adminHoles)}], closes " +
            $"[{string.Join(",", console.Closes.Select(c => (int?)c))}]");
        Assert.Equal(2 * DuringOutage + 4, all.Count);
        Assert.Empty(visitorHoles);
        Assert.Empty(adminHoles);
    }

    async Task<List<long>> SeqsAsync(Guid conversationId)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return (await c.QueryAsync<long>("SELECT seq FROM messages WHERE conversation_id = @conversationId ORDER BY seq", new { conversationId })).ToList();
    }
}
