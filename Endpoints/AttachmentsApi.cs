using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;
using SupportChat.Admins;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Sockets;

namespace SupportChat.Endpoints;

using Upload = Results<Ok<SentMessage>, UnauthorizedError, Results<BadRequestError, ForbiddenError, NotFoundError, TooLargeError, UnsupportedTypeError, RateLimitedError>>;
using Download = Results<FileStreamHttpResult, FileContentHttpResult, UnauthorizedError, NotFoundError>;

/// <summary>
/// Files in conversations. Uploads are multipart/form-data with a "file" part, and optionally "clientMsgId", "caption" and
/// "thumbnail" (a small image the page made); the result is the message that carries the file. Downloads go only to the
/// conversation's visitor (token in the Authorization header, never in a URL) and to admins.
/// </summary>
public static class AttachmentsApi
{
    const int MaxFieldBytes = 8 * 1024;
    // Room in the request for the multipart framing and the small parts besides the file.
    const int RequestOverheadBytes = AttachmentOptions.MaxThumbnailBytes + 4 * MaxFieldBytes + 16 * 1024;

    public static void AddAttachments(this IServiceCollection services)
    {
        services.AddSingleton<Attachments>();
    }

    public static void MapAttachments(this WebApplication app)
    {
        var visitor = app.MapGroup("/api/visitor/attachments").WithTags("Attachments").RequireCors(Security.WidgetCors).RequireRateLimiting(Security.VisitorLimit)
            .RequireVisitorToken();
        visitor.MapPost("/", VisitorUploadAsync);
        visitor.MapGet("/{id:guid}", VisitorDownloadAsync).ProducesFile();
        visitor.MapGet("/{id:guid}/thumbnail", VisitorThumbnailAsync).ProducesFile();

        var admin = app.MapGroup("/api/admin").WithTags("Attachments").RequireAdmin().RequireRateLimiting(Security.AdminLimit);
        admin.MapPost("/conversations/{id:guid}/attachments", AdminUploadAsync);
        admin.MapGet("/attachments/{id:guid}", AdminDownloadAsync).ProducesFile();
        admin.MapGet("/attachments/{id:guid}/thumbnail", AdminThumbnailAsync).ProducesFile();
    }

    // The bytes' type is the one decided at upload; the document can only say "a file".
    static RouteHandlerBuilder ProducesFile(this RouteHandlerBuilder route) => route.Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream");

    sealed record Services(NpgsqlDataSource Db, Attachments Attachments, IOptions<AttachmentOptions> Options, VisitorSessions Visitors);

    static async Task<Upload> VisitorUploadAsync(HttpContext http, [AsParameters] Services s)
    {
        if (await VisitorApi.AuthenticateAsync(http, s.Visitors) is not { } visitor) return ApiError.Unauthorized("Send the visitor token as Authorization: Bearer <token>.");
        return await UploadAsync(http, s, Sender.Visitor(visitor), visitor.ConversationId);
    }

    static Task<Upload> AdminUploadAsync(HttpContext http, AdminPrincipal admin, [AsParameters] Services s, Guid id) =>
        UploadAsync(http, s, admin.AsSender(RequestOrigins.Of(http)), id);

    static async Task<Upload> UploadAsync(HttpContext http, Services s, Sender sender, Guid conversationId)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = s.Options.Value.MaxBytes + RequestOverheadBytes;
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
            return Refused(ApiError.BadRequest("Expected multipart/form-data with a file part."));

