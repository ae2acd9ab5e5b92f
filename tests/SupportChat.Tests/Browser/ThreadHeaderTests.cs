using System.Text.RegularExpressions;
using Dapper;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>
/// The open conversation's header fits the screen: the visitor's details fold away (remembered per admin), the browser
/// reads as "Chrome 131 on Linux", and assigning is one step by mouse or keyboard, seen live by a second admin.
/// </summary>
public sealed class ThreadHeaderTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    const string ReplyBox = "Reply (Enter sends, Shift+Enter starts a new line)";
    const string DetailsToggle = "Visitor details";
    const string FirefoxOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

    static ILocator Row(IPage page, string text) => page.Locator("button.conv").Filter(new() { HasTextString = text });
    static ILocator Assignee(IPage page) => page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Assigned to") });
    static ILocator Options(IPage page) => page.GetByRole(AriaRole.Listbox, new() { Name = "Assigned to" });

    static async Task AxePassesAsync(IPage page)
    {
        var axe = await page.RunAxe();
        var bad = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id} ({v.Impact})").ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));
    }

    async Task<IPage> VisitorWithAgentAsync(string userAgent)
    {
        var context = await b.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 }, Locale = "en-US", UserAgent = userAgent });
        context.SetDefaultTimeout(BrowserHost.Guard);
        return await b.VisitorAsync(await context.NewPageAsync());
    }

    async Task OpenAsync(IPage admin, string text)
    {
        await Row(admin, text).ClickAsync();
        await Expect(admin.GetByLabel(ReplyBox)).ToBeFocusedAsync();
    }

    [Fact]
    public async Task At_1440x900_the_folded_details_leave_the_messages_500px_and_the_choice_survives_a_reload()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync(await b.NewPageAsync(1440, 900));
        await BrowserHost.VisitorWritesAsync(await VisitorWithAgentAsync(FirefoxOnWindows), "Does it fit the screen?");
        await OpenAsync(admin, "Does it fit the screen?");
        // A tag, so that the header holds what it usually does.
        var tagBox = admin.GetByLabel("Add a tag (choose one or type a new name)");
        await tagBox.FillAsync("Layout");
        await tagBox.PressAsync("Enter");
        await Expect(admin.Locator("#thread-tags .chip-name")).ToHaveTextAsync("Layout");

        // On a screen this short the details start folded.
        var toggle = admin.GetByRole(AriaRole.Button, new() { Name = DetailsToggle });
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(admin.Locator("#details")).ToBeHiddenAsync();
        var messages = (await admin.Locator("#messages").BoundingBoxAsync())!;
        // What takes the height, in the message when it fails.
        var layout = await admin.EvaluateAsync<string>("""
            () => ['.top', '.thread-head', '.thread-title-row', '.triage-tools', '#typing', '#reply', '#thread-error']
              .map(s => `${s} ${Math.round(document.querySelector(s).getBoundingClientRect().height)}`).join(', ')
            """);
        Assert.True(messages.Height >= 500, $"the messages get {messages.Height} px ({layout})");
        // Nothing below the messages falls off the screen: the reply box is whole.
        var reply = (await admin.GetByLabel(ReplyBox).BoundingBoxAsync())!;
        Assert.True(reply.Y + reply.Height <= 900, $"the reply box ends at {reply.Y + reply.Height}");

        // Unfolded from the keyboard; remembered across a reload.
        await toggle.FocusAsync();
        await admin.Keyboard.PressAsync("Enter");
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(admin.Locator("#details")).ToBeVisibleAsync();
        await Expect(admin.Locator("#details")).ToContainTextAsync("Firefox 128 on Windows");
        await AxePassesAsync(admin);

        await admin.ReloadAsync();
        await OpenAsync(admin, "Does it fit the screen?");
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(admin.Locator("#details")).ToBeVisibleAsync();
        await toggle.ClickAsync();
        await admin.ReloadAsync();
        await OpenAsync(admin, "Does it fit the screen?");
        await Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(admin.Locator("#details")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_visitors_browser_reads_as_name_and_version_on_a_system_with_the_full_string_on_hover()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();
        await BrowserHost.VisitorWritesAsync(await VisitorWithAgentAsync(FirefoxOnWindows), "Which browser am I?");
        await OpenAsync(admin, "Which browser am I?");
        var browser = admin.Locator("#details .user-agent");
        await Expect(browser).ToHaveTextAsync("Firefox 128 on Windows");
        await Expect(browser).ToHaveAttributeAsync("title", FirefoxOnWindows);
        // The full string is there for a screen reader too, not only on hover.
        await Expect(admin.Locator("#details")).ToContainTextAsync(FirefoxOnWindows);

        // The parser in the console, on strings real browsers send.
        string[][] cases =
        [
            ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on Linux"],
            ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "Chrome 156 on Linux"],
            ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131 on Windows"],
            ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "Safari 17 on macOS"],
            ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17 on iOS 17"],
            ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", "Chrome 126 on iOS 17"],
            ["Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet 25 on Android 14"],
            ["Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome 131 on Android 10"],
            ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera 115 on Windows"],
            ["Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133 on Linux"],
            ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox 132 on macOS"],
            ["curl/8.5.0", "curl/8.5.0"],
            [new string('x', 200), new string('x', 79) + "…"],
        ];
        foreach (var c in cases)
            Assert.Equal(c[1], await admin.EvaluateAsync<string>("async ua => (await import('/admin/user-agent.js')).browserName(ua)", c[0]));
    }

    [Fact]
    public async Task Assigning_is_one_step_by_mouse_and_by_keyboard_arrowing_assigns_nothing_and_a_second_admin_sees_it_live()
    {
        var (a, aName, _) = await b.EnrolledAdminAsync();
        var (bee, beeName, _) = await b.EnrolledAdminAsync();
        await BrowserHost.VisitorWritesAsync(await b.VisitorAsync(), "Who takes this one?");
        await OpenAsync(a, "Who takes this one?");
        await OpenAsync(bee, "Who takes this one?");
        var id = (await Row(a, "Who takes this one?").GetAttributeAsync("data-id"))!;
        var picker = Assignee(a);
        await Expect(picker).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(picker).ToContainTextAsync("Nobody");

        // By mouse: open the list, click a name. That is all.
        await picker.ClickAsync();
        await Expect(Options(a)).ToBeVisibleAsync();
        await AxePassesAsync(a);
        await Options(a).GetByRole(AriaRole.Option, new() { Name = beeName, Exact = true }).ClickAsync();
        await Expect(Options(a)).ToBeHiddenAsync();
        await Expect(picker).ToContainTextAsync(beeName);
        await Expect(Row(bee, "Who takes this one?").Locator(".assigned")).ToHaveTextAsync($"Assigned: {beeName}");
        await Expect(Assignee(bee)).ToContainTextAsync(beeName);

        // By keyboard: arrowing through the names assigns nothing; Escape leaves it as it was.
        await picker.FocusAsync();
        await a.Keyboard.PressAsync("Enter");
        await Expect(Options(a)).ToBeVisibleAsync();
        await Expect(Options(a).Locator("[role=option][aria-selected=true]")).ToHaveTextAsync(beeName);
        await a.Keyboard.PressAsync("Home");
        await a.Keyboard.PressAsync("ArrowDown");
        await a.Keyboard.PressAsync("ArrowDown");
        await a.Keyboard.PressAsync("Escape");
        await Expect(Options(a)).ToBeHiddenAsync();
        await Expect(picker).ToBeFocusedAsync();
        await Expect(picker).ToContainTextAsync(beeName);

        // Enter on a name assigns it in one step.
        await a.Keyboard.PressAsync("ArrowDown");
        await Expect(Options(a)).ToBeVisibleAsync();
        var active = Options(a).Locator("[role=option].active");
        await a.Keyboard.PressAsync("Home");
        await Expect(active).ToHaveTextAsync("Nobody");
        for (var i = 0; i < 50 && (await active.TextContentAsync()) != aName; i++) await a.Keyboard.PressAsync("ArrowDown");
        await Expect(active).ToHaveTextAsync(aName);
        await a.Keyboard.PressAsync("Enter");
        await Expect(Options(a)).ToBeHiddenAsync();
        await Expect(picker).ToBeFocusedAsync();
        await Expect(Row(bee, "Who takes this one?").Locator(".assigned")).ToHaveTextAsync($"Assigned: {aName}");
        await Expect(Assignee(bee)).ToContainTextAsync(aName);

        // Two assignments in all: every arrow press before them assigned nothing.
        await using var db = new NpgsqlConnection(b.ConnectionString);
        Assert.Equal(2, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE action IN ('conversation.assigned', 'conversation.unassigned') AND target_id = @id", new { id }));
        await AxePassesAsync(bee);
    }

    [Fact]
    public async Task At_phone_width_the_details_fold_and_assigning_works()
    {
        var (admin, name, _) = await b.EnrolledAdminAsync(await b.NewPageAsync(390, 844));
        await BrowserHost.VisitorWritesAsync(await b.VisitorAsync(), "Writing from far away");
        await OpenAsync(admin, "Writing from far away");
        var toggle = admin.GetByRole(AriaRole.Button, new() { Name = DetailsToggle });
        await toggle.ClickAsync();
        await Expect(admin.Locator("#details")).ToBeVisibleAsync();

        await Assignee(admin).ClickAsync();
        var option = Options(admin).GetByRole(AriaRole.Option, new() { Name = name, Exact = true });
        var box = (await Options(admin).BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"the list spans {box.X}..{box.X + box.Width}");
        await option.ClickAsync();
        await Expect(Row(admin, "Writing from far away").Locator(".assigned")).ToHaveTextAsync($"Assigned: {name}");
        await AxePassesAsync(admin);
    }
}
