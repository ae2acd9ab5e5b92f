using Deque.AxeCore.Playwright;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using static SupportChat.Tests.Browser.ConversationTests;

namespace SupportChat.Tests.Browser;

/// <summary>The login page, the console's other views, accessibility, the widget's budget and a strict host page.</summary>
public sealed partial class PagesTests(BrowserHost b, ITestOutputHelper output) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task An_admin_logs_in_through_the_login_page_and_a_wrong_code_gets_a_translated_answer()
    {
        var (page, username, secret) = await b.EnrolledAdminAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to SupportChat" })).ToBeVisibleAsync();

        await page.Locator("#login").GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("The 6-digit code from your authenticator app").FillAsync("000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong username or code.");

        // The enrollment used this step's code; the next one is accepted once.
        await page.GetByLabel("The 6-digit code from your authenticator app").FillAsync(TestEnrollment.Code(secret, 1));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Conversations" })).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Conversations" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_console_lists_admins_invites_shows_the_audit_log_and_sessions_and_switches_to_Turkish()
    {
        var (page, username, _) = await b.EnrolledAdminAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Admins" }).ClickAsync();
        await Expect(page.Locator("#admin-rows")).ToContainTextAsync(username);

        // Bad input first: the server refuses the username, the page says why in its own words.
        var invite = page.Locator("#invite");
        await invite.GetByLabel("Username").FillAsync("Bad name!");
        await invite.GetByLabel("Display name").FillAsync("Bad");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create an enrollment link" }).ClickAsync();
        await Expect(page.Locator("#admins-error")).ToHaveTextAsync("That was not accepted. Check what you entered and try again.");

        await invite.GetByLabel("Username").FillAsync("newcomer");
        await invite.GetByLabel("Display name").FillAsync("New Comer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create an enrollment link" }).ClickAsync();
        await Expect(page.GetByLabel("Enrollment link: hand it over privately; it works once")).ToHaveValueAsync(new Regex("/admin/enroll.html#token="));
        await Expect(page.Locator("#admin-rows tr").Filter(new() { HasTextString = "newcomer" })).ToContainTextAsync("Invited");

        page.Dialog += (_, d) => _ = d.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove newcomer" }).ClickAsync();
        await Expect(page.Locator("#admin-rows tr").Filter(new() { HasTextString = "newcomer" })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Audit log" }).ClickAsync();
        await Expect(page.Locator("#audit-rows")).ToContainTextAsync("admin.invited");
        await Expect(page.Locator("#audit-rows")).ToContainTextAsync("admin.removed");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sessions" }).ClickAsync();
        await Expect(page.Locator("#session-rows")).ToContainTextAsync("this browser");

        await page.GetByLabel("Language").SelectOptionAsync("tr");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Oturumlarınız" })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "tr");
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sohbetler" })).ToBeVisibleAsync();
        await page.GetByLabel("Dil").SelectOptionAsync("en");
    }

    [Fact]
    public async Task Axe_finds_no_serious_or_critical_violation_on_the_widget_the_login_page_and_the_console()
    {
        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Accessibility check");
        await Expect(WidgetMessage(visitor, "Accessibility check").Locator(".state")).ToHaveTextAsync("Sent");
        await AssertAccessibleAsync(visitor, "widget");

        var (admin, _, _) = await b.EnrolledAdminAsync();
        await admin.Locator("button.conv").Filter(new() { HasTextString = "Accessibility check" }).ClickAsync();
        await Expect(ConsoleMessage(admin, "Accessibility check")).ToBeVisibleAsync();
        await AssertAccessibleAsync(admin, "console");

        var login = await b.NewPageAsync();
        await login.GotoAsync(b.Url("/admin/"));
        await Expect(login.GetByRole(AriaRole.Heading, new() { Name = "Sign in to SupportChat" })).ToBeVisibleAsync();
        await AssertAccessibleAsync(login, "login");
    }

    async Task AssertAccessibleAsync(IPage page, string name)
    {
        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        foreach (var v in result.Violations)
            output.WriteLine($"{name}: {v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target.ToString()))}");
        Assert.True(bad.Count == 0, $"{name}: " + string.Join("; ", bad.Select(v => $"{v.Id} ({v.Impact})")));
    }

    [Fact]
    public async Task The_widget_stays_within_its_budget_and_paints_its_launcher_before_anything_else_loads()
    {
        using var http = new HttpClient { BaseAddress = b.Host.BaseUri };
        // What every page with the widget loads up front: its stylesheet, widget.js and each module it imports statically,
        // followed import by import (not upload.js, which it imports only when a visitor picks a file).
        var files = new List<string> { "/widget/widget.css" };
        var modules = new Queue<string>(["/widget/widget.js"]);
        long total = 0;
        while (modules.TryDequeue(out var file))
        {
            if (files.Contains(file)) continue;
            files.Add(file);
            var text = await http.GetStringAsync(file);
            foreach (Match import in StaticImport().Matches(text))
                modules.Enqueue(new Uri(new Uri(b.Host.BaseUri, file), import.Groups["path"].Value).AbsolutePath);
        }
        foreach (var file in files)
        {
            var bytes = (await http.GetByteArrayAsync(file)).LongLength;
            output.WriteLine($"{file}: {bytes} bytes");
            total += bytes;
        }
        output.WriteLine($"widget JS + CSS: {total} bytes");
        Assert.Contains("/js/common.js", files);
        Assert.Contains("/js/thread.js", files);
        Assert.True(total < 30 * 1024, $"The widget's JS and CSS are {total} bytes, over 30 KB.");

        // The launcher is painted from the script and its stylesheet alone: translations and the session come later.
        var page = await b.NewPageAsync();
        await page.RouteAsync("**/i18n/*.json", async route => { await Task.Delay(1000); await route.ContinueAsync(); });
        await page.GotoAsync(b.Url("/demo.html"));
        await Expect(page.Locator(".launcher")).ToBeVisibleAsync();
        var paint = await page.EvaluateAsync<double>(
            "() => new Promise(r => { const f = () => { const s = performance.getEntriesByName('supportchat:start')[0], l = performance.getEntriesByName('supportchat:launcher')[0]; l ? r(l.startTime - s.startTime) : setTimeout(f, 10); }; f(); })");
        output.WriteLine($"launcher first paint: {paint:F1} ms after the script started");
        Assert.Null(await page.Locator(".launcher").GetAttributeAsync("aria-label"));
    }

    [GeneratedRegex(@"^import\s(?:[^;']*\sfrom\s)?'(?<path>[^']+)'", RegexOptions.Multiline)]
    private static partial Regex StaticImport();

    [Fact]
    public async Task The_widget_works_under_a_strict_page_policy_with_its_data_attributes_a_pre_chat_form_and_ignores_a_bad_colour()
    {
        var page = await b.NewPageAsync(locale: "en-US");
        var violations = new List<string>();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy")) violations.Add(m.Text); };
        // demo-strict.html gets the service's strict policy (only /demo.html and /widget/ are exempt).
        var response = await page.GotoAsync(b.Url("/demo-strict.html"));
        Assert.Contains("script-src 'self'", (await response!.AllHeadersAsync())["content-security-policy"]);

        await page.GetByRole(AriaRole.Button, new() { Name = "Destek sohbetini aç" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Mağaza desteği" })).ToBeVisibleAsync();
        await page.GetByLabel("Ad").FillAsync("Ayşe");
        await page.GetByLabel("E-posta").FillAsync("ayse@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sohbete başla" }).ClickAsync();
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Mesajınız" }).FillAsync("Sıkı bir sayfadan merhaba");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Mesajınız" }).PressAsync("Enter");
        await Expect(WidgetMessage(page, "Sıkı bir sayfadan merhaba").Locator(".state")).ToHaveTextAsync("Gönderildi");

        Assert.Equal("", await page.Locator(".supportchat-host").EvaluateAsync<string>("h => h.style.getPropertyValue('--sc-accent')"));
        Assert.Contains("left", await page.Locator(".frame").GetAttributeAsync("class") ?? "");
        Assert.Empty(violations);

        var (admin, _, _) = await b.EnrolledAdminAsync();
        await admin.Locator("button.conv").Filter(new() { HasTextString = "Ayşe" }).ClickAsync();
        await Expect(admin.Locator("#details")).ToContainTextAsync("ayse@example.com");
    }

    /// <summary>
    /// The README's pictures. They go to the folder named by SUPPORTCHAT_SCREENSHOTS (docs/screenshots to refresh them:
    /// SUPPORTCHAT_SCREENSHOTS=$PWD/docs/screenshots scripts/test --filter "FullyQualifiedName~Screenshots"), otherwise to a temporary folder.
    /// </summary>
    [Fact]
    public async Task Screenshots_of_the_widget_at_desktop_and_phone_width_and_of_the_console()
    {
        var folder = Environment.GetEnvironmentVariable("SUPPORTCHAT_SCREENSHOTS") is { Length: > 0 } configured
            ? configured : Directory.CreateTempSubdirectory("supportchat-screens").FullName;
        Directory.CreateDirectory(folder);

        var visitor = await b.VisitorAsync();
        await BrowserHost.VisitorWritesAsync(visitor, "Hi! Does the blue jacket come in size M?");
        var (admin, _, _) = await b.EnrolledAdminAsync();
        await admin.Locator("button.conv").Filter(new() { HasTextString = "blue jacket" }).ClickAsync();
        var reply = admin.GetByLabel("Reply (Enter sends, Shift+Enter starts a new line)");
        await reply.FillAsync("Hello! Yes, size M is in stock and ships tomorrow.");
        await reply.PressAsync("Enter");
        await Expect(ConsoleMessage(admin, "size M is in stock").Locator(".state")).ToHaveTextAsync("Read");
        await BrowserHost.VisitorWritesAsync(visitor, "Great, thank you!");
        await Expect(ConsoleMessage(admin, "Great, thank you!")).ToBeVisibleAsync();
        await Expect(WidgetMessage(visitor, "Great, thank you!").Locator(".state")).ToHaveTextAsync("Read");
        // The conversation tools in the picture: a file from the visitor, a tag, and the conversation assigned.
        await visitor.Locator(".compose input[type=file]").SetInputFilesAsync(new FilePayload { Name = "receipt-4411.pdf", MimeType = "application/pdf", Buffer = Attachments.AttachmentFiles.Pdf });
        await Expect(admin.Locator("#messages .file").Filter(new() { HasTextString = "receipt-4411.pdf" })).ToBeVisibleAsync();
        var tagBox = admin.GetByLabel("Add a tag (choose one or type a new name)");
        await tagBox.FillAsync("VIP");
        await tagBox.PressAsync("Enter");
        await Expect(admin.Locator("#thread-tags .chip-name")).ToHaveTextAsync("VIP");
        await admin.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Assigned to") }).ClickAsync();
        await admin.GetByRole(AriaRole.Listbox, new() { Name = "Assigned to" }).GetByRole(AriaRole.Option).Nth(1).ClickAsync();
        await Expect(admin.Locator("button.conv .assigned").First).ToBeVisibleAsync();

        await visitor.ScreenshotAsync(new() { Path = Path.Combine(folder, "widget-desktop.png") });
        await admin.ScreenshotAsync(new() { Path = Path.Combine(folder, "console.png") });
        var phone = await b.NewPageAsync(390, 844);
        var token = await visitor.EvaluateAsync<string>("() => Object.entries(localStorage).find(([k]) => k.startsWith('supportchat:'))[1]");
        await phone.GotoAsync(b.Url("/demo.html"));
        await phone.EvaluateAsync("t => localStorage.setItem('supportchat:' + location.origin, t)", token);
        await b.VisitorAsync(phone);
        await Expect(WidgetMessage(phone, "Great, thank you!")).ToBeVisibleAsync();
        await phone.ScreenshotAsync(new() { Path = Path.Combine(folder, "widget-phone.png") });

        foreach (var name in new[] { "widget-desktop.png", "widget-phone.png", "console.png" })
            Assert.True(new FileInfo(Path.Combine(folder, name)).Length > 0);
    }
}
