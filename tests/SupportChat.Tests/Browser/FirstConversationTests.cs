using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static SupportChat.Tests.Browser.ConversationTests;

namespace SupportChat.Tests.Browser;

/// <summary>The whole first conversation on an empty service, so that unread counts and the tab title start from zero.</summary>
public sealed class FirstConversationTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task A_visitor_writes_the_admin_sees_it_live_replies_and_both_see_read_receipts_and_a_reload_keeps_the_history()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();
        await Expect(Widget(visitor).Locator(".presence")).ToHaveTextAsync("An agent is online");

        await BrowserHost.VisitorWritesAsync(visitor, "Hello from the shop");
        await Expect(WidgetMessage(visitor, "Hello from the shop").Locator(".state")).ToHaveTextAsync("Sent");

        // Live in the console: the conversation appears with its preview, an unread badge and the count in the tab title.
        var item = admin.Locator("button.conv").Filter(new() { HasTextString = "Hello from the shop" });
        await Expect(item.Locator(".badge")).ToHaveTextAsync("1");
        await Expect(admin).ToHaveTitleAsync("(1) SupportChat");
        await Expect(item.Locator(".dot.online")).ToHaveCountAsync(1);

        await item.ClickAsync();
        await Expect(ConsoleMessage(admin, "Hello from the shop")).ToBeVisibleAsync();
        await Expect(admin.Locator("#details")).ToContainTextAsync("/demo.html");
        await Expect(admin.Locator("#details")).ToContainTextAsync("Chrome");
        await Expect(item.Locator(".badge")).ToHaveCountAsync(0);
        await Expect(admin).ToHaveTitleAsync("SupportChat");
        // The admin opened it: the visitor sees "Read".
        await Expect(WidgetMessage(visitor, "Hello from the shop").Locator(".state")).ToHaveTextAsync("Read");

        // Enter sends; Shift+Enter makes a new line.
        var reply = admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)");
        await reply.FillAsync("Hi! How can I help?");
        await reply.PressAsync("Shift+Enter");
        await reply.PressSequentiallyAsync("Second line");
        await reply.PressAsync("Enter");
        var answer = WidgetMessage(visitor, "Hi! How can I help?");
        await Expect(answer.Locator(".body")).ToHaveTextAsync("Hi! How can I help?\nSecond line");
        // The panel is open, so the visitor has read it: the admin sees "Read".
        await Expect(ConsoleMessage(admin, "Hi! How can I help?").Locator(".state")).ToHaveTextAsync("Read");

        // A reload keeps the conversation (the token is in localStorage) and its history.
        await visitor.ReloadAsync();
        await visitor.GetByRole(AriaRole.Button, new() { Name = "Open the support chat" }).ClickAsync();
        await Expect(WidgetMessage(visitor, "Hello from the shop")).ToHaveCountAsync(1);
        await Expect(WidgetMessage(visitor, "Hi! How can I help?")).ToHaveCountAsync(1);
        await Expect(admin.Locator("button.conv")).ToHaveCountAsync(1);
    }
}
