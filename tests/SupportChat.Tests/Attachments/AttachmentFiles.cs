using System.Net.Http.Headers;
using System.Text;

namespace SupportChat.Tests.Attachments;

/// <summary>Small real files of each kind, and the multipart upload the widget and the console send.</summary>
public static class AttachmentFiles
{
    /// <summary>A 1×1 PNG.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    public static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    public static readonly byte[] Html = Encoding.UTF8.GetBytes("<!doctype html><script>alert(document.cookie)</script>");
    public static readonly byte[] Exe = [(byte)'M', (byte)'Z', 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];

    public static MultipartFormDataContent Form(byte[] bytes, string fileName, string contentType, string? clientMsgId = null, byte[]? thumbnail = null, string? caption = null)
    {
        var form = new MultipartFormDataContent();
        if (clientMsgId is not null) form.Add(new StringContent(clientMsgId), "clientMsgId");
        if (caption is not null) form.Add(new StringContent(caption), "caption");
        if (thumbnail is not null) form.Add(new ByteArrayContent(thumbnail) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }, "thumbnail", "thumb.png");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", fileName);
        return form;
    }

    public static HttpRequestMessage VisitorUpload(string token, MultipartFormDataContent form) =>
        new(HttpMethod.Post, "/api/visitor/attachments") { Content = form, Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };

    public static HttpRequestMessage VisitorDownload(string? token, Guid id, string suffix = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/visitor/attachments/{id}{suffix}");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
