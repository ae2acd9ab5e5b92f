namespace SupportChat.Conversations;

/// <summary>Why the domain refused an action. Each transport maps it once: Endpoints to an HTTP status, Sockets to an error frame.</summary>
public enum ProblemCode
{
    BadRequest,
    TooLarge,
    UnsupportedType,
    RateLimited,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Unavailable,
    SessionEnded,
}

/// <summary>A refusal with a message for the client; RetryAfter says when a rate-limited caller may try again.</summary>
public sealed record Problem(ProblemCode Code, string Message)
{
    public TimeSpan? RetryAfter { get; init; }
}

public static class ProblemCodes
{
    /// <summary>The stable code clients see in { "error": code, "message": text }.</summary>
    public static string Wire(this ProblemCode code) => code switch
    {
        ProblemCode.BadRequest => "bad_request",
        ProblemCode.TooLarge => "too_large",
        ProblemCode.UnsupportedType => "unsupported_type",
        ProblemCode.RateLimited => "rate_limited",
        ProblemCode.Unauthorized => "unauthorized",
        ProblemCode.Forbidden => "forbidden",
        ProblemCode.NotFound => "not_found",
        ProblemCode.Conflict => "conflict",
        ProblemCode.Unavailable => "unavailable",
        ProblemCode.SessionEnded => "session_ended",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };
}
