using System.Net;
using System.Text.Json.Nodes;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Telegram;

public sealed class TelegramTests(TestDatabase database) : TelegramTest(database)
{

    [Fact]
    public async Task A_visitor_message_is_notified_and_a_Telegram_reply_reaches_the_visitor_socket()
    {
        var admin = await LinkedAdminAsync(host, fake);
        var visitor = await host.StartVisitorAsync(new { name = "Bob <b>&", pageUrl = "https://shop.example/cart?a=1&b=2" });
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;

        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Hi <script>alert(1)</script>" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "Hi &lt;script&gt;alert(1)&lt;/script&gt;");
        Assert.Equal("html", notification.Args["parse_mode"]!.GetValue<string>().ToLowerInvariant());
        Assert.Contains("New conversation", notification.Text);
        Assert.Contains("Bob &lt;b&gt;&amp;", notification.Text);
        Assert.Contains("https://shop.example/cart?a=1&amp;b=2", notification.Text);

        var reply = await PostWebhookAsync(host, Update(AdminChat, AdminUser, "We are on it!", replyTo: notification.MessageId));
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var received = await socket.ReceiveAsync("message", f => f.GetProperty("sender").GetString() == "admin");
        Assert.Equal("We are on it!", received.GetProperty("body").GetString());
        Assert.Equal(admin.Username, received.GetProperty("senderName").GetString());
        Assert.Equal(1, await CountAsync(db.ConnectionString,
            "SELECT count(*) FROM audit_log WHERE action = 'reply.sent' AND admin_id = @AdminId AND user_agent = 'Telegram' AND target_id = @id",
            new { admin.AdminId, id = visitor.ConversationId.ToString() }));

        // A later message is a plain message notification, not a new conversation.
        await socket.SendAsync(new { type = "send", clientMsgId = "v-2", body = "Thanks" });
        var second = await fake.WaitForSentAsync(AdminChat, "Thanks");
        Assert.DoesNotContain("New conversation", second.Text);
        Assert.Contains("Bob &lt;b&gt;&amp;", second.Text);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData("")]
    [InlineData(Secret + "x")]
    public async Task A_webhook_call_without_the_right_secret_is_refused(string? secret)
    {
        var update = Update(AdminChat, AdminUser, "/help");
        var response = await PostWebhookAsync(host, update, secret);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await CountAsync(db.ConnectionString, "SELECT count(*) FROM telegram_updates WHERE update_id = @id",
            new { id = update["update_id"]!.GetValue<int>() }));
    }

    [Fact]
    public async Task An_update_from_an_unknown_chat_is_ignored_and_audited()
    {
        await LinkedAdminAsync(host, fake);
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Hello" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "Hello");

        // The linked admin's user, but in a chat that is not an admin chat, replying to a real notification's id.
        const long strangerChat = -999;
        var update = Update(strangerChat, AdminUser, "Let me in", replyTo: notification.MessageId);
        Assert.Equal(HttpStatusCode.OK, (await PostWebhookAsync(host, update)).StatusCode);

        Assert.Equal(1, await CountAsync(db.ConnectionString, """
            SELECT count(*) FROM audit_log WHERE action = 'telegram.update.ignored' AND target_id = @chat AND details->>'reason' = 'unknown_chat'
            """, new { chat = strangerChat.ToString() }));
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
        Assert.DoesNotContain(fake.Calls, c => c.Method == "sendMessage" && c.ChatId == strangerChat);
    }

    [Fact]
    public async Task An_unlinked_user_in_an_admin_chat_cannot_answer_and_is_audited()
    {
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Anyone?" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "Anyone?");

        await PostWebhookAsync(host, Update(AdminChat, 4242, "I am not an admin", replyTo: notification.MessageId));
        await fake.WaitForSentAsync(AdminChat, "not linked");
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
        Assert.Equal(1, await CountAsync(db.ConnectionString,
            "SELECT count(*) FROM audit_log WHERE action = 'telegram.update.ignored' AND details->>'reason' = 'unlinked_user' AND details->>'userId' = '4242'"));
    }

    [Fact]
    public async Task A_duplicate_update_id_is_handled_once()
    {
        await LinkedAdminAsync(host, fake);
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Question" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "Question");

        // Telegram retries a webhook call it thinks failed; here one arrives twice in a row and twice at once.
        var reply = Update(AdminChat, AdminUser, "Answer once", replyTo: notification.MessageId);
        Assert.Equal(HttpStatusCode.OK, (await PostWebhookAsync(host, reply)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostWebhookAsync(host, reply)).StatusCode);
        var help = Update(AdminChat, AdminUser, "/help");
        var both = await Task.WhenAll(PostWebhookAsync(host, help), PostWebhookAsync(host, help));
        Assert.All(both, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        await socket.ReceiveAsync("message", f => f.GetProperty("body").GetString() == "Answer once");
        await fake.WaitForSentAsync(AdminChat, "SupportChat bot");
        Assert.Equal(2, await host.CountMessagesAsync(visitor.ConversationId));
        Assert.Equal(1, await CountAsync(db.ConnectionString, "SELECT count(*) FROM audit_log WHERE action = 'reply.sent' AND target_id = @id",
            new { id = visitor.ConversationId.ToString() }));
        // Only the one answer to /help, even after the outbox is idle again.
        await fake.WaitForAsync(_ => OutboxIdle(), "the outbox to be empty");
        Assert.Single(fake.Sent(AdminChat), c => c.Text.Contains("SupportChat bot"));
    }

    bool OutboxIdle() => CountAsync(db.ConnectionString, "SELECT count(*) FROM telegram_outbox WHERE sent_at IS NULL AND failed_at IS NULL")
        .GetAwaiter().GetResult() == 0;

    [Fact]
    public async Task A_429_is_retried_after_retry_after_and_delivered_once()
    {
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        fake.RateLimitNext(retryAfterSeconds: 1);
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Flood test" });
        await socket.ReceiveAsync("ack");

        var delivered = await fake.WaitForSentAsync(AdminChat, "Flood test");
        var limited = Assert.Single(fake.Calls, c => c.Method == "sendMessage" && c.Status == 429);
        Assert.Contains("Flood test", limited.Text);
        // Not retried before Telegram's retry_after (a lower bound only: the test never waits on a clock).
        Assert.True(delivered.At - limited.At >= TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(15),
            $"retried after {(delivered.At - limited.At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Telegram_down_leaves_the_chat_unaffected_and_every_notification_is_delivered_once_it_returns()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        await using var adminSocket = (await host.ConnectAdminAsync(admin)).Socket;
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;

        fake.Down = true;
        var bodies = Enumerable.Range(1, 5).Select(i => $"Down message {i}").ToList();
        foreach (var (body, i) in bodies.Select((b, i) => (b, i)))
        {
            await socket.SendAsync(new { type = "send", clientMsgId = $"d-{i}", body });
            Assert.Equal(body, (await adminSocket.ReceiveAsync("message")).GetProperty("body").GetString());
            await socket.ReceiveAsync("ack");
        }
        await fake.WaitForAsync(calls => calls.Count(c => c.Method == "sendMessage" && c.Status == 500) >= 2, "failed attempts while down");
        Assert.DoesNotContain(fake.Sent(AdminChat), c => c.Text.Contains("Down message"));

        fake.Down = false;
        await fake.WaitForAsync(_ => bodies.All(b => fake.Sent(AdminChat).Any(c => c.Text.Contains(b))), "every notification after recovery");
        await fake.WaitForAsync(_ => OutboxIdle(), "the outbox to be empty");
        foreach (var body in bodies) Assert.Single(fake.Sent(AdminChat), c => c.Text.Contains(body));
        // Delivered in the order they were written.
        var order = bodies.Select(b => fake.Sent(AdminChat).ToList().FindIndex(c => c.Text.Contains(b))).ToList();
        Assert.Equal(order.Order(), order);
    }

    [Fact]
    public async Task Voice_messages_get_a_polite_answer_open_lists_conversations_and_close_closes_like_the_console()
    {
        await LinkedAdminAsync(host, fake);
        var visitor = await host.StartVisitorAsync(new { name = "Carol" });
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Need help" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "Need help");

        var voice = new JsonObject { ["voice"] = new JsonObject { ["file_id"] = "f", ["file_unique_id"] = "u", ["duration"] = 1 } };
        await PostWebhookAsync(host, Update(AdminChat, AdminUser, null, replyTo: notification.MessageId, extra: voice));
        await fake.WaitForSentAsync(AdminChat, "Voice messages, videos and stickers cannot be forwarded");

        await PostWebhookAsync(host, Update(AdminChat, AdminUser, "/open@" + BotUsername));
        var open = await fake.WaitForSentAsync(AdminChat, "Open conversations");
        Assert.Contains($"/admin/?conversation={visitor.ConversationId}", open.Text);
        Assert.Contains("Carol", open.Text);
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));

        // /close as a reply closes the conversation the way the console does: the visitor is told, the admin chats too.
        await PostWebhookAsync(host, Update(AdminChat, AdminUser, "/close", replyTo: notification.MessageId));
        await fake.WaitForSentAsync(AdminChat, "Conversation closed.");
        await fake.WaitForSentAsync(AdminChat, "was closed");
        var status = await socket.ReceiveAsync("status");
        Assert.Equal("closed", status.GetProperty("status").GetString());
        await using var c = new Npgsql.NpgsqlConnection(host.ConnectionString);
        Assert.Equal("closed", await Dapper.SqlMapper.ExecuteScalarAsync<string>(c, "SELECT status FROM conversations WHERE id = @id", new { id = visitor.ConversationId }));
        Assert.Equal(1, await Dapper.SqlMapper.ExecuteScalarAsync<long>(c,
            "SELECT count(*) FROM audit_log WHERE action = 'conversation.closed' AND target_id = @id AND user_agent = 'Telegram'", new { id = visitor.ConversationId.ToString() }));
    }
}
