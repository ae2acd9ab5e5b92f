using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using SupportChat.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Search;

/// <summary>The console's search box in real Chromium.</summary>
public sealed class SearchBrowserTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task The_admin_searches_sees_the_match_marked_as_text_and_opens_the_conversation_at_that_message()
    {
        // The match is the 10th of 120 messages: two history pages older than what opening a conversation shows.
        var bodies = Enumerable.Range(1, 120).Select(i => ("visitor", i == 10 ? "Kargom gecikmeli geldi <b>x</b>" : $"mesaj {i}")).ToArray();
        await SearchSeed.ConversationAsync(b.ConnectionString, "Ayşe Yılmaz", null, bodies);
        var (admin, _, _) = await b.EnrolledAdminAsync();

        var box = admin.GetByRole(AriaRole.Searchbox, new() { Name = "Search messages and visitors" });
        await box.FillAsync("gecikmeli");
        await box.PressAsync("Enter");

        var result = admin.Locator("#search-results button.result");
        await Expect(result).ToHaveCountAsync(1);
        await Expect(result.Locator(".snippet")).ToHaveTextAsync("Kargom gecikmeli geldi <b>x</b>");
        await Expect(result.Locator(".snippet mark")).ToHaveTextAsync("gecikmeli");
        await Expect(result.Locator(".snippet b")).ToHaveCountAsync(0);
        await Expect(admin.Locator("#search-status")).ToHaveTextAsync("1 results shown");
        var axe = await admin.RunAxe();
        var bad = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id} ({v.Impact})").ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));

        await result.ClickAsync();
        await Expect(admin.Locator("#thread-title")).ToHaveTextAsync("Ayşe Yılmaz");
        var found = admin.Locator("#messages .msg.found");
        await Expect(found).ToHaveCountAsync(1);
        await Expect(found).ToHaveAttributeAsync("data-seq", "10");
        await Expect(found.Locator(".body")).ToHaveTextAsync("Kargom gecikmeli geldi <b>x</b>");
        await Expect(found).ToBeFocusedAsync();
        await Expect(found).ToBeInViewportAsync();

        // A partial name finds the visitor too; nothing found says so.
        await box.FillAsync("ayş");
        await box.PressAsync("Enter");
        await Expect(admin.Locator("#search-results button.result.visitor .snippet mark")).ToHaveTextAsync("Ayş");
        await box.FillAsync("yokboyle");
        await box.PressAsync("Enter");
        await Expect(admin.Locator("#search-status")).ToHaveTextAsync("Nothing found.");
        await Expect(admin.Locator("#search-results button.result")).ToHaveCountAsync(0);
    }
}
