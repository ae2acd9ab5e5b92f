using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Telegram;

/// <summary>/metrics of the shipped service (its own process, so its own metric registry) shows the Telegram outbox backlog.</summary>
public sealed class TelegramMetricsTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Metrics_show_the_outbox_depth_and_the_oldest_waiting_age_and_both_fall_to_zero_once_delivered()
    {
        await using var fake = new FakeBotApi { Down = true };
        var settings = new Dictionary<string, string> { ["Database:ConnectionString"] = db.ConnectionString };
        foreach (var (key, value) in Settings(fake)) settings[key] = value!;
        var (app, http) = await AppProcess.StartReadyAsync(settings);
        await using var _ = app;
        using var _1 = http;

        await using (var c = new NpgsqlConnection(db.ConnectionString))
            await c.ExecuteAsync("""
                INSERT INTO telegram_outbox (chat_id, text, created_at)
                VALUES (@AdminChat, 'one', now() - interval '90 seconds'), (@AdminChat, 'two', now()), (@AdminChat, 'three', now())
                """, new { AdminChat });

        var clock = Stopwatch.StartNew();
        var (depth, age) = await WaitForMetricsAsync(http, m => m.Depth == 3 && m.Age >= 90, "3 waiting, the oldest 90 s old");
        output.WriteLine($"Telegram down: depth {depth}, oldest {age:F1} s, seen after {clock.ElapsedMilliseconds} ms");

        fake.Down = false;
        clock.Restart();
        (depth, age) = await WaitForMetricsAsync(http, m => m.Depth == 0 && m.Age == 0, "an empty outbox");
        output.WriteLine($"Telegram back: depth {depth}, oldest {age:F1} s, seen after {clock.ElapsedMilliseconds} ms; {fake.Sent(AdminChat).Count} sent");
        Assert.Equal(3, fake.Sent(AdminChat).Count);
    }

    static async Task<(double Depth, double Age)> WaitForMetricsAsync(HttpClient http, Func<(double Depth, double Age), bool> condition, string what)
    {
        (double, double) last = default;
        for (var i = 0; i < 200; i++)
        {
            var text = await http.GetStringAsync("/metrics");
            last = (Value(text, "supportchat_telegram_outbox_depth"), Value(text, "supportchat_telegram_outbox_oldest_age_seconds"));
            if (condition(last)) return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"/metrics never showed {what}; last {last}");
    }

    static double Value(string metrics, string name)
    {
        var match = Regex.Match(metrics, $@"^{name} (\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} is not in /metrics");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
