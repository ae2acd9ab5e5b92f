using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

/// <summary>Realtime:TypingThrottleMilliseconds (2 s) is per visitor, whichever of its tabs types: admins see one typing frame per window.</summary>
public sealed class TypingThrottleTests(TestDatabase database) : RealtimeTest(database)
{
    [Fact]
    public async Task Two_tabs_of_one_visitor_typing_reach_admins_at_the_throttled_rate_not_twice_it()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        await using var adminSocket = (await host.ConnectAdminAsync(admin)).Socket;
        var (tab1, _) = await host.ConnectVisitorAsync(visitor.Token);
        var (tab2, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = tab1;
        await using var _2 = tab2;

        await tab1.SendAsync(new { type = "typing" });
        await adminSocket.ReceiveAsync("typing");
        // Within the same window from the other tab; a socket handles its frames in order, so the marker message comes after it.
        await tab2.SendAsync(new { type = "typing" });
        await tab2.SendAsync(new { type = "send", clientMsgId = "marker-1", body = "marker" });
        Assert.Equal(0, await TypingFramesBeforeMessageAsync(adminSocket, "marker-1"));

        await Task.Delay(TimeSpan.FromMilliseconds(2200));
        await tab2.SendAsync(new { type = "typing" });
        await tab1.SendAsync(new { type = "typing" });
        await tab1.SendAsync(new { type = "send", clientMsgId = "marker-2", body = "marker" });
        Assert.Equal(1, await TypingFramesBeforeMessageAsync(adminSocket, "marker-2"));
    }

    static async Task<int> TypingFramesBeforeMessageAsync(TestSocket socket, string clientMsgId)
    {
        var typing = 0;
        while (true)
        {
            var frame = await socket.ReceiveAsync();
            var type = frame.GetProperty("type").GetString();
            if (type == "typing") typing++;
            if (type == "message" && frame.GetProperty("clientMsgId").GetString() == clientMsgId) return typing;
        }
    }
}
