using System.Net;
using System.Text;
using SupportChat.Telegram;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupportChat.Tests.Telegram;

/// <summary>Wrong webhook secrets are answered, and logged, only up to a small budget per IP; a short secret stops start-up.</summary>
public sealed class WebhookLimitTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    Dictionary<string, string> Settings(FakeBotApi fake)
    {
        var settings = TelegramHost.Settings(fake).ToDictionary(p => p.Key, p => p.Value!);
        settings["Database:ConnectionString"] = db.ConnectionString;
        return settings;
    }

    static async Task<HttpStatusCode> PostAsync(HttpClient http, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TelegramLinks.WebhookPath)
        {
            Content = new StringContent(TelegramHost.Update(TelegramHost.AdminChat, TelegramHost.AdminUser, "hi").ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(TelegramLinks.SecretHeader, secret);
        return (await http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task Wrong_secrets_are_refused_and_logged_only_up_to_the_failure_budget()
    {
        await using var fake = new FakeBotApi();
        var (app, http) = await AppProcess.StartReadyAsync(Settings(fake));
        await using var _ = app;
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, TelegramHost.Secret));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 100; i++) statuses.Add(await PostAsync(http, "wrong-secret-" + i.ToString("D6")));
        // Once the budget is spent, the right secret from that IP is refused too: otherwise its answer would tell a guess apart.
        // (The budget refills one every 6 s, so this asks right after a refusal.)
        HttpStatusCode rightAfter;
        do rightAfter = await PostAsync(http, "wrong-secret") == HttpStatusCode.TooManyRequests ? await PostAsync(http, TelegramHost.Secret) : HttpStatusCode.Unauthorized;
        while (rightAfter == HttpStatusCode.Unauthorized);
        await Task.Delay(300);
        var logged = app.Output.Count(l => l.Contains("Refused a Telegram webhook call", StringComparison.Ordinal));
        var summary = string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{(int)g.Key}×{g.Count()}"));
        output.WriteLine($"100 wrong secrets: {summary}; refusals logged: {logged}; right secret after them: {(int)rightAfter}");

        // Ten a minute, and one more per 6 s the loop takes on a busy machine.
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.Unauthorized), 10, 15);
        Assert.Equal(100, statuses.Count(s => s is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests));
        Assert.InRange(logged, 10, 17);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightAfter);
    }

    [Fact]
    public async Task A_webhook_secret_shorter_than_16_characters_stops_start_up_naming_it()
    {
        await using var fake = new FakeBotApi();
        var settings = Settings(fake);
        settings["Server:Port"] = AppProcess.FreePort().ToString();
        settings["Telegram:WebhookSecret"] = "short-secret_15";
        Assert.Contains("Telegram:WebhookSecret", await AppProcess.ExpectStartupFailureAsync(settings));
    }
}
