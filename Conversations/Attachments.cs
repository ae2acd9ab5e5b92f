using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Data;

namespace SupportChat.Conversations;

/// <summary>An uploaded file's bytes in a temporary file, checked: its size, SHA-256 and the type its bytes show. Disposing deletes the temporary file.</summary>
public sealed class SpooledFile(string path, long size, byte[] sha256, string contentType) : IDisposable
{
    public string TempPath { get; } = path;
    public long Size { get; } = size;
    public byte[] Sha256 { get; } = sha256;
    public string ContentType { get; } = contentType;

    public void Dispose()
    {
        try { File.Delete(TempPath); } catch (IOException) { }
    }
}

/// <summary>What the uploader says about a file besides its bytes.</summary>
public sealed record UploadDetails(string? FileName, string? Caption, string? ClientMsgId, byte[]? Thumbnail);

/// <summary>
/// Files attached to conversations, from the widget, the console and Telegram alike: checked by their bytes, stored in
/// PostgreSQL or the configured directory, and sent as a message through ConversationService (so they are acked,
/// delivered, replayed and notified like any message). A refused or failed upload leaves no row and no file behind.
/// </summary>
public sealed class Attachments(NpgsqlDataSource db, ConversationService conversations, IOptions<AttachmentOptions> options)
{
    public const int MaxFileNameLength = 255;
    AttachmentOptions Options => options.Value;

    /// <summary>
    /// Copies content to a temporary file while hashing and checking it; refuses (too_large, unsupported_type, bad_request)
    /// as soon as it can. Nothing of a refused file remains.
    /// </summary>
    public async Task<Outcome<SpooledFile>> SpoolAsync(Stream content, CancellationToken ct)
    {
        // In the storage directory itself, so that keeping the file is a rename on the same file system.
        var path = Path.Combine(Options.InDatabase ? Path.GetTempPath() : Options.Directory, $".upload-{Guid.NewGuid():N}");
        var keep = false;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var text = new FileTypes.TextCheck();
            var head = new byte[FileTypes.HeadLength];
            var headLength = 0;
            long size = 0;
            var buffer = new byte[81920];
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > Options.MaxBytes)
                        return new Problem(ProblemCode.TooLarge, $"The file is larger than {Options.MaxBytes} bytes.");
                    var chunk = buffer.AsMemory(0, read);
                    if (headLength < head.Length)
                    {
                        var take = Math.Min(read, head.Length - headLength);
                        chunk.Span[..take].CopyTo(head.AsSpan(headLength));
                        headLength += take;
                    }
                    hash.AppendData(chunk.Span);
                    text.Add(chunk.Span);
                    await file.WriteAsync(chunk, ct);
                }
            }
            text.Add([], last: true);
            if (size == 0) return new Problem(ProblemCode.BadRequest, "The file is empty.");
            var type = FileTypes.FromHead(head.AsSpan(0, headLength)) ?? (text.IsText ? FileTypes.Text : null);
            if (type is null || !Options.Allowed.Contains(type))
                return new Problem(ProblemCode.UnsupportedType, $"Only these kinds of file may be attached: {string.Join(", ", Options.Allowed)} (decided from the file's contents, not its name).");
            keep = true;
            return new SpooledFile(path, size, hash.GetHashAndReset(), type);
        }
        finally
        {
            if (!keep) File.Delete(path);
        }
    }

    /// <summary>Stores the spooled file and sends it as a message (its body: the caption, or else the file name).</summary>
    public async Task<Outcome<StoredMessage>> SendAsync(Sender sender, Guid conversationId, SpooledFile file, UploadDetails details, CancellationToken ct)
    {
        var state = await conversations.StateAsync(sender, conversationId);
        if (state.Error is { } denied) return denied;
        var name = CleanFileName(details.FileName);
        if (name is null) return new Problem(ProblemCode.BadRequest, "The file has no name.");
        string? thumbnailType = null;
        if (details.Thumbnail is { } thumbnail)
        {
            thumbnailType = FileTypes.FromHead(thumbnail);
            if (!FileTypes.IsImage(file.ContentType) || thumbnail.Length > AttachmentOptions.MaxThumbnailBytes
                || thumbnailType is not (FileTypes.Png or FileTypes.Jpeg or FileTypes.WebP))
                return new Problem(ProblemCode.BadRequest, $"A thumbnail goes with an image only, and is a PNG, JPEG or WebP of at most {AttachmentOptions.MaxThumbnailBytes} bytes.");
        }

        var storagePath = Options.InDatabase ? null : Convert.ToHexStringLower(file.Sha256);
        Guid id;
        if (storagePath is null)
        {
            await using var content = new FileStream(file.TempPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
            id = await AttachmentStore.InsertAsync(db, Row(content, null), ct);
        }
        else
        {
            // Named by content: the same file uploaded twice is kept once.
            var target = Path.Combine(Options.Directory, storagePath);
            if (!File.Exists(target)) File.Move(file.TempPath, target, overwrite: true);
            try { id = await AttachmentStore.InsertAsync(db, Row(null, storagePath), CancellationToken.None); }
            catch
            {
                await DiscardFileAsync(storagePath);
                throw;
            }
        }

        Outcome<StoredMessage> sent;
        try
        {
            var body = string.IsNullOrWhiteSpace(details.Caption) ? name : details.Caption;
            sent = await conversations.SendAsync(sender, conversationId, details.ClientMsgId, body, ct,
                attachment: new MessageAttachment(id, name, file.ContentType, file.Size, thumbnailType is not null));
        }
        catch
        {
            await DiscardAsync(id);
            throw;
        }
        // Refused (a bad caption, the visitor's message budget) or a retry of a message already stored: this copy is not kept.
        if (sent.Error is not null || sent.Value!.Duplicate) await DiscardAsync(id);
        return sent;

        NewAttachment Row(Stream? content, string? path) => new(conversationId, sender.Kind,
            sender.AdminId, name, file.ContentType, file.Size, file.Sha256, content, path, details.Thumbnail, thumbnailType);
    }

    async Task DiscardAsync(Guid id)
    {
        if (await AttachmentStore.DeleteUnlinkedAsync(db, id) is { } unused) await DiscardFileAsync(unused);
    }

    async Task DiscardFileAsync(string storagePath)
    {
        // Another upload of the same bytes may have been stored meanwhile; its row keeps the file.
        if (!await AttachmentStore.IsFileUsedAsync(db, storagePath)) File.Delete(Path.Combine(Options.Directory, storagePath));
    }

    /// <summary>The file's bytes: from PostgreSQL, or from the directory when the row names a path.</summary>
    public async Task<Stream?> OpenAsync(AttachmentFile file)
    {
        if (file.StoragePath is not null)
        {
            var path = Path.Combine(Options.Directory, file.StoragePath);
            return File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous) : null;
        }
        return await AttachmentStore.ContentAsync(db, file.Id) is { } bytes ? new MemoryStream(bytes, writable: false) : null;
    }

    /// <summary>The last path segment, without control characters, at most 255 characters (keeping the extension); null when nothing is left.</summary>
    public static string? CleanFileName(string? name)
    {
        if (name is null) return null;
        name = name[(name.LastIndexOfAny(['/', '\\']) + 1)..];
        name = new string(name.Where(c => !char.IsControl(c) && c is not ('"')).ToArray()).Trim();
        if (name.Length > MaxFileNameLength)
        {
            var extension = Path.GetExtension(name);
            if (extension.Length > 20) extension = "";
            name = name[..(MaxFileNameLength - extension.Length)] + extension;
        }
        return name.Trim('.', ' ').Length == 0 ? null : name;
    }
}
