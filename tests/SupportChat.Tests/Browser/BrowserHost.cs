using Microsoft.Playwright;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Browser;

/// <summary>
/// A fresh database, the app on real Kestrel (RealtimeHost) and Debian's Chromium driven by Playwright, shared by one test class.
/// Playwright never downloads a browser here: .ci/run installs chromium with apt-get.
/// </summary>
public sealed class BrowserHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    /// <summary>A guard for every wait: a broken page fails the test instead of hanging it. Never a measure of speed.</summary>
    public const float Guard = 45_000; // a guard against hangs, generous for a loaded 2-core machine

    readonly TestDatabase db = new();
    IPlaywright playwright = null!;
    public RealtimeHost Host { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string ConnectionString => db.ConnectionString;
    public string Url(string path) => new Uri(Host.BaseUri, path).ToString();

    public async Task InitializeAsync()
    {
        await db.InitializeAsync();
        Host = new RealtimeHost(db.ConnectionString);
        playwright = await Playwright.CreateAsync();
        Browser = await LaunchAsync(playwright);
    }

    /// <summary>Debian's Chromium, headless, with the expect guard set; for tests that start their own hosts.</summary>
    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        Assertions.SetDefaultExpectTimeout(Guard);
        return browser;
    }

    /// <summary>A browser profile of its own (cookies, localStorage), English unless told otherwise.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800, string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = width, Height = height }, Locale = locale });
        context.SetDefaultTimeout(Guard);
        return await context.NewPageAsync();
    }

    /// <summary>A visitor on the demo page with the chat panel open.</summary>
    public async Task<IPage> VisitorAsync(IPage? page = null)
    {
        page ??= await NewPageAsync();
        await page.GotoAsync(Url("/demo.html"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the support chat" }).ClickAsync();
        await Assertions.Expect(page.Locator(".panel")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Writes a message in the widget the way a visitor does: type, press Enter.</summary>
    public static async Task VisitorWritesAsync(IPage page, string text)
    {
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Your message" }).FillAsync(text);
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Your message" }).PressAsync("Enter");
    }

    /// <summary>
    /// An admin enrolled through the real enrollment page (link → secret shown on the page → code), which lands in the console.
    /// Returns the console page and the TOTP secret, so that a test can log in again with TestEnrollment.Code(secret, 1).
    /// </summary>
    public async Task<(IPage Page, string Username, string Secret)> EnrolledAdminAsync(IPage? page = null)
    {
        var username = "agent_" + Guid.NewGuid().ToString("N")[..6];
        var link = await TestEnrollment.LinkAsync(Host.App, username);
        page ??= await NewPageAsync();
        await page.GotoAsync(Url("/admin/enroll.html#token=" + TestEnrollment.TokenOf(link.Url)));
        await Assertions.Expect(page.Locator("#secret")).Not.ToBeEmptyAsync();
        var secret = (await page.Locator("#secret").TextContentAsync())!;
        await page.GetByLabel("The 6-digit code your app shows now").FillAsync(TestEnrollment.Code(secret));
        await page.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        await page.WaitForURLAsync(Url("/admin/"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Conversations" })).ToBeVisibleAsync();
        return (page, username, secret);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
        await Host.DisposeAsync();
        await db.DisposeAsync();
    }
}
