using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportChat.Tests.Attachments;
using SupportChat.Tests.Infrastructure;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Telegram;

/// <summary>Files between Telegram and the conversation: an admin's photo or document reply becomes an attachment; a visitor's file is told by name.</summary>
public sealed class TelegramAttachmentTests(TestDatabase database) : TelegramTest(database)
{
    [Fact]
    public async Task A_photo_sent_as_a_reply_to_a_notification_becomes_an_attachment_the_visitor_receives_and_downloads()
    {
        var admin = await LinkedAdminAsync(host, fake);
        var visitor = await host.StartVisitorAsync(new { name = "Dana" });
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "What does it look like?" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "What does it look like?");

        fake.AddFile("small", [1, 2, 3]);
        fake.AddFile("large", AttachmentFiles.Png);
        // Telegram sends every size of a photo; the largest is the one kept.
        var photo = new JsonObject
        {
            ["photo"] = new JsonArray(
                new JsonObject { ["file_id"] = "small", ["file_unique_id"] = "s", ["width"] = 1, ["height"] = 1, ["file_size"] = 3 },
                new JsonObject { ["file_id"] = "large", ["file_unique_id"] = "l", ["width"] = 90, ["height"] = 90, ["file_size"] = AttachmentFiles.Png.Length }),
            ["caption"] = "This one",
        };
        Assert.Equal(HttpStatusCode.OK, (await PostWebhookAsync(host, Update(AdminChat, AdminUser, null, replyTo: notification.MessageId, extra: photo))).StatusCode);

        var received = await socket.ReceiveAsync("message", f => f.GetProperty("sender").GetString() == "admin");
        Assert.Equal("This one", received.GetProperty("body").GetString());
        Assert.Equal(admin.Username, received.GetProperty("senderName").GetString());
        var attachment = received.GetProperty("attachment");
        Assert.Equal("image/png", attachment.GetProperty("type").GetString());
        using var http = host.Http();
        using var download = new HttpRequestMessage(HttpMethod.Get, $"/api/visitor/attachments/{attachment.GetProperty("id").GetGuid()}")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", visitor.Token) },
        };
        Assert.Equal(AttachmentFiles.Png, await (await http.SendAsync(download)).Content.ReadAsByteArrayAsync());
        Assert.Equal(1, await CountAsync(db.ConnectionString, "SELECT count(*) FROM attachments WHERE conversation_id = @id AND uploader_kind = 'admin' AND admin_id = @AdminId",
            new { id = visitor.ConversationId, admin.AdminId }));
    }

    [Fact]
    public async Task A_document_of_a_type_not_allowed_is_answered_in_the_chat_and_nothing_is_stored()
    {
        await LinkedAdminAsync(host, fake);
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Send me the form" });
        var notification = await WaitForNotificationAsync(host, fake, AdminChat, "Send me the form");

        fake.AddFile("exe", AttachmentFiles.Exe);
        var document = new JsonObject { ["document"] = new JsonObject { ["file_id"] = "exe", ["file_unique_id"] = "e", ["file_name"] = "form.pdf" } };
        await PostWebhookAsync(host, Update(AdminChat, AdminUser, null, replyTo: notification.MessageId, extra: document));

        var answer = await fake.WaitForSentAsync(AdminChat, "This file was not sent to the visitor");
        Assert.Contains("decided from the file", answer.Text);
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
        Assert.Equal(0, await CountAsync(db.ConnectionString, "SELECT count(*) FROM attachments WHERE conversation_id = @id", new { id = visitor.ConversationId }));
    }

    [Fact]
    public async Task A_visitors_file_is_notified_by_its_name()
    {
        await LinkedAdminAsync(host, fake);
        var visitor = await host.StartVisitorAsync(new { name = "Eve" });
        using var http = host.Http();
        var upload = await http.SendAsync(AttachmentFiles.VisitorUpload(visitor.Token, AttachmentFiles.Form(AttachmentFiles.Pdf, "receipt.pdf", "application/pdf", "u-1")));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var notification = await fake.WaitForSentAsync(AdminChat, "receipt.pdf");
        Assert.Contains("📎", notification.Text);
    }
}