        var reader = new MultipartReader(boundary, http.Request.Body) { HeadersLengthLimit = MaxFieldBytes };
        SpooledFile? file = null;
        string? fileName = null, caption = null, clientMsgId = null;
        byte[]? thumbnail = null;
        try
        {
            while (await reader.ReadNextSectionAsync(http.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var part)) continue;
                switch (HeaderUtilities.RemoveQuotes(part.Name).Value)
                {
                    case "file" when file is null:
                        var spooled = await s.Attachments.SpoolAsync(section.Body, http.RequestAborted);
                        if (spooled.Error is { } refused) return Refused(ApiError.From(refused));
                        file = spooled.Value;
                        fileName = HeaderUtilities.RemoveQuotes(part.FileNameStar.HasValue ? part.FileNameStar : part.FileName).Value;
                        break;
                    case "thumbnail":
                        thumbnail = await ReadSmallAsync(section.Body, AttachmentOptions.MaxThumbnailBytes, http.RequestAborted);
                        if (thumbnail is null) return Refused(ApiError.BadRequest($"The thumbnail is larger than {AttachmentOptions.MaxThumbnailBytes} bytes."));
                        break;
                    case "caption":
                        caption = await ReadFieldAsync(section.Body, http.RequestAborted);
                        break;
                    case "clientMsgId":
                        clientMsgId = await ReadFieldAsync(section.Body, http.RequestAborted);
                        break;
                }
            }
            if (file is null) return Refused(ApiError.BadRequest("Expected multipart/form-data with a file part."));
            var sent = await s.Attachments.SendAsync(sender, conversationId, file, new UploadDetails(fileName, caption, clientMsgId, thumbnail), http.RequestAborted);
            if (sent.Error is { } error) return Refused(ApiError.From(error));
            var m = sent.Value!.Message;
            return TypedResults.Ok(new SentMessage(m.ConversationId, m.ClientMsgId!, m.Seq, m.Id, m.CreatedAt, sent.Value.Duplicate) { Attachment = AttachmentView.From(m) });
        }
        catch (InvalidDataException ex)
        {
            return Refused(ApiError.BadRequest($"The multipart body is malformed: {ex.Message}"));
        }
        finally
        {
            file?.Dispose();
        }
    }

    // What the upload's file, its parts or the message it makes can be refused for.
    static Upload Refused(ApiErrorResult e) => e.As<BadRequestError, ForbiddenError, NotFoundError, TooLargeError, UnsupportedTypeError, RateLimitedError>();

    static async Task<byte[]?> ReadSmallAsync(Stream body, int max, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    static async Task<string?> ReadFieldAsync(Stream body, CancellationToken ct) =>
        await ReadSmallAsync(body, MaxFieldBytes, ct) is { } bytes ? Encoding.UTF8.GetString(bytes) : throw new InvalidDataException("a field is too long");

    static async Task<Download> VisitorDownloadAsync(HttpContext http, [AsParameters] Services s, Guid id, bool thumbnail = false)
    {
        if (await VisitorApi.AuthenticateAsync(http, s.Visitors) is not { } visitor) return ApiError.Unauthorized("Send the visitor token as Authorization: Bearer <token>.");
        var file = await AttachmentStore.FindAsync(s.Db, id);
        // Someone else's file, or one in a private note, is answered exactly like one that does not exist.
        if (file is null || file.VisitorId != visitor.VisitorId || file.MessageSender == SenderKind.Note) return NoSuchFile();
        return await ServeAsync(http, s, file, thumbnail);
    }

    static Task<Download> VisitorThumbnailAsync(HttpContext http, [AsParameters] Services s, Guid id) => VisitorDownloadAsync(http, s, id, thumbnail: true);

    static async Task<Download> AdminDownloadAsync(HttpContext http, [AsParameters] Services s, Guid id, bool thumbnail = false)
    {
        var file = await AttachmentStore.FindAsync(s.Db, id);
        return file is null ? NoSuchFile() : await ServeAsync(http, s, file, thumbnail);
    }

    static Task<Download> AdminThumbnailAsync(HttpContext http, [AsParameters] Services s, Guid id) => AdminDownloadAsync(http, s, id, thumbnail: true);

    static NotFoundError NoSuchFile() => ApiError.NotFound("No such attachment.");

    /// <summary>
    /// The bytes with the type decided at upload, never sniffed, never run: a sandbox CSP with nothing allowed, and
    /// Content-Disposition attachment for everything but images (shown inline).
    /// </summary>
    static async Task<Download> ServeAsync(HttpContext http, Services s, AttachmentFile file, bool thumbnail)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "private, max-age=3600";
        var disposition = new ContentDispositionHeaderValue(FileTypes.IsImage(file.ContentType) ? "inline" : "attachment");
        disposition.SetHttpFileName(file.FileName);
        headers.ContentDisposition = disposition.ToString();
        if (thumbnail)
        {
            var small = await AttachmentStore.ThumbnailAsync(s.Db, file.Id);
            return small is { } t ? TypedResults.Bytes(t.Thumbnail, t.Type) : NoSuchFile();
        }
        var content = await s.Attachments.OpenAsync(file);
        return content is null ? NoSuchFile() : TypedResults.Stream(content, file.ContentType);
    }

}
