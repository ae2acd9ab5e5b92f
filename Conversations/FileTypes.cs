using System.Text;

namespace SupportChat.Conversations;

/// <summary>
/// The type of a file decided from its bytes alone: the client's file name and Content-Type header are never believed.
/// Markup (HTML, SVG, XML) is never recognised, so it can never be served back as something a browser runs.
/// </summary>
public static class FileTypes
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Gif = "image/gif";
    public const string WebP = "image/webp";
    public const string Pdf = "application/pdf";
    public const string Text = "text/plain";

    /// <summary>Every type this class can recognise; AllowedTypes may only name these.</summary>
    public static readonly string[] Known = [Png, Jpeg, Gif, WebP, Pdf, Text];

    /// <summary>Bytes needed from the start of a file to recognise a binary type.</summary>
    public const int HeadLength = 16;

    public static bool IsImage(string contentType) => contentType.StartsWith("image/", StringComparison.Ordinal);

    /// <summary>The binary type the first bytes announce, or null.</summary>
    public static string? FromHead(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return Png;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return Jpeg;
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8)) return Gif;
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return WebP;
        if (head.StartsWith("%PDF-"u8)) return Pdf;
        return null;
    }

    /// <summary>
    /// Checks, a chunk at a time, that a whole file is plain text: valid UTF-8 with no control characters but tab, CR and LF
    /// (a NUL or an escape code means a binary or a terminal trick, not a note), and not markup: text that starts with '&lt;'
    /// (HTML, SVG, XML) is refused, so that no browser is ever handed a page or a script under the name of a text file.
    /// </summary>
    public sealed class TextCheck
    {
        readonly Decoder decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
        readonly char[] chars = new char[8192];
        bool started;
        public bool IsText { get; private set; } = true;

        public void Add(ReadOnlySpan<byte> bytes, bool last = false)
        {
            if (!IsText) return;
            try
            {
                var flush = last;
                while (bytes.Length > 0 || flush)
                {
                    var take = Math.Min(bytes.Length, chars.Length / 2);
                    decoder.Convert(bytes[..take], chars, flush && take == bytes.Length, out var used, out var produced, out _);
                    foreach (var c in chars.AsSpan(0, produced))
                    {
                        if (char.IsControl(c) && c is not ('\t' or '\r' or '\n')) { IsText = false; return; }
                        if (started || char.IsWhiteSpace(c) || c == '\uFEFF') continue;
                        started = true;
                        if (c == '<') { IsText = false; return; }
                    }
                    bytes = bytes[used..];
                    if (bytes.Length == 0 && flush) flush = false;
                }
            }
            catch (DecoderFallbackException) { IsText = false; }
        }
    }
}
