using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>
/// The console chimes for a new conversation and for a visitor's message in a conversation not in view, never for the open
/// one or for admins' replies; the admin turns it off or down, and the choice survives a reload. The console records each
/// chime it plays (the sound button's data-chimes, window.__supportchatSounds), which is what these tests read.
/// </summary>
public sealed class SoundAlertTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    const string ReplyBox = "Reply (Enter sends, Shift+Enter starts a new line)";
    const string SoundButton = "Sound alerts";

    static ILocator Row(IPage page, string text) => page.Locator("button.conv").Filter(new() { HasTextString = text });
    static ILocator Sound(IPage page) => page.GetByRole(AriaRole.Button, new() { Name = SoundButton, Exact = true });
    static Task<string[]> Reasons(IPage page) => page.EvaluateAsync<string[]>("() => (window.__supportchatSounds ?? []).map(s => s.reason)");

    [Fact]
    public async Task New_conversations_and_visitor_messages_elsewhere_chime_the_open_conversation_and_admins_replies_do_not()
    {
        var (a, _, _) = await b.EnrolledAdminAsync();
        var (bee, _, _) = await b.EnrolledAdminAsync();
        var sound = Sound(a);
        await Expect(sound).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(sound).ToHaveAttributeAsync("data-chimes", "0");

        // A new conversation chimes.
        var first = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(first, "Chime for my first message");
        await Expect(sound).ToHaveAttributeAsync("data-chimes", "1");
        Assert.Equal(["conversation"], await Reasons(a));

        // A message in the conversation the admin has open (tab visible) does not.
        await Row(a, "Chime for my first message").ClickAsync();
        await Expect(a.GetByLabel(ReplyBox)).ToBeFocusedAsync();
        await BrowserHost.VisitorWritesAsync(first, "Said while you look");
        await Expect(ConversationTests.ConsoleMessage(a, "Said while you look")).ToBeVisibleAsync();

        // Another customer: a new conversation, then a message in it while the first is open, each chimes.
        var second = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(second, "Second customer here");
        await Expect(sound).ToHaveAttributeAsync("data-chimes", "2");
        await Expect(Row(a, "Second customer here")).ToBeVisibleAsync();
        await BrowserHost.VisitorWritesAsync(second, "Second customer again");
        await Expect(sound).ToHaveAttributeAsync("data-chimes", "3");
        Assert.Equal(["conversation", "conversation", "message"], await Reasons(a));
        // The unread badge (and with it the tab title's count) is as it was.
        await Expect(Row(a, "Second customer again").Locator(".badge")).ToHaveTextAsync("2");
        await Expect(a).ToHaveTitleAsync(new Regex(@"^\(\d+\) SupportChat$"));

        // The admin's own reply and another admin's reply in a conversation not in view: no chime.
        await a.GetByLabel(ReplyBox).FillAsync("My own answer");
        await a.GetByLabel(ReplyBox).PressAsync("Enter");
        await Expect(ConversationTests.ConsoleMessage(a, "My own answer").Locator(".state")).ToHaveTextAsync(new Regex("Sent|Read"));
        await Row(bee, "Second customer again").ClickAsync();
        await Expect(bee.GetByLabel(ReplyBox)).ToBeFocusedAsync();
        await bee.GetByLabel(ReplyBox).FillAsync("Answer from the colleague");
        await bee.GetByLabel(ReplyBox).PressAsync("Enter");
        await Expect(Row(a, "Answer from the colleague")).ToBeVisibleAsync();
        await Expect(sound).ToHaveAttributeAsync("data-chimes", "3");
        Assert.Equal(3, (await Reasons(a)).Length);
    }

    [Fact]
    public async Task With_sound_off_nothing_chimes_the_setting_and_volume_survive_a_reload_and_the_controls_work_from_the_keyboard()
    {
        var (a, _, _) = await b.EnrolledAdminAsync();
        var sound = Sound(a);
        var volume = a.GetByRole(AriaRole.Slider, new() { Name = "Sound volume" });
        await Expect(sound).ToHaveAttributeAsync("aria-pressed", "true");
        var before = int.Parse((await volume.InputValueAsync())!);

        // Off and quieter, from the keyboard.
        await sound.FocusAsync();
        await a.Keyboard.PressAsync("Enter");
        await Expect(sound).ToHaveAttributeAsync("aria-pressed", "false");
        await volume.FocusAsync();
        await a.Keyboard.PressAsync("ArrowLeft");
        await a.Keyboard.PressAsync("ArrowLeft");
        var quieter = int.Parse((await volume.InputValueAsync())!);
        Assert.True(quieter < before, $"the volume went from {before} to {quieter}");

        var axe = await a.RunAxe();
        var bad = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id} ({v.Impact})").ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));

        // Both kept for this admin across a reload.
        await a.ReloadAsync();
        await Expect(a.GetByRole(AriaRole.Heading, new() { Name = "Conversations" })).ToBeVisibleAsync();
        await Expect(sound).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(volume).ToHaveValueAsync(quieter.ToString());

        // Off: a new conversation makes no sound.
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Nobody hears this one");
        await Expect(Row(a, "Nobody hears this one")).ToBeVisibleAsync();
        await Expect(sound).ToHaveAttributeAsync("data-chimes", "0");
        Assert.Empty(await Reasons(a));

        // On again: the next visitor message elsewhere chimes.
        await sound.ClickAsync();
        await Expect(sound).ToHaveAttributeAsync("aria-pressed", "true");
        await BrowserHost.VisitorWritesAsync(visitor, "Now you hear me");
        await Expect(sound).ToHaveAttributeAsync("data-chimes", "1");
        Assert.Equal(["message"], await Reasons(a));
    }
}
