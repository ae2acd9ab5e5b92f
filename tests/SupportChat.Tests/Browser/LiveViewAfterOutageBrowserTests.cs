using Dapper;
using Microsoft.Playwright;
using Npgsql;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Scaleout;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>
/// The widget (through instance A) and the console (through B) in real Chromium while Redis stops and comes back:
/// both pages end up showing every message, and the console never marks read a message it has not shown.
/// </summary>
public sealed class LiveViewAfterOutageBrowserTests(TestDatabase database, ITestOutputHelper output) : TwoInstancesTest(database)
{
    const int DuringOutage = 4;

    protected override Dictionary<string, string?> Settings => new() { ["Realtime:MessageBurst"] = "100" };

    [Fact]
    public async Task After_a_redis_stop_and_start_both_pages_show_every_message_and_the_console_marks_only_shown_ones_read()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserHost.LaunchAsync(playwright);
        var visitor = await (await browser.NewContextAsync(new() { Locale = "en-US" })).NewPageAsync();
        await visitor.GotoAsync(new Uri(a.BaseUri, "/demo.html").ToString());
        await visitor.GetByRole(AriaRole.Button, new() { Name = "Open the support chat" }).ClickAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "hello before the outage");
        await Expect(ConversationTests.WidgetMessage(visitor, "hello before the outage").Locator(".state")).ToHaveTextAsync("Sent");
        var conversationId = await OnlyConversationAsync();

        var session = await TestAdmins.SignInAsync(db.ConnectionString);
        var consoleContext = await browser.NewContextAsync(new() { Locale = "en-US", UserAgent = session.UserAgent });
        await consoleContext.AddCookiesAsync([new Cookie { Name = "sc_admin", Value = session.Cookie, Url = b.BaseUri.ToString() }]);
        var console = await consoleContext.NewPageAsync();
        await console.GotoAsync(new Uri(b.BaseUri, "/admin/").ToString());
        await console.Locator("button.conv").Filter(new() { HasTextString = "hello before the outage" }).ClickAsync();
        await Expect(ConversationTests.ConsoleMessage(console, "hello before the outage")).ToHaveCountAsync(1);
        var reply = console.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)");

        await redis.StopAsync();
        for (var i = 0; i < DuringOutage; i++)
        {
            await BrowserHost.VisitorWritesAsync(visitor, $"visitor during {i}");
            await Expect(ConversationTests.WidgetMessage(visitor, $"visitor during {i}").Locator(".state")).ToHaveTextAsync("Sent");
            await reply.FillAsync($"admin during {i}");
            await reply.PressAsync("Enter");
            await Expect(ConversationTests.ConsoleMessage(console, $"admin during {i}").Locator(".state")).ToHaveTextAsync("Sent");
        }
        await redis.StartAgainAsync();

        // A visitor message after the outage is shown live in the open thread, and the console marks the thread read.
        await BrowserHost.VisitorWritesAsync(visitor, "visitor after the outage");
        await Expect(ConversationTests.ConsoleMessage(console, "visitor after the outage")).ToHaveCountAsync(1);
        var all = await SeqsAsync(conversationId);
        var shownThen = await ShownAsync(console, "#messages");
        var readThen = await AdminReadSeqAsync(conversationId);
        var contiguousThen = all.TakeWhile(shownThen.Contains).DefaultIfEmpty(0).Last();
        output.WriteLine($"when the last visitor message showed: console shows [{string.Join(",", shownThen)}] of [{string.Join(",", all)}]; " +
            $"admin read mark {readThen}, everything shown up to {contiguousThen}");
        Assert.True(readThen <= contiguousThen, $"the console marked {readThen} read but had only shown everything up to {contiguousThen}");

        // Both pages end up showing every message, without a reload.
        await Expect(console.Locator("#messages .msg[data-seq]")).ToHaveCountAsync(all.Count);
        await Expect(visitor.Locator(".log .msg[data-seq]")).ToHaveCountAsync(all.Count);
        Assert.Equal(all, await ShownAsync(console, "#messages"));
        Assert.Equal(all, await ShownAsync(visitor, ".log"));
        output.WriteLine($"in the end both pages show all {all.Count} messages; admin read mark {await AdminReadSeqAsync(conversationId)}");
    }

    static async Task<List<long>> ShownAsync(IPage page, string list) =>
        (await page.Locator($"{list} .msg[data-seq]").EvaluateAllAsync<long[]>("items => items.map((li) => Number(li.dataset.seq))")).Order().ToList();

    async Task<Guid> OnlyConversationAsync()
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.QuerySingleAsync<Guid>("SELECT conversation_id FROM messages WHERE body = 'hello before the outage'");
    }

    async Task<List<long>> SeqsAsync(Guid conversationId)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return (await c.QueryAsync<long>("SELECT seq FROM messages WHERE conversation_id = @conversationId ORDER BY seq", new { conversationId })).ToList();
    }

    async Task<long> AdminReadSeqAsync(Guid conversationId)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.ExecuteScalarAsync<long>("SELECT admin_read_seq FROM conversations WHERE id = @conversationId", new { conversationId });
    }
}
