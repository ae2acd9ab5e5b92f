using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>A visitor on the demo page and an admin in the console, both in real Chromium, talking over the real app.</summary>
public sealed class ConversationTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    internal static ILocator Widget(IPage page) => page.Locator(".panel");
    internal static ILocator WidgetMessage(IPage page, string text) => page.Locator(".log .msg").Filter(new() { Has = page.Locator(".body", new() { HasTextString = text }) });
    internal static ILocator ConsoleMessage(IPage page, string text) => page.Locator("#messages .msg").Filter(new() { Has = page.Locator(".body", new() { HasTextString = text }) });

    [Fact]
    public async Task While_the_panel_is_closed_a_reply_shows_an_unread_badge_and_flashes_the_title()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Closed panel check");
        await admin.Locator("button.conv").Filter(new() { HasTextString = "Closed panel check" }).ClickAsync();
        await visitor.GetByRole(AriaRole.Button, new() { Name = "Close the chat" }).ClickAsync();
        await Expect(Widget(visitor)).ToBeHiddenAsync();

        await admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)").FillAsync("Are you still there?");
        await admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)").PressAsync("Enter");

        await Expect(visitor.Locator(".launcher .badge")).ToHaveTextAsync("1");
        await Expect(visitor.GetByRole(AriaRole.Button, new() { Name = "Open the support chat, 1 new replies" })).ToBeVisibleAsync();
        await Expect(visitor).ToHaveTitleAsync("New reply!");

        await visitor.GetByRole(AriaRole.Button, new() { Name = "Open the support chat, 1 new replies" }).ClickAsync();
        await Expect(visitor.Locator(".launcher .badge")).ToBeHiddenAsync();
        await Expect(visitor).ToHaveTitleAsync("SupportChat demo shop");
        await Expect(ConsoleMessage(admin, "Are you still there?").Locator(".state")).ToHaveTextAsync("Read");
    }

    [Fact]
    public async Task The_admin_closes_the_conversation_the_visitor_sees_it_and_writing_again_reopens_it()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Thanks, that solved it");
        await admin.Locator("button.conv").Filter(new() { HasTextString = "Thanks, that solved it" }).ClickAsync();

        await admin.GetByRole(AriaRole.Button, new() { Name = "Close conversation" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Reopen conversation" })).ToBeVisibleAsync();
        await Expect(visitor.Locator(".presence")).ToHaveTextAsync("This conversation was closed. Write to open it again.");

        await BrowserHost.VisitorWritesAsync(visitor, "Actually, one more thing");
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Close conversation" })).ToBeVisibleAsync();
        await Expect(visitor.Locator(".presence")).Not.ToHaveTextAsync("This conversation was closed. Write to open it again.");
    }

    [Fact]
    public async Task A_visitor_who_drops_offline_gets_both_replies_written_meanwhile_exactly_once_when_back()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "I may lose my connection");
        await admin.Locator("button.conv").Filter(new() { HasTextString = "I may lose my connection" }).ClickAsync();
        await Expect(admin.Locator("button.conv[aria-current] .dot.online")).ToHaveCountAsync(1);

        await visitor.Context.SetOfflineAsync(true);
        await Expect(Widget(visitor).Locator(".conn")).ToHaveTextAsync("You are offline. Messages will be sent when you are back.");
        // The server saw the socket go: the console shows the visitor offline.
        await Expect(admin.Locator("button.conv[aria-current] .dot.online")).ToHaveCountAsync(0);

        var reply = admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)");
        foreach (var text in new[] { "First while you were away", "Second while you were away" })
        {
            await reply.FillAsync(text);
            await reply.PressAsync("Enter");
            await Expect(ConsoleMessage(admin, text).Locator(".state")).ToHaveTextAsync("Sent");
        }
        await Expect(WidgetMessage(visitor, "First while you were away")).ToHaveCountAsync(0);

        await visitor.Context.SetOfflineAsync(false);
        await Expect(WidgetMessage(visitor, "Second while you were away")).ToHaveCountAsync(1);
        await Expect(Widget(visitor).Locator(".conn")).ToBeHiddenAsync();
        await Expect(WidgetMessage(visitor, "First while you were away")).ToHaveCountAsync(1);
        await Expect(Widget(visitor).Locator(".log .msg")).ToHaveCountAsync(3);
        await Expect(ConsoleMessage(admin, "Second while you were away").Locator(".state")).ToHaveTextAsync("Read");
    }

    [Fact]
    public async Task Markup_in_a_message_is_shown_as_text_on_both_sides_and_runs_nothing()
    {
        const string attack = "<img src=x onerror=alert(1)>";
        var (admin, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();
        var dialogs = 0;
        visitor.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        admin.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };

        await BrowserHost.VisitorWritesAsync(visitor, attack);
        await Expect(WidgetMessage(visitor, attack).Locator(".body")).ToHaveTextAsync(attack);
        var item = admin.Locator("button.conv").Filter(new() { HasTextString = attack });
        await Expect(item.Locator(".preview")).ToHaveTextAsync(attack);
        await item.ClickAsync();
        await Expect(ConsoleMessage(admin, attack).Locator(".body")).ToHaveTextAsync(attack);

        await admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)").FillAsync("<b onmouseover=alert(2)>bold?</b>");
        await admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)").PressAsync("Enter");
        await Expect(WidgetMessage(visitor, "<b onmouseover=alert(2)>bold?</b>")).ToHaveCountAsync(1);

        Assert.Equal(0, await visitor.Locator(".log img, .log b").CountAsync());
        Assert.Equal(0, await admin.Locator("#messages img, #messages b, #conv-list img").CountAsync());
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_with_a_translated_reason_and_nothing_else_breaks()
    {
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "A fine first message");
        await Expect(WidgetMessage(visitor, "A fine first message").Locator(".state")).ToHaveTextAsync("Sent");

        // The textarea stops at 4,000 UTF-16 units; 4,001 characters of code points need a way past it, as a script could.
        var tooLong = new string('x', 4001);
        await visitor.GetByRole(AriaRole.Textbox, new() { Name = "Your message" }).EvaluateAsync("(t, v) => { t.removeAttribute('maxlength'); t.value = v; }", tooLong);
        await visitor.GetByRole(AriaRole.Textbox, new() { Name = "Your message" }).PressAsync("Enter");
        await Expect(visitor.Locator(".log .msg.failed .state")).ToHaveTextAsync("That message is too long (at most 4,000 characters).");

        await BrowserHost.VisitorWritesAsync(visitor, "Still working");
        await Expect(WidgetMessage(visitor, "Still working").Locator(".state")).ToHaveTextAsync("Sent");
    }

    [Fact]
    public async Task Each_side_sees_when_the_other_is_typing_and_the_notice_goes_with_their_message()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Typing check");
        await admin.Locator("button.conv").Filter(new() { HasTextString = "Typing check" }).ClickAsync();
        await Expect(ConsoleMessage(admin, "Typing check")).ToBeVisibleAsync();

        var box = visitor.GetByRole(AriaRole.Textbox, new() { Name = "Your message" });
        await TypeUntilSeenAsync(box, admin.Locator("#typing", new() { HasTextString = "is typing" }));
        await BrowserHost.VisitorWritesAsync(visitor, "Still here");
        await Expect(ConsoleMessage(admin, "Still here")).ToBeVisibleAsync();
        await Expect(admin.Locator("#typing")).ToBeEmptyAsync();

        var reply = admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)");
        await TypeUntilSeenAsync(reply, visitor.Locator(".typing", new() { HasTextString = "is typing" }));
        await reply.FillAsync("One moment");
        await reply.PressAsync("Enter");
        await Expect(WidgetMessage(visitor, "One moment")).ToBeVisibleAsync();
        await Expect(visitor.Locator(".typing")).ToBeHiddenAsync();
    }

    /// <summary>Types into box until the other side shows the notice: each side tells it at most every 2 s.</summary>
    static async Task TypeUntilSeenAsync(ILocator box, ILocator notice)
    {
        for (var i = 0; i < 90 && !await notice.IsVisibleAsync(); i++)
        {
            await box.PressSequentiallyAsync(".");
            await Task.Delay(500);
        }
        await Expect(notice).ToBeVisibleAsync();
    }
}
