using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>Two admins: one sets a conversation pending from the thread (by keyboard), the other sees it live; the visitor's made name is one name.</summary>
public sealed partial class PendingStatusTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    const string ReplyBox = "Reply (Enter sends, Shift+Enter starts a new line)";
    const string PendingToggle = "Pending: waiting on the customer";

    [GeneratedRegex(@"^[A-Z][a-z]+ [1-9][0-9]{2}$")] private static partial Regex MadeName();

    static ILocator Row(IPage page, string text) => page.Locator("button.conv").Filter(new() { HasTextString = text });

    [Fact]
    public async Task Admin_A_sets_a_conversation_pending_and_back_admin_B_sees_it_live_in_thread_and_list()
    {
        var (a, _, _) = await b.EnrolledAdminAsync();
        var (bee, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Parcel stuck at customs");

        await Row(a, "Parcel stuck at customs").ClickAsync();
        await Expect(a.GetByLabel(ReplyBox)).ToBeFocusedAsync();
        await Row(bee, "Parcel stuck at customs").ClickAsync();
        await Expect(bee.GetByLabel(ReplyBox)).ToBeFocusedAsync();

        // The anonymous visitor has one made name: in the list, the thread header and search.
        var name = (await Row(a, "Parcel stuck at customs").Locator(".name").TextContentAsync())!;
        Assert.Matches(MadeName(), name);
        await Expect(a.Locator("#thread-title")).ToHaveTextAsync(name);
        await Expect(Row(bee, "Parcel stuck at customs").Locator(".name")).ToHaveTextAsync(name);
        await a.GetByLabel("Search messages and visitors").FillAsync("customs");
        await a.GetByLabel("Search messages and visitors").PressAsync("Enter");
        await Expect(a.Locator("#search-results .result .name")).ToHaveTextAsync([name]);

        // B filters the list to pending ones: none yet.
        await bee.GetByRole(AriaRole.Button, new() { Name = "Pending", Exact = true }).ClickAsync();
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(0);

        // A sets it pending from the keyboard.
        var pending = a.GetByRole(AriaRole.Button, new() { Name = PendingToggle });
        await Expect(pending).ToHaveAttributeAsync("aria-pressed", "false");
        await pending.FocusAsync();
        await a.Keyboard.PressAsync("Enter");
        await Expect(pending).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(a.Locator("#details")).ToContainTextAsync("Pending ·");

        // B sees it live: the open thread's toggle and details, and the filtered list gains the row.
        var beePending = bee.GetByRole(AriaRole.Button, new() { Name = PendingToggle });
        await Expect(beePending).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(bee.Locator("#details")).ToContainTextAsync("Pending ·");
        await Expect(Row(bee, "Parcel stuck at customs")).ToBeVisibleAsync();
        await Expect(bee.GetByRole(AriaRole.Button, new() { Name = "Close conversation" })).ToBeVisibleAsync();

        var axe = await a.RunAxe();
        var bad = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id} ({v.Impact})").ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));

        // The customer answers: the conversation is open again in both consoles.
        await BrowserHost.VisitorWritesAsync(visitor, "Here is the tracking number");
        await Expect(beePending).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(pending).ToHaveAttributeAsync("aria-pressed", "false");

        // Pending again, then back to open by pressing the toggle once more.
        await pending.ClickAsync();
        await Expect(beePending).ToHaveAttributeAsync("aria-pressed", "true");
        await pending.ClickAsync();
        await Expect(beePending).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(bee.Locator("#details")).ToContainTextAsync("Open ·");

        // A closed conversation offers Reopen, not Pending.
        await a.GetByRole(AriaRole.Button, new() { Name = "Close conversation" }).ClickAsync();
        await Expect(bee.GetByRole(AriaRole.Button, new() { Name = "Reopen conversation" })).ToBeVisibleAsync();
        await Expect(beePending).ToBeHiddenAsync();
    }
}
