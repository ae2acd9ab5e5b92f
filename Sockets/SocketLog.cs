namespace SupportChat.Sockets;

/// <summary>Source-generated log messages of the socket hot paths.</summary>
static partial class SocketLog
{
    [LoggerMessage(1, LogLevel.Debug, "{Kind} socket {ConnectionId} opened for {Subject}")]
    public static partial void Opened(ILogger log, string kind, long connectionId, string subject);

    [LoggerMessage(2, LogLevel.Debug, "{Kind} socket {ConnectionId} closed ({Status} {Reason})")]
    public static partial void Closed(ILogger log, string kind, long connectionId, int status, string reason);

    [LoggerMessage(3, LogLevel.Information, "Socket {ConnectionId} is too slow (outbound queue full or send timed out); closing it")]
    public static partial void TooSlow(ILogger log, long connectionId);

    [LoggerMessage(4, LogLevel.Debug, "Socket {ConnectionId} refused a frame: {Error}")]
    public static partial void FrameRefused(ILogger log, long connectionId, string error);

    [LoggerMessage(5, LogLevel.Debug, "Socket {ConnectionId} ended abruptly: {Reason}")]
    public static partial void Aborted(ILogger log, long connectionId, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Socket {ConnectionId} failed")]
    public static partial void Failed(ILogger log, Exception ex, long connectionId);

    [LoggerMessage(7, LogLevel.Information, "Closing {Count} socket(s) for shutdown")]
    public static partial void ShuttingDown(ILogger log, int count);
}
