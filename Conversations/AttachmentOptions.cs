namespace SupportChat.Conversations;

/// <summary>What may be attached, how big, and where the bytes are kept.</summary>
public sealed class AttachmentOptions
{
    public const string Section = "Attachments";
    public const int MaxThumbnailBytes = 64 * 1024;

    /// <summary>Largest file accepted, in bytes.</summary>
    public long MaxBytes { get; set; } = 10 * 1024 * 1024;
    /// <summary>Types (decided from the bytes) that may be attached, a subset of FileTypes.Known; empty means all of them.</summary>
    // Empty by default rather than the full list: the configuration binder appends configured items to an array's defaults.
    public string[] AllowedTypes { get; set; } = [];
    /// <summary>Empty: files are stored in PostgreSQL. Otherwise a directory where each file is named by its SHA-256.</summary>
    public string Directory { get; set; } = "";

    public bool InDatabase => string.IsNullOrWhiteSpace(Directory);
    public IReadOnlyList<string> Allowed => AllowedTypes.Length == 0 ? FileTypes.Known : AllowedTypes;

    public IEnumerable<string> Errors()
    {
        // PostgreSQL's bytea and one request body both top out well below 1 GB.
        if (MaxBytes is < 1 or > 512 * 1024 * 1024)
            yield return $"Attachments:MaxBytes is {MaxBytes}: expected 1 to 536870912 (bytes)";
        for (var i = 0; i < AllowedTypes.Length; i++)
            if (!FileTypes.Known.Contains(AllowedTypes[i]))
                yield return $"Attachments:AllowedTypes:{i} is '{AllowedTypes[i]}': expected one of {string.Join(", ", FileTypes.Known)}";
        if (!InDatabase && !Path.IsPathFullyQualified(Directory))
            yield return $"Attachments:Directory is '{Directory}': expected an absolute path, or empty to store files in PostgreSQL";
        else if (!InDatabase && !System.IO.Directory.Exists(Directory))
            yield return $"Attachments:Directory is '{Directory}': the directory does not exist; create it, writable by the service";
    }
}
