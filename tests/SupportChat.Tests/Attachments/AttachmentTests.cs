using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using static SupportChat.Tests.Attachments.AttachmentFiles;

namespace SupportChat.Tests.Attachments;

/// <summary>Files from visitors and admins: checked by their bytes, sent as messages, served only to the right people.</summary>
public sealed class AttachmentTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    const int MaxBytes = 64 * 1024;
    readonly TestDatabase db = database;
    readonly string directory = Path.Combine(Path.GetTempPath(), "sc-attach-" + Guid.NewGuid().ToString("N"));
    RealtimeHost host = null!;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        host = Start();
        return Task.CompletedTask;
    }

    RealtimeHost Start(bool inDirectory = false) => new(db.ConnectionString, new Dictionary<string, string?>
    {
        ["Attachments:MaxBytes"] = MaxBytes.ToString(),
        ["Attachments:Directory"] = inDirectory ? directory : "",
    });

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    async Task<long> CountAttachmentsAsync(Guid conversationId)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM attachments WHERE conversation_id = @conversationId", new { conversationId });
    }

    static Guid AttachmentId(JsonElement message) => message.GetProperty("attachment").GetProperty("id").GetGuid();

    [Fact]
    public async Task A_visitor_image_reaches_the_admin_live_and_in_history_and_is_served_to_both_with_safe_headers()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (adminSocket, _) = await host.ConnectAdminAsync(admin);
        await using var _0 = adminSocket;
        using var http = host.Http();

        var response = await http.SendAsync(VisitorUpload(visitor.Token, Form(Png, "photo.png", "image/png", "u1", thumbnail: Png)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("u1", sent.GetProperty("clientMsgId").GetString());
        var id = AttachmentId(sent);

        var live = await adminSocket.ReceiveAsync("message", f => f.GetProperty("conversationId").GetGuid() == visitor.ConversationId);
        Assert.Equal("visitor", live.GetProperty("sender").GetString());
        Assert.Equal("photo.png", live.GetProperty("body").GetString());
        var attachment = live.GetProperty("attachment");
        Assert.Equal(id, attachment.GetProperty("id").GetGuid());
        Assert.Equal("photo.png", attachment.GetProperty("name").GetString());
        Assert.Equal("image/png", attachment.GetProperty("type").GetString());
        Assert.Equal(Png.Length, attachment.GetProperty("size").GetInt64());
        Assert.True(attachment.GetProperty("hasThumbnail").GetBoolean());

        using var adminHttp = TestAdmins.CreateClient(host.App, admin);
        var history = await adminHttp.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{visitor.ConversationId}/messages");
        Assert.Equal(id, AttachmentId(history.GetProperty("messages").EnumerateArray().Single()));

        // The visitor, with its token in a header.
        var mine = await http.SendAsync(VisitorDownload(visitor.Token, id));
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal(Png, await mine.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", mine.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", mine.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("sandbox; default-src 'none'", mine.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("inline", mine.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("photo.png", mine.Content.Headers.ContentDisposition.FileNameStar);
        Assert.Equal(Png, await (await http.SendAsync(VisitorDownload(visitor.Token, id, "/thumbnail"))).Content.ReadAsByteArrayAsync());

        // An admin, with the session cookie.
        var theirs = await adminHttp.GetAsync($"/api/admin/attachments/{id}");
        Assert.Equal(HttpStatusCode.OK, theirs.StatusCode);
        Assert.Equal(Png, await theirs.Content.ReadAsByteArrayAsync());
        Assert.Equal("sandbox; default-src 'none'", theirs.Headers.GetValues("Content-Security-Policy").Single());

        await using var c = new NpgsqlConnection(db.ConnectionString);
        var row = await c.QuerySingleAsync<(byte[] Sha, long Size, string Kind, long? MessageId)>(
            "SELECT sha256, size_bytes, uploader_kind, message_id FROM attachments WHERE id = @id", new { id });
        Assert.Equal(SHA256.HashData(Png), row.Sha);
        Assert.Equal(Png.Length, row.Size);
        Assert.Equal("visitor", row.Kind);
        Assert.Equal(sent.GetProperty("id").GetInt64(), row.MessageId);
    }

    [Fact]
    public async Task An_admin_pdf_reaches_the_visitor_live_and_downloads_as_an_attachment_with_an_encoded_name()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        var (tab, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _0 = tab;
        using var adminHttp = TestAdmins.CreateClient(host.App, admin);

        var response = await adminHttp.PostAsync($"/api/admin/conversations/{visitor.ConversationId}/attachments",
            Form(Pdf, "C:\\fakepath\\Fatura şubat 1.pdf", "application/pdf", "a1", caption: "Your invoice"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var live = await tab.ReceiveAsync("message");
        Assert.Equal("admin", live.GetProperty("sender").GetString());
        Assert.Equal("Your invoice", live.GetProperty("body").GetString());
        Assert.Equal("application/pdf", live.GetProperty("attachment").GetProperty("type").GetString());
        Assert.False(live.GetProperty("attachment").GetProperty("hasThumbnail").GetBoolean());
        var id = AttachmentId(live);

        using var http = host.Http();
        var download = await http.SendAsync(VisitorDownload(visitor.Token, id));
        Assert.Equal(Pdf, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/pdf", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("Fatura şubat 1.pdf", download.Content.Headers.ContentDisposition.FileNameStar);
        // No thumbnail was sent with it.
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(VisitorDownload(visitor.Token, id, "/thumbnail"))).StatusCode);
    }

    [Fact]
    public async Task Another_visitors_token_gets_404_and_no_token_gets_401()
    {
        var owner = await host.StartVisitorAsync();
        var stranger = await host.StartVisitorAsync();
        using var http = host.Http();
        var sent = await (await http.SendAsync(VisitorUpload(owner.Token, Form(Pdf, "secret.pdf", "application/pdf", "s1")))).Content.ReadFromJsonAsync<JsonElement>();
        var id = AttachmentId(sent);

        var other = await http.SendAsync(VisitorDownload(stranger.Token, id));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        // Exactly what an unknown id gets: existence is not revealed.
        var unknown = await http.SendAsync(VisitorDownload(stranger.Token, Guid.NewGuid()));
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await other.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(VisitorDownload(stranger.Token, id, "/thumbnail"))).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(VisitorDownload(null, id))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(VisitorDownload("not-a-token", id))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.App.CreateClient().GetAsync($"/api/admin/attachments/{id}")).StatusCode);
        var noToken = new HttpRequestMessage(HttpMethod.Post, "/api/visitor/attachments") { Content = Form(Pdf, "x.pdf", "application/pdf", "s2") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(noToken)).StatusCode);
        Assert.Equal(1, await CountAttachmentsAsync(owner.ConversationId));
    }

    [Theory]
    [InlineData("html")]
    [InlineData("exe")]
    [InlineData("svg")]
    [InlineData("binary-text")]
    public async Task A_file_named_and_labelled_as_an_allowed_type_but_whose_bytes_are_not_is_refused_and_nothing_is_kept(string kind)
    {
        var bytes = kind switch
        {
            "html" => Html,
            "exe" => Exe,
            "svg" => Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
            _ => Encoding.UTF8.GetBytes("looks like text\0but is not"),
        };
        await host.DisposeAsync();
        host = Start(inDirectory: true);
        var visitor = await host.StartVisitorAsync();
        using var http = host.Http();

        var response = await http.SendAsync(VisitorUpload(visitor.Token, Form(bytes, "cat.png", "image/png", "x1")));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_type", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(0, await CountAttachmentsAsync(visitor.ConversationId));
        Assert.Equal(0, await host.CountMessagesAsync(visitor.ConversationId));
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public async Task Too_large_and_empty_files_are_refused_and_nothing_is_kept()
    {
        await host.DisposeAsync();
        host = Start(inDirectory: true);
        var visitor = await host.StartVisitorAsync();
        using var http = host.Http();
        var big = new byte[MaxBytes + 1];
        Pdf.CopyTo(big, 0);

        var tooLarge = await http.SendAsync(VisitorUpload(visitor.Token, Form(big, "big.pdf", "application/pdf", "b1")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("too_large", (await tooLarge.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        var empty = await http.SendAsync(VisitorUpload(visitor.Token, Form([], "empty.txt", "text/plain", "e1")));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);

        // At the limit exactly is fine.
        var exact = await http.SendAsync(VisitorUpload(visitor.Token, Form(big[..MaxBytes], "exact.pdf", "application/pdf", "x1")));
        Assert.Equal(HttpStatusCode.OK, exact.StatusCode);
        Assert.Equal(1, await CountAttachmentsAsync(visitor.ConversationId));
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
        Assert.Single(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public async Task In_directory_mode_the_file_is_named_by_its_sha256_shared_by_identical_uploads_and_served()
    {
        await host.DisposeAsync();
        host = Start(inDirectory: true);
        var visitor = await host.StartVisitorAsync();
        using var http = host.Http();
        var text = Encoding.UTF8.GetBytes("Sipariş numarası: 1234\r\nTeşekkürler\n");

        var first = await (await http.SendAsync(VisitorUpload(visitor.Token, Form(text, "order.txt", "application/octet-stream", "t1")))).Content.ReadFromJsonAsync<JsonElement>();
        var second = await http.SendAsync(VisitorUpload(visitor.Token, Form(text, "again.txt", "text/plain", "t2")));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        var sha = Convert.ToHexStringLower(SHA256.HashData(text));
        Assert.Equal([Path.Combine(directory, sha)], Directory.EnumerateFileSystemEntries(directory));
        Assert.Equal(text, await File.ReadAllBytesAsync(Path.Combine(directory, sha)));
        await using var c = new NpgsqlConnection(db.ConnectionString);
        var rows = (await c.QueryAsync<(string? Path, bool HasContent, string Type)>(
            "SELECT storage_path, content IS NOT NULL, content_type FROM attachments WHERE conversation_id = @ConversationId", new { visitor.ConversationId })).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((sha, false, "text/plain"), r));

        var download = await http.SendAsync(VisitorDownload(visitor.Token, AttachmentId(first)));
        Assert.Equal(text, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/plain", download.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task A_retried_upload_is_one_message_and_a_refused_message_keeps_no_file()
    {
        var visitor = await host.StartVisitorAsync();
        using var http = host.Http();
        var first = await http.SendAsync(VisitorUpload(visitor.Token, Form(Pdf, "a.pdf", "application/pdf", "r1")));
        var again = await (await http.SendAsync(VisitorUpload(visitor.Token, Form(Pdf, "a.pdf", "application/pdf", "r1")))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        // No client message id: refused by the message rules after the file was checked.
        var refused = await http.SendAsync(VisitorUpload(visitor.Token, Form(Pdf, "b.pdf", "application/pdf")));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(1, await CountAttachmentsAsync(visitor.ConversationId));
        Assert.Equal(1, await host.CountMessagesAsync(visitor.ConversationId));
    }

    [Theory]
    [InlineData("89504E470D0A1A0A0000", "image/png")]
    [InlineData("FFD8FFE000104A464946", "image/jpeg")]
    [InlineData("474946383961", "image/gif")]
    [InlineData("52494646000000005745425056503820", "image/webp")]
    [InlineData("255044462D312E37", "application/pdf")]
    [InlineData("3C73766720", null)]
    [InlineData("4D5A9000", null)]
    public void File_types_are_recognised_by_their_first_bytes(string hex, string? expected) =>
        Assert.Equal(expected, FileTypes.FromHead(Convert.FromHexString(hex)));

    [Theory]
    [InlineData("Merhaba, dünya\r\n\tçok güzel", true)]
    [InlineData("bell \u0007", false)]
    [InlineData("escape \u001b[31m", false)]
    [InlineData("  \n<html><body>hi</body></html>", false)]
    [InlineData("a < b, and that is text", true)]
    public void Plain_text_is_utf8_without_control_characters(string text, bool expected)
    {
        var check = new FileTypes.TextCheck();
        var bytes = Encoding.UTF8.GetBytes(text);
        // Split inside a multi-byte character: the check must carry it over.
        var cut = Math.Min(17, bytes.Length);
        check.Add(bytes.AsSpan(0, cut));
        check.Add(bytes.AsSpan(cut), last: true);
        Assert.Equal(expected, check.IsText);
    }

    [Fact]
    public void Invalid_utf8_is_not_text()
    {
        var check = new FileTypes.TextCheck();
        check.Add([0x61, 0xC3, 0x28], last: true);
        Assert.False(check.IsText);
    }
}
