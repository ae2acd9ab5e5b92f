using System.Diagnostics;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using Xunit.Abstractions;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Telegram;

/// <summary>
/// Telegram accepts a message but answers after the bot's request timeout: the sender cannot know it arrived. It
/// tries again once (at-least-once), never more, so a notification arrives at most twice.
/// </summary>
public sealed class TelegramTimeoutTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    FakeBotApi fake = null!;
    RealtimeHost host = null!;

    public Task InitializeAsync()
    {
        fake = new FakeBotApi();
        var settings = Settings(fake);
        settings["Telegram:RequestTimeoutSeconds"] = "1";
        settings["Telegram:LongPollSeconds"] = "0";
        host = new RealtimeHost(db.ConnectionString, settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await fake.DisposeAsync();
    }

    [Fact]
    public async Task A_send_answered_after_the_timeout_is_retried_once_then_given_up_and_the_chat_goes_on()
    {
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        fake.AnswerDelay = TimeSpan.FromSeconds(2);
        var clock = Stopwatch.StartNew();
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Answered too late" });

        // Settled (sent or given up), or delivered a third time: whichever comes first ends the wait.
        int Delivered() => fake.Sent(AdminChat).Count(c => c.Text.Contains("Answered too late", StringComparison.Ordinal));
        async Task<bool> Settled() => await CountAsync(db.ConnectionString, """
            SELECT count(*) FROM telegram_outbox WHERE text LIKE '%Answered too late%' AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)
            """) > 0;
        while (!await Settled() && Delivered() < 3 && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
        var settledAfter = clock.Elapsed;
        // Long enough for another retry (1 s timeout + at most 1 s backoff) to show up if one were coming.
        await Task.Delay(TimeSpan.FromSeconds(3));
        output.WriteLine($"delivered {Delivered()} times; the row settled after {settledAfter.TotalSeconds:F1} s");

        Assert.Equal(2, Delivered());
        Assert.Equal(1, await CountAsync(db.ConnectionString, """
            SELECT count(*) FROM telegram_outbox WHERE text LIKE '%Answered too late%' AND failed_at IS NOT NULL AND attempts = 2 AND timeouts = 2
            """));

        // The chat is not held back by the row given up: the next notification goes out once.
        fake.AnswerDelay = TimeSpan.Zero;
        await socket.SendAsync(new { type = "send", clientMsgId = "v-2", body = "Answered in time" });
        await fake.WaitForSentAsync(AdminChat, "Answered in time");
    }

    [Fact]
    public async Task A_send_that_timed_out_once_and_then_succeeds_is_delivered_twice_and_recorded_once()
    {
        var visitor = await host.StartVisitorAsync();
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        fake.AnswerDelay = TimeSpan.FromSeconds(2);
        await socket.SendAsync(new { type = "send", clientMsgId = "v-1", body = "Late once" });
        await fake.WaitForAsync(calls => fake.Sent(AdminChat).Any(c => c.Text.Contains("Late once", StringComparison.Ordinal)), "the first attempt");
        fake.AnswerDelay = TimeSpan.Zero;

        for (var i = 0; i < 400 && await CountAsync(db.ConnectionString,
                 "SELECT count(*) FROM telegram_outbox WHERE text LIKE '%Late once%' AND sent_at IS NOT NULL") == 0; i++)
            await Task.Delay(50);
        var delivered = fake.Sent(AdminChat).Where(c => c.Text.Contains("Late once", StringComparison.Ordinal)).ToList();
        output.WriteLine($"delivered {delivered.Count} times (the duplicate at-least-once allows)");
        Assert.Equal(2, delivered.Count);
        // The retry's message is the one a reply is mapped by.
        Assert.Equal(1, await CountAsync(db.ConnectionString, "SELECT count(*) FROM telegram_notifications WHERE chat_id = @AdminChat AND message_id = @id",
            new { AdminChat, id = delivered[1].MessageId }));
    }
}
