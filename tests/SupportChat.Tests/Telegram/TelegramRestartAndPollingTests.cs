using System.Net;
using System.Net.Http.Json;
using SupportChat.Telegram;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Telegram;

public sealed class TelegramRestartAndPollingTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Notifications_pending_while_Telegram_is_down_survive_a_restart_and_are_delivered_once()
    {
        await using var fake = new FakeBotApi();
        fake.Down = true;
        var bodies = Enumerable.Range(1, 3).Select(i => $"Before restart {i}").ToList();
        await using (var first = new RealtimeHost(db.ConnectionString, Settings(fake)))
        {
            var visitor = await first.StartVisitorAsync();
            var (socket, _) = await first.ConnectVisitorAsync(visitor.Token);
            await using var _1 = socket;
            foreach (var (body, i) in bodies.Select((b, i) => (b, i)))
            {
                await socket.SendAsync(new { type = "send", clientMsgId = $"r-{i}", body });
                await socket.ReceiveAsync("ack");
            }
            await fake.WaitForAsync(calls => calls.Any(c => c.Method == "sendMessage" && c.Status == 500), "a failed attempt before the restart");
        }

        fake.Down = false;
        await using var second = new RealtimeHost(db.ConnectionString, Settings(fake));
        await fake.WaitForAsync(_ => bodies.All(b => fake.Sent(AdminChat).Any(c => c.Text.Contains(b))), "every notification after the restart");
        await fake.WaitForAsync(_ => CountAsync(db.ConnectionString,
            "SELECT count(*) FROM telegram_outbox WHERE sent_at IS NULL AND failed_at IS NULL").GetAwaiter().GetResult() == 0, "the outbox to be empty");
        foreach (var body in bodies) Assert.Single(fake.Sent(AdminChat), c => c.Text.Contains(body));
    }

    [Fact]
    public async Task In_polling_mode_a_reply_from_getUpdates_reaches_the_visitor_and_is_not_handled_twice()
    {
        await using var fake = new FakeBotApi();
        await using var host = new RealtimeHost(db.ConnectionString, Settings(fake, mode: "Polling"));
        await fake.WaitForAsync(calls => calls.Any(c => c.Method == "deleteWebhook") && calls.Any(c => c.Method == "getUpdates"), "polling to start");
        // No webhook endpoint in polling mode.
        Assert.Equal(HttpStatusCode.NotFound, (await PostWebhookAsync(host, Update(AdminChat, AdminUser, "/help"))).StatusCode);

        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using (var http = host.AdminHttp(admin))
        {
            var link = (await (await http.PostAsync("/api/admin/telegram/link", null)).Content.ReadFromJsonAsync<TelegramLink>())!;
            fake.QueueUpdate(Update(AdminUser + 1, AdminUser + 1, "/start " + link.Url.Split("?start=")[1]));
            await fake.WaitForSentAsync(AdminUser + 1, "Linked");
            var status = await http.GetFromJsonAsync<TelegramStatus>("/api/admin/telegram");
            Assert.True(status!.Linked);
            Assert.Equal(BotUsername, status.BotUsername);
        }

        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "p-1", body = "Polling hello" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "Polling hello");

        var reply = Update(AdminChat, AdminUser + 1, "Polled answer", replyTo: notification.MessageId);
        fake.QueueUpdate(reply);
        fake.QueueUpdate(reply);
        var received = await socket.ReceiveAsync("message", f => f.GetProperty("sender").GetString() == "admin");
        Assert.Equal("Polled answer", received.GetProperty("body").GetString());
        await fake.WaitForAsync(calls => calls.Count(c => c.Method == "getUpdates") >= 4, "further polls");
        Assert.Equal(2, await host.CountMessagesAsync(visitor.ConversationId));
    }

    [Fact]
    public async Task A_link_code_works_once()
    {
        await using var fake = new FakeBotApi();
        await using var host = new RealtimeHost(db.ConnectionString, Settings(fake));
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var http = host.AdminHttp(admin);
        var link = (await (await http.PostAsync("/api/admin/telegram/link", null)).Content.ReadFromJsonAsync<TelegramLink>())!;
        var start = "/start " + link.Url.Split("?start=")[1];

        await PostWebhookAsync(host, Update(5001, 5001, start));
        await fake.WaitForSentAsync(5001, "Linked");
        await PostWebhookAsync(host, Update(5002, 5002, start));
        await fake.WaitForSentAsync(5002, "invalid, used or expired");
        Assert.Equal(1, await CountAsync(db.ConnectionString,
            "SELECT count(*) FROM admins WHERE id = @AdminId AND telegram_user_id = 5001", new { admin.AdminId }));
        Assert.Equal(1, await CountAsync(db.ConnectionString,
            "SELECT count(*) FROM audit_log WHERE action = 'telegram.linked' AND admin_id = @AdminId", new { admin.AdminId }));

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/api/admin/telegram/link")).StatusCode);
        Assert.Equal(0, await CountAsync(db.ConnectionString,
            "SELECT count(*) FROM admins WHERE id = @AdminId AND telegram_user_id IS NOT NULL", new { admin.AdminId }));
    }
}
