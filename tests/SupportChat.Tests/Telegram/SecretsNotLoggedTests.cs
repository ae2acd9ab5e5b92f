using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SupportChat.Endpoints;
using SupportChat.Setup;
using SupportChat.Telegram;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using Xunit.Abstractions;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Telegram;

/// <summary>
/// The shipped service, logging at Verbose for every source, through real Telegram traffic (the fake Bot API), a login
/// and an enrollment: its whole output (stdout and stderr) never holds a secret.
/// </summary>
public sealed class SecretsNotLoggedTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Webhook_mode_with_a_login_and_an_enrollment_logs_no_secret()
    {
        await using var fake = new FakeBotApi();
        // Started first, so that it migrates the database (with no admin yet it logs the first-admin link, by design).
        var (app, http, baseUrl) = await StartAsync(fake, "Webhook");
        var secrets = new List<(string What, string Value)>
        {
            ("bot token", FakeBotApi.Token), ("bot token's secret part", FakeBotApi.Token.Split(':')[1]), ("webhook secret", Secret),
        };
        await using (app)
        {
            var inviter = await TestAdmins.SignInAsync(db.ConnectionString);
            secrets.AddRange([("inviter's session cookie", inviter.Cookie), ("inviter's CSRF token", inviter.CsrfToken)]);
            using var admin = AdminClient(baseUrl, inviter.CookieHeader, inviter.CsrfToken);
            secrets.Add(("Telegram link code", await LinkTelegramAsync(admin, fake, code => PostWebhook(http, Update(AdminUser, AdminUser, "/start " + code)))));

            var visitor = await StartVisitorAsync(http);
            secrets.Add(("visitor token", visitor.Token));
            await using var socket = await ConnectVisitorAsync(baseUrl, visitor.Token);
            await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Hello from the shop" });
            var notification = await WaitForNotificationAsync(fake, "Hello from the shop");
            await PostWebhook(http, Update(AdminChat, AdminUser, "Answered via webhook", replyTo: notification.MessageId));
            await socket.ReceiveAsync("message", f => f.GetProperty("body").GetString() == "Answered via webhook");

            // An enrollment from an invitation, then a logout and a login with the next code.
            var invite = await admin.PostAsJsonAsync("/api/admin/admins", new { username = "newcomer", displayName = "New Comer" });
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
            var url = (await invite.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
            var token = TestEnrollment.TokenOf(url);
            secrets.Add(("enrollment token", token));
            using var newcomer = AdminClient(baseUrl, null, null);
            var offer = await (await newcomer.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).Content.ReadFromJsonAsync<JsonElement>();
            var totpSecret = offer.GetProperty("secret").GetString()!;
            secrets.Add(("TOTP secret", totpSecret));
            var enrolled = await newcomer.PostAsJsonAsync("/api/admin/enrollment/complete", new { token, code = TestEnrollment.Code(totpSecret) });
            Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
            secrets.Add(("enrolled session cookie", TestEnrollment.UseSessionFrom(newcomer, enrolled).Split('=', 2)[1]));
            var enrolledCsrf = (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrfToken").GetString()!;
            newcomer.DefaultRequestHeaders.Add(AdminHttp.CsrfHeader, enrolledCsrf);
            Assert.Equal(HttpStatusCode.NoContent, (await newcomer.PostAsync("/api/admin/logout", null)).StatusCode);

            using var login = AdminClient(baseUrl, null, null);
            var loggedIn = await login.PostAsJsonAsync("/api/admin/login", new { username = "newcomer", code = TestEnrollment.Code(totpSecret, 1) });
            Assert.Equal(HttpStatusCode.OK, loggedIn.StatusCode);
            secrets.Add(("login session cookie", TestEnrollment.UseSessionFrom(login, loggedIn).Split('=', 2)[1]));
            // A used link, tried again, is refused; its token still must not be logged.
            Assert.NotEqual(HttpStatusCode.OK, (await newcomer.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).StatusCode);
            // A webhook call with a wrong secret is logged as refused, without what it sent.
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostWebhook(http, Update(AdminChat, AdminUser, "x"), Secret + "-guess")).StatusCode);
            secrets.Add(("guessed webhook secret", Secret + "-guess"));
        }
        AssertNoSecret(app.Output, secrets);
    }

    [Fact]
    public async Task Polling_mode_logs_no_secret()
    {
        await using var fake = new FakeBotApi();
        // Started first, so that it migrates the database (with no admin yet it logs the first-admin link, by design).
        var (app, http, baseUrl) = await StartAsync(fake, "Polling");
        var secrets = new List<(string What, string Value)> { ("bot token", FakeBotApi.Token), ("bot token's secret part", FakeBotApi.Token.Split(':')[1]) };
        await using (app)
        {
            var inviter = await TestAdmins.SignInAsync(db.ConnectionString);
            secrets.Add(("session cookie", inviter.Cookie));
            using var admin = AdminClient(baseUrl, inviter.CookieHeader, inviter.CsrfToken);
            secrets.Add(("Telegram link code", await LinkTelegramAsync(admin, fake, code =>
            {
                fake.QueueUpdate(Update(AdminUser, AdminUser, "/start " + code));
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            })));
            var visitor = await StartVisitorAsync(http);
            secrets.Add(("visitor token", visitor.Token));
            await using var socket = await ConnectVisitorAsync(baseUrl, visitor.Token);
            await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Polling hello" });
            var notification = await WaitForNotificationAsync(fake, "Polling hello");
            fake.QueueUpdate(Update(AdminChat, AdminUser, "Answered via polling", replyTo: notification.MessageId));
            await socket.ReceiveAsync("message", f => f.GetProperty("body").GetString() == "Answered via polling");
            Assert.Contains(fake.Calls, c => c.Method == "getUpdates");
        }
        AssertNoSecret(app.Output, secrets);
    }

    void AssertNoSecret(IReadOnlyList<string> lines, List<(string What, string Value)> secrets)
    {
        var verbose = lines.Count(l => l.Contains("\"@l\":\"Verbose\"", StringComparison.Ordinal));
        var debug = lines.Count(l => l.Contains("\"@l\":\"Debug\"", StringComparison.Ordinal));
        output.WriteLine($"{lines.Count} lines logged ({verbose} Verbose, {debug} Debug); {secrets.Count} secrets looked for");
        Assert.True(verbose > 0, "the service did not log at Verbose: the test would prove nothing");
        var leaks = secrets.SelectMany(s => lines.Where(l => l.Contains(s.Value, StringComparison.Ordinal)).Select(l => $"{s.What}: {l}")).ToList();
        foreach (var kind in secrets.Select(s => s.What)) output.WriteLine($"{kind}: in {leaks.Count(l => l.StartsWith(kind + ": ", StringComparison.Ordinal))} lines");
        foreach (var leak in leaks.Take(5)) output.WriteLine(leak);
        Assert.Empty(leaks);
        // The formatter's mask is the second line of defence; here nothing should have needed it.
        var masked = lines.Where(l => l.Contains(LogRedaction.Mask, StringComparison.Ordinal)).ToList();
        output.WriteLine($"{masked.Count} lines masked by LogRedaction");
        foreach (var line in masked.Take(5)) output.WriteLine(line);
        Assert.Empty(masked);
    }

    async Task<(AppProcess App, HttpClient Http, string BaseUrl)> StartAsync(FakeBotApi fake, string mode)
    {
        var port = AppProcess.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var settings = new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Server:Port"] = port.ToString(),
            ["Server:PublicUrl"] = baseUrl,
            ["Widget:AllowedOrigins:0"] = RealtimeHost.WidgetOrigin,
            // Test admin sessions carry no IP.
            ["Admin:IpBinding"] = "Off",
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Serilog:MinimumLevel:Override:System"] = "Verbose",
        };
        foreach (var (key, value) in Settings(fake, mode)) settings[key] = value!;
        var (app, http) = await AppProcess.StartReadyAsync(settings);
        return (app, http, baseUrl);
    }

    static HttpClient AdminClient(string baseUrl, string? cookieHeader, string? csrf)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(TestAdmins.UserAgent);
        client.DefaultRequestHeaders.Add("Origin", baseUrl);
        if (cookieHeader is not null) client.DefaultRequestHeaders.Add("Cookie", cookieHeader);
        if (csrf is not null) client.DefaultRequestHeaders.Add(AdminHttp.CsrfHeader, csrf);
        return client;
    }

    /// <summary>Links the admin's Telegram account; returns the one-time code of the link.</summary>
    static async Task<string> LinkTelegramAsync(HttpClient admin, FakeBotApi fake, Func<string, Task<HttpResponseMessage>> sendStart)
    {
        var response = await admin.PostAsync("/api/admin/telegram/link", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var url = (await response.Content.ReadFromJsonAsync<TelegramLink>())!.Url;
        var code = url[(url.IndexOf("?start=", StringComparison.Ordinal) + 7)..];
        Assert.Equal(HttpStatusCode.OK, (await sendStart(code)).StatusCode);
        await fake.WaitForSentAsync(AdminUser, "Linked");
        return code;
    }

    static async Task<VisitorSessionResponse> StartVisitorAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/visitor/sessions") { Content = JsonContent.Create(new { name = "Visitor" }) };
        request.Headers.Add("Origin", RealtimeHost.WidgetOrigin);
        var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<VisitorSessionResponse>())!;
    }

    static async Task<TestSocket> ConnectVisitorAsync(string baseUrl, string token)
    {
        var socket = await TestSocket.ConnectAsync(new Uri(new Uri(baseUrl), "/ws/visitor"), o => o.SetRequestHeader("Origin", RealtimeHost.WidgetOrigin));
        await socket.SendAsync(new { type = "auth", token });
        Assert.Equal("welcome", (await socket.ReceiveAsync()).GetProperty("type").GetString());
        return socket;
    }

    async Task<BotCall> WaitForNotificationAsync(FakeBotApi fake, string fragment)
    {
        var call = await fake.WaitForSentAsync(AdminChat, fragment);
        for (var i = 0; i < 400; i++)
        {
            if (await CountAsync(db.ConnectionString, "SELECT count(*) FROM telegram_notifications WHERE chat_id = @AdminChat AND message_id = @MessageId",
                    new { AdminChat, call.MessageId }) > 0)
                return call;
            await Task.Delay(50);
        }
        throw new TimeoutException($"notification {call.MessageId} was never recorded");
    }

    static async Task<HttpResponseMessage> PostWebhook(HttpClient http, JsonObject update, string secret = Secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TelegramLinks.WebhookPath)
        {
            Content = new StringContent(update.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(TelegramLinks.SecretHeader, secret);
        return await http.SendAsync(request);
    }
}
