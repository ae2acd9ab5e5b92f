using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SupportChat.Tests.Attachments;
using static Microsoft.Playwright.Assertions;

namespace SupportChat.Tests.Browser;

/// <summary>Files in the real widget and console: picked, uploaded with progress, shown as thumbnails or links, downloaded.</summary>
public sealed class AttachmentsBrowserTests(BrowserHost b) : IClassFixture<BrowserHost>
{
    static ILocator FileIn(ILocator messages, string name) => messages.Locator(".file").Filter(new() { HasTextString = name });
    static ILocator MessageWith(IPage page, string list, string name) => page.Locator($"{list} .msg").Filter(new() { Has = page.Locator(".file", new() { HasTextString = name }) });

    [Fact]
    public async Task A_visitor_image_shows_as_a_thumbnail_in_the_console_and_an_admin_pdf_as_a_link_in_the_widget()
    {
        var (admin, _, _) = await b.EnrolledAdminAsync();
        var visitor = await b.VisitorAsync();

        // The visitor: the labelled attach button, then a file picked; it shows as the visitor's own message, sent.
        await Expect(visitor.GetByRole(AriaRole.Button, new() { Name = "Attach a file" })).ToBeVisibleAsync();
        await visitor.Locator(".compose input[type=file]").SetInputFilesAsync(new FilePayload { Name = "cat.png", MimeType = "image/png", Buffer = AttachmentFiles.Png });
        var sentImage = MessageWith(visitor, ".log", "cat.png");
        await Expect(sentImage.Locator(".state")).ToHaveTextAsync(new Regex("^(Sent|Read)$"));
        await Expect(sentImage.Locator("img")).ToHaveAttributeAsync("src", new Regex("^blob:"));

        // The console: the thumbnail (loaded, from the thumbnail URL), and a download of the exact bytes.
        await admin.Locator("button.conv").Filter(new() { HasTextString = "cat.png" }).ClickAsync();
        var image = FileIn(admin.Locator("#messages"), "cat.png");
        await Expect(image.Locator("img")).ToHaveAttributeAsync("src", new Regex("^/api/admin/attachments/[0-9a-f-]+/thumbnail$"));
        await admin.WaitForFunctionAsync("() => document.querySelector('#messages .file img')?.naturalWidth > 0");
        var download = await admin.RunAndWaitForDownloadAsync(() => image.ClickAsync());
        Assert.Equal("cat.png", download.SuggestedFilename);
        Assert.Equal(AttachmentFiles.Png, await File.ReadAllBytesAsync((await download.PathAsync())!));

        // The admin sends a PDF from the reply box; the visitor sees a link and downloads it with its token (never in a URL).
        await admin.Locator("#attach-file").SetInputFilesAsync(new FilePayload { Name = "invoice.pdf", MimeType = "application/pdf", Buffer = AttachmentFiles.Pdf });
        await Expect(MessageWith(admin, "#messages", "invoice.pdf").Locator(".state"))
            .ToHaveTextAsync(new Regex("^(Sent|Read)$"));
        var link = FileIn(visitor.Locator(".log"), "invoice.pdf");
        await Expect(link).ToBeVisibleAsync();
        await Expect(link.Locator("img")).ToHaveCountAsync(0);
        var pdf = await visitor.RunAndWaitForDownloadAsync(() => link.ClickAsync());
        Assert.Equal("invoice.pdf", pdf.SuggestedFilename);
        Assert.Equal(AttachmentFiles.Pdf, await File.ReadAllBytesAsync((await pdf.PathAsync())!));
    }

    [Fact]
    public async Task A_file_whose_bytes_are_not_an_allowed_type_is_refused_with_a_clear_error_in_the_widget()
    {
        var visitor = await b.VisitorAsync();
        await visitor.Locator(".compose input[type=file]").SetInputFilesAsync(new FilePayload { Name = "cat.png", MimeType = "image/png", Buffer = AttachmentFiles.Html });
        var refused = visitor.Locator(".log .msg.failed");
        await Expect(refused.Locator(".state")).ToHaveTextAsync("This kind of file cannot be sent. Images, PDF and plain text files are allowed.");
    }
}
