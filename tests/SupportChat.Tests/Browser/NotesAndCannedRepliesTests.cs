using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static SupportChat.Tests.Browser.ConversationTests;

namespace SupportChat.Tests.Browser;

/// <summary>Private notes and canned replies in the real console, with a real visitor who must never see the note.</summary>
public sealed class NotesAndCannedRepliesTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    const string ReplyBox = "Reply (Enter sends, Shift+Enter starts a new line)";

    [Fact]
    public async Task The_admin_writes_a_note_only_admins_see_and_answers_with_a_canned_reply_chosen_by_its_shortcut()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();

        // A canned reply made on its page in the console.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Canned replies" }).ClickAsync();
        await admin.GetByLabel("Shortcut", new() { Exact = true }).FillAsync("thanks");
        await admin.GetByLabel("Title (optional)").FillAsync("Thank the visitor");
        await admin.GetByLabel("Text", new() { Exact = true }).FillAsync("Thank you for waiting, it is sorted now.");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(admin.Locator("#canned-rows")).ToContainTextAsync("/thanks");
        await admin.GetByLabel("Shortcut", new() { Exact = true }).FillAsync("thanks-bye");
        await admin.GetByLabel("Text", new() { Exact = true }).FillAsync("Thanks, and goodbye!");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(admin.Locator("#canned-rows tr")).ToHaveCountAsync(2);

        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Where is my refund?");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Conversations" }).ClickAsync();
        await admin.Locator("button.conv").Filter(new() { HasTextString = "Where is my refund?" }).ClickAsync();
        // Opening ends by focusing the reply box; keys pressed before that would land in the box instead.
        await Expect(admin.GetByLabel(ReplyBox)).ToBeFocusedAsync();

        // The note: switched on from the keyboard, shown to the admin as a note.
        var noteToggle = admin.GetByRole(AriaRole.Button, new() { Name = "Note", Exact = true });
        await noteToggle.FocusAsync();
        await admin.Keyboard.PressAsync("Enter");
        await Expect(noteToggle).ToHaveAttributeAsync("aria-pressed", "true");
        await admin.GetByLabel(ReplyBox).FillAsync("Internal: refund approved by finance");
        await admin.GetByLabel(ReplyBox).PressAsync("Enter");
        var note = ConsoleMessage(admin, "Internal: refund approved by finance");
        await Expect(note).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bnote\b"));
        await Expect(note.Locator(".note-label")).ToContainTextAsync("only admins see it");
        await Expect(note).ToHaveAttributeAsync("data-seq", new System.Text.RegularExpressions.Regex("^[0-9]+$"));

        // Back to replies; "/tha" offers both canned replies: arrows move, Escape closes, Tab or Enter inserts, Enter sends.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Reply", Exact = true }).ClickAsync();
        var box = admin.GetByLabel(ReplyBox);
        await box.PressSequentiallyAsync("/tha");
        var options = admin.GetByRole(AriaRole.Listbox, new() { Name = "Canned replies" });
        var selected = options.GetByRole(AriaRole.Option, new() { Selected = true });
        await Expect(options.GetByRole(AriaRole.Option)).ToHaveCountAsync(2);
        await Expect(selected).ToContainTextAsync("/thanks");
        await box.PressAsync("ArrowDown");
        await Expect(selected).ToContainTextAsync("/thanks-bye");
        await box.PressAsync("ArrowUp");
        await Expect(selected).Not.ToContainTextAsync("/thanks-bye");
        await box.PressAsync("Escape");
        await Expect(options).ToBeHiddenAsync();
        await Expect(box).ToHaveValueAsync("/tha");
        await box.PressSequentiallyAsync("nks-");
        await Expect(options.GetByRole(AriaRole.Option)).ToHaveCountAsync(1);
        await box.PressAsync("Backspace");
        await Expect(options.GetByRole(AriaRole.Option)).ToHaveCountAsync(2);
        await Expect(selected).ToContainTextAsync("/thanks");
        await box.PressAsync("Tab");
        await Expect(box).ToHaveValueAsync("Thank you for waiting, it is sorted now.");
        await Expect(options).ToBeHiddenAsync();
        await box.PressAsync("Enter");
        await Expect(ConsoleMessage(admin, "Thank you for waiting, it is sorted now.")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\badmin\b"));

        // The visitor gets the reply written after the note, and never the note: not live, not after a reload.
        await Expect(WidgetMessage(visitor, "Thank you for waiting, it is sorted now.")).ToBeVisibleAsync();
        await Expect(visitor.Locator(".log")).Not.ToContainTextAsync("Internal");
        await visitor.ReloadAsync();
        await visitor.GetByRole(AriaRole.Button, new() { Name = "Open the support chat" }).ClickAsync();
        await Expect(WidgetMessage(visitor, "Thank you for waiting, it is sorted now.")).ToBeVisibleAsync();
        await Expect(visitor.Locator(".log")).Not.ToContainTextAsync("Internal");

        // After a reload the console still shows the note as a note.
        await admin.ReloadAsync();
        await admin.Locator("button.conv").Filter(new() { HasTextString = "Thank you for waiting" }).ClickAsync();
        await Expect(ConsoleMessage(admin, "Internal: refund approved by finance").Locator(".note-label")).ToBeVisibleAsync();
    }
}
