using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>An empty list says why: nothing yet (a fresh database), or nothing that fits the filters, with a way back. At phone width.</summary>
public sealed class FilteredEmptyListTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    const string NoMatch = "No conversations match these filters.";

    [Fact]
    public async Task A_filter_that_matches_nothing_says_so_and_its_button_clears_the_filters_from_the_keyboard()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync(await b.NewPageAsync(390, 844));
        var clear = admin.GetByRole(AriaRole.Button, new() { Name = "Clear filters" });
        // This class's database is fresh: truly nothing yet, and nothing to clear.
        await Expect(admin.Locator("#conv-empty-text")).ToHaveTextAsync("No conversations yet.");
        await Expect(clear).ToBeHiddenAsync();

        await BrowserHost.VisitorWritesAsync(await b.VisitorAsync(), "Where is my refund?");
        await Expect(admin.Locator("button.conv")).ToHaveCountAsync(1);
        await Expect(admin.Locator("#conv-empty")).ToBeHiddenAsync();

        await admin.GetByRole(AriaRole.Button, new() { Name = "Closed", Exact = true }).ClickAsync();
        await admin.GetByLabel("Unread only").CheckAsync();
        await Expect(admin.Locator("button.conv")).ToHaveCountAsync(0);
        await Expect(admin.GetByRole(AriaRole.Status).Filter(new() { HasTextString = NoMatch })).ToBeVisibleAsync();
        await Expect(admin.GetByText("No conversations yet.")).ToHaveCountAsync(0);
        await Expect(clear).ToBeVisibleAsync();
        // At phone width the way back is on screen, not cut off.
        var box = (await clear.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"the button spans {box.X}..{box.X + box.Width}");

        var axe = await admin.RunAxe();
        var bad = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id} ({v.Impact})").ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));

        await clear.FocusAsync();
        await admin.Keyboard.PressAsync("Enter");
        await Expect(admin.Locator("button.conv")).ToHaveCountAsync(1);
        await Expect(admin.Locator("#conv-empty")).ToBeHiddenAsync();
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "All", Exact = true })).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Closed", Exact = true })).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(admin.GetByLabel("Unread only")).Not.ToBeCheckedAsync();
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "All", Exact = true })).ToBeFocusedAsync();

        // A live change that empties the filtered list says so too: the only open conversation is closed elsewhere.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();
        await Expect(admin.Locator("button.conv")).ToHaveCountAsync(1);
        var id = (await admin.Locator("button.conv").GetAttributeAsync("data-id"))!;
        using var http = b.Host.Http(b.Host.OwnOrigin);
        var other = await Infrastructure.TestAdmins.SignInAsync(b.ConnectionString);
        http.DefaultRequestHeaders.Add("Cookie", other.CookieHeader);
        http.DefaultRequestHeaders.UserAgent.ParseAdd(other.UserAgent);
        http.DefaultRequestHeaders.Add(Endpoints.AdminHttp.CsrfHeader, other.CsrfToken);
        var closed = await http.PostAsync($"/api/admin/conversations/{id}/status",
            new StringContent("""{"status":"closed"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, closed.StatusCode);
        await Expect(admin.Locator("button.conv")).ToHaveCountAsync(0);
        await Expect(admin.Locator("#conv-empty-text")).ToHaveTextAsync(NoMatch);
        await Expect(clear).ToBeVisibleAsync();
    }
}
