using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>Two admins in real consoles: what one assigns, tags and closes, the other sees live, and the list filters by it.</summary>
public sealed class TagsAndAssignmentTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    const string ReplyBox = "Reply (Enter sends, Shift+Enter starts a new line)";

    static ILocator Row(IPage page, string text) => page.Locator("button.conv").Filter(new() { HasTextString = text });

    [Fact]
    public async Task Admin_A_assigns_tags_and_closes_admin_B_sees_it_live_and_filters_by_tag_assignee_and_unread()
    {
        var (a, _, _) = await b.EnrolledAdminAsync();
        var (bee, beeName, _) = await b.EnrolledAdminAsync();
        var late = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(late, "My order is late");
        await BrowserHost.VisitorWritesAsync(await b.VisitorAsync(), "Another question");
        await Expect(Row(bee, "Another question")).ToBeVisibleAsync();

        // Both open the late order; the other conversation stays unread.
        // Opening ends by focusing the reply box; typing before that would land in the box instead.
        await Row(a, "My order is late").ClickAsync();
        await Expect(a.GetByLabel(ReplyBox)).ToBeFocusedAsync();
        await Row(bee, "My order is late").ClickAsync();
        await Expect(bee.GetByLabel(ReplyBox)).ToBeFocusedAsync();

        // A assigns it to B from the keyboard (open the list, Enter on the name) and tags it with a new tag typed in the box.
        var picker = a.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Assigned to") });
        var options = a.GetByRole(AriaRole.Listbox, new() { Name = "Assigned to" });
        await picker.FocusAsync();
        await a.Keyboard.PressAsync("Enter");
        await Expect(options.GetByRole(AriaRole.Option, new() { Name = beeName, Exact = true })).ToHaveCountAsync(1);
        for (var i = 0; i < 50 && await options.Locator("[role=option].active").TextContentAsync() != beeName; i++) await a.Keyboard.PressAsync("ArrowDown");
        await a.Keyboard.PressAsync("Enter");
        await Expect(picker).ToContainTextAsync(beeName);
        var tagBox = a.GetByLabel("Add a tag (choose one or type a new name)");
        await tagBox.FillAsync("Refund <b>now</b>");
        await tagBox.PressAsync("Enter");
        await Expect(a.Locator("#thread-tags .chip")).ToHaveTextAsync(["Refund <b>now</b>×"]);

        // B sees both live: in the list row and in the open conversation, the typed name shown as text.
        await Expect(Row(bee, "My order is late").Locator(".assigned")).ToHaveTextAsync($"Assigned: {beeName}");
        await Expect(Row(bee, "My order is late").Locator(".chip")).ToHaveTextAsync("Refund <b>now</b>");
        await Expect(bee.Locator("#thread-tags .chip-name")).ToHaveTextAsync("Refund <b>now</b>");
        await Expect(bee.Locator("#thread-tags b")).ToHaveCountAsync(0);
        await Expect(bee.Locator("#assignee-name")).ToHaveTextAsync(beeName);

        // State changes reach B live too: A closes the conversation, B's open thread offers to reopen it; A reopens it.
        await a.GetByRole(AriaRole.Button, new() { Name = "Close conversation" }).ClickAsync();
        await Expect(bee.GetByRole(AriaRole.Button, new() { Name = "Reopen conversation" })).ToBeVisibleAsync();
        await a.GetByRole(AriaRole.Button, new() { Name = "Reopen conversation" }).ClickAsync();
        await Expect(bee.GetByRole(AriaRole.Button, new() { Name = "Close conversation" })).ToBeVisibleAsync();

        // B filters: by the tag, by "me", by unassigned, by unread.
        var tagFilter = bee.GetByLabel("Tag", new() { Exact = true });
        await tagFilter.SelectOptionAsync(new SelectOptionValue { Label = "Refund <b>now</b>" });
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(1);
        await Expect(Row(bee, "My order is late")).ToBeVisibleAsync();
        await tagFilter.SelectOptionAsync(new SelectOptionValue { Label = "Any tag" });
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(2);

        var assigneeFilter = bee.GetByLabel("Assignee", new() { Exact = true });
        await assigneeFilter.SelectOptionAsync(new SelectOptionValue { Label = "Me" });
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(1);
        await Expect(Row(bee, "My order is late")).ToBeVisibleAsync();
        await assigneeFilter.SelectOptionAsync(new SelectOptionValue { Label = "Unassigned" });
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(1);
        await Expect(Row(bee, "Another question")).ToBeVisibleAsync();
        await assigneeFilter.SelectOptionAsync(new SelectOptionValue { Label = "Anyone" });

        var unread = bee.GetByLabel("Unread only");
        await unread.FocusAsync();
        await bee.Keyboard.PressAsync("Space");
        await Expect(unread).ToBeCheckedAsync();
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(1);
        await Expect(Row(bee, "Another question")).ToBeVisibleAsync();
        // The open conversation is off the filtered list, yet its thread still shows what the visitor writes.
        await BrowserHost.VisitorWritesAsync(late, "Still waiting");
        await Expect(ConversationTests.ConsoleMessage(bee, "Still waiting")).ToBeVisibleAsync();
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(1);
        await unread.UncheckAsync();
        await Expect(bee.Locator("button.conv")).ToHaveCountAsync(2);

        var axe = await bee.RunAxe();
        var bad = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id} ({v.Impact})").ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));

        // A renames and recolours the tag on its page; B's open conversation shows the new name without a reload.
        await a.GetByRole(AriaRole.Button, new() { Name = "Tags", Exact = true }).ClickAsync();
        await a.GetByRole(AriaRole.Button, new() { Name = "Edit the tag Refund <b>now</b>" }).ClickAsync();
        await a.GetByLabel("Name", new() { Exact = true }).FillAsync("Refunds");
        await a.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(a.Locator("#tag-rows .chip-name")).ToHaveTextAsync("Refunds");
        await Expect(bee.Locator("#thread-tags .chip-name")).ToHaveTextAsync("Refunds");
        await Expect(Row(bee, "Still waiting").Locator(".chip")).ToHaveTextAsync("Refunds");

        // A takes the tag off and unassigns; B sees both go.
        await a.GetByRole(AriaRole.Button, new() { Name = "Conversations" }).ClickAsync();
        await Row(a, "Still waiting").ClickAsync();
        await Expect(a.GetByLabel(ReplyBox)).ToBeFocusedAsync();
        await a.GetByRole(AriaRole.Button, new() { Name = "Remove the tag Refunds" }).ClickAsync();
        await picker.ClickAsync();
        await options.GetByRole(AriaRole.Option, new() { Name = "Nobody", Exact = true }).ClickAsync();
        await Expect(bee.Locator("#thread-tags .chip")).ToHaveCountAsync(0);
        await Expect(Row(bee, "Still waiting").Locator(".assigned")).ToHaveCountAsync(0);
        await Expect(bee.Locator("#assignee-name")).ToHaveTextAsync("Nobody");
    }

    [Fact]
    public async Task On_a_phone_the_tags_page_creates_and_deletes_a_tag()
    {
        var page = await b.NewPageAsync(390, 844);
        var (admin, _, _) = await b.EnrolledAdminAsync(page);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Tags", Exact = true }).ClickAsync();
        await admin.GetByLabel("Name", new() { Exact = true }).FillAsync("Phone tag");
        await admin.GetByLabel("Colour").FillAsync("#16a34a");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(admin.Locator("#tag-rows tr").Filter(new() { HasTextString = "Phone tag" })).ToContainTextAsync("#16a34a");
        // The colour is shown under the strict CSP (set through the CSSOM, not a style attribute).
        await Expect(admin.Locator("#tag-rows tr").Filter(new() { HasTextString = "Phone tag" }).Locator(".swatch"))
            .ToHaveCSSAsync("background-color", "rgb(22, 163, 74)");
        admin.Dialog += (_, dialog) => dialog.AcceptAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Delete the tag Phone tag" }).ClickAsync();
        await Expect(admin.Locator("#tag-rows tr").Filter(new() { HasTextString = "Phone tag" })).ToHaveCountAsync(0);
    }
}
