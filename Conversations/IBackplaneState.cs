namespace SupportChat.Conversations;

/// <summary>
/// Whether the shared backplane (Redis) answers. Every user of Redis asks IsUp first and, when it is down, uses its
/// local fallback at once instead of waiting for a timeout; a failed call is reported so the next ones fall back too.
/// </summary>
public interface IBackplaneState
{
    bool IsUp { get; }

    /// <summary>When the latest outage began (UTC); MinValue if there was none.</summary>
    DateTime LastDownAt { get; }

    /// <summary>A Redis call failed (connection lost, timeout): treat Redis as down until the background probe gets an answer.</summary>
    void ReportFailure(Exception ex);
}
