using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using SupportChat.Telegram;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Telegram;

/// <summary>The app on real Kestrel (RealtimeHost) with Telegram pointed at a fake Bot API, and updates as Telegram sends them.</summary>
public static class TelegramHost
{
    public const long AdminChat = -100123;
    public const long AdminUser = 777;
    public const string Secret = "test-secret_1234567";
    public const string BotUsername = "SupportChatTestBot";

    public static Dictionary<string, string?> Settings(FakeBotApi fake, string mode = "Webhook") => new()
    {
        ["Telegram:BotToken"] = FakeBotApi.Token,
        ["Telegram:BotUsername"] = BotUsername,
        ["Telegram:AdminChatIds:0"] = AdminChat.ToString(),
        ["Telegram:Mode"] = mode,
        ["Telegram:WebhookSecret"] = Secret,
        ["Telegram:ApiBaseUrl"] = fake.Url,
        // Fast retries and polls keep the tests short; no assertion depends on them.
        ["Telegram:RetryBaseMilliseconds"] = "50",
        ["Telegram:RetryMaxSeconds"] = "1",
        ["Telegram:OutboxPollMilliseconds"] = "100",
        ["Telegram:RequestTimeoutSeconds"] = "5",
        ["Telegram:LongPollSeconds"] = "1",
    };

    static int nextUpdateId = 1;
    static int nextMessageId = 1;
    public static int NewUpdateId() => Interlocked.Increment(ref nextUpdateId);

    /// <summary>A Telegram update carrying a message; replyTo makes it a reply to that (bot) message.</summary>
    public static JsonObject Update(long chatId, long? fromUserId, string? text, long? replyTo = null, int? updateId = null, JsonObject? extra = null)
    {
        var chat = new JsonObject { ["id"] = chatId, ["type"] = chatId > 0 ? "private" : "supergroup" };
        var message = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref nextMessageId),
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = chat,
        };
        if (chatId < 0) chat["title"] = "Support";
        if (fromUserId is { } from) message["from"] = new JsonObject { ["id"] = from, ["is_bot"] = false, ["first_name"] = "Ann" };
        if (text is not null) message["text"] = text;
        if (replyTo is { } r)
            message["reply_to_message"] = new JsonObject
            {
                ["message_id"] = r,
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = chat.DeepClone(),
                ["text"] = "notification",
            };
        foreach (var (key, value) in extra ?? []) message[key] = value?.DeepClone();
        return new JsonObject { ["update_id"] = updateId ?? NewUpdateId(), ["message"] = message };
    }

    public static async Task<HttpResponseMessage> PostWebhookAsync(RealtimeHost host, JsonObject update, string? secret = Secret)
    {
        using var http = host.Http(origin: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, TelegramLinks.WebhookPath)
        {
            Content = new StringContent(update.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        if (secret is not null) request.Headers.Add(TelegramLinks.SecretHeader, secret);
        return await http.SendAsync(request);
    }

    /// <summary>An admin signed in to the console who links their Telegram account as the bot's /start deep link would.</summary>
    public static async Task<TestAdminSession> LinkedAdminAsync(RealtimeHost host, FakeBotApi fake, long telegramUserId = AdminUser)
    {
        var admin = await TestAdmins.SignInAsync(host.ConnectionString);
        using var http = host.Http(origin: host.OwnOrigin);
        http.DefaultRequestHeaders.Add("Cookie", admin.CookieHeader);
        http.DefaultRequestHeaders.UserAgent.ParseAdd(admin.UserAgent);
        http.DefaultRequestHeaders.Add(Endpoints.AdminHttp.CsrfHeader, admin.CsrfToken);
        var response = await http.PostAsync("/api/admin/telegram/link", null);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var link = (await response.Content.ReadFromJsonAsync<TelegramLink>())!;
        Assert.StartsWith($"https://t.me/{BotUsername}?start=", link.Url);
        var code = link.Url[(link.Url.IndexOf("?start=", StringComparison.Ordinal) + 7)..];

        var linked = await PostWebhookAsync(host, Update(telegramUserId, telegramUserId, "/start " + code));
        Assert.Equal(System.Net.HttpStatusCode.OK, linked.StatusCode);
        await fake.WaitForSentAsync(telegramUserId, "Linked");
        return admin;
    }

    /// <summary>
    /// A notification as Telegram received it, once the sender has recorded its message id: only then can a reply to it
    /// be mapped to its conversation (a person replies seconds later; a test must wait for it).
    /// </summary>
    public static async Task<BotCall> WaitForNotificationAsync(RealtimeHost host, FakeBotApi fake, long chatId, string fragment)
    {
        var call = await fake.WaitForSentAsync(chatId, fragment);
        for (var i = 0; i < 400; i++)
        {
            if (await CountAsync(host.ConnectionString, "SELECT count(*) FROM telegram_notifications WHERE chat_id = @chatId AND message_id = @MessageId",
                    new { chatId, call.MessageId }) > 0)
                return call;
            await Task.Delay(50);
        }
        throw new TimeoutException($"notification {call.MessageId} to {chatId} was never recorded");
    }

    public static async Task<long> CountAsync(string connectionString, string sql, object? args = null)
    {
        await using var c = new NpgsqlConnection(connectionString);
        return await c.ExecuteScalarAsync<long>(sql, args);
    }
}
