using System.Diagnostics;
using System.Text.Json.Serialization;
using Npgsql;
using SupportChat.Conversations;

namespace SupportChat.Endpoints;

/// <summary>
/// The one error shape of the HTTP API and the sockets: { "error": code, "message": text }, and "traceId" on a fault.
/// Codes are stable: bad_request, too_large, unsupported_type, rate_limited, unauthorized, forbidden, not_found, conflict, unavailable,
/// internal_error.
/// </summary>
public sealed record ApiError(string Error, string Message)
{
    /// <summary>On a fault (500): the id the server's log line carries, so that a report can be matched to it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceId { get; init; }

    public static BadRequestError BadRequest(string message) => new(Of(ProblemCode.BadRequest, message));
    public static UnauthorizedError Unauthorized(string message = "Log in first.") => new(Of(ProblemCode.Unauthorized, message));
    public static ForbiddenError Forbidden(string message) => new(Of(ProblemCode.Forbidden, message));
    public static NotFoundError NotFound(string message) => new(Of(ProblemCode.NotFound, message));
    public static ConflictError Conflict(string message) => new(Of(ProblemCode.Conflict, message));
    public static UnavailableError Unavailable(string message) => new(Of(ProblemCode.Unavailable, message));
    public static TooLargeError TooLarge(string message) => new(Of(ProblemCode.TooLarge, message));
    /// <summary>An attachment whose bytes are not of an allowed type (whatever its name or header claims).</summary>
    public static UnsupportedTypeError UnsupportedType(string message) => new(Of(ProblemCode.UnsupportedType, message));

    public static RateLimitedError RateLimited(TimeSpan retryAfter, string message = "Too many requests; try again later.") =>
        new(retryAfter, Of(ProblemCode.RateLimited, message));

    /// <summary>The one mapping of the domain's refusals to HTTP: the typed result of the problem's status (As picks it from a handler's declared results).</summary>
    public static ApiErrorResult From(Problem problem)
    {
        var error = Of(problem.Code, problem.Message);
        return problem.Code switch
        {
            ProblemCode.BadRequest => new BadRequestError(error),
            ProblemCode.TooLarge => new TooLargeError(error),
            ProblemCode.UnsupportedType => new UnsupportedTypeError(error),
            ProblemCode.RateLimited => new RateLimitedError(problem.RetryAfter ?? TimeSpan.FromSeconds(1), error),
            ProblemCode.Unauthorized or ProblemCode.SessionEnded => new UnauthorizedError(error),
            ProblemCode.Forbidden => new ForbiddenError(error),
            ProblemCode.NotFound => new NotFoundError(error),
            ProblemCode.Conflict => new ConflictError(error),
            ProblemCode.Unavailable => new UnavailableError(error),
            _ => throw new ArgumentOutOfRangeException(nameof(problem), problem.Code, null),
        };
    }

    static ApiError Of(ProblemCode code, string message) => new(code.Wire(), message);
}

public static partial class ApiErrorHandling
{
    public static void AddApiErrors(this IServiceCollection services) =>
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    /// <summary>
    /// First in the pipeline, so that nothing reaches the developer exception page (which shows the stack trace, the cookies
    /// and the CSRF header): client mistakes answer 400, a serialization conflict 409, any other fault 500 with a trace id,
    /// all in the one shape. Malformed JSON, a missing body or one over the size limit get the shape as well.
    /// </summary>
    public static void UseApiErrors(this WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiErrorHandling));
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (Exception ex) when (http.Response.HasStarted)
            {
                // Too late for a status: the client gets a cut connection, the log gets the fault.
                if (!IsClientGone(http, ex)) Faulted(log, ex, http.Request.Method, http.Request.Path, TraceId(http));
                http.Abort();
                return;
            }
            catch (Exception ex)
            {
                await ErrorFor(http, ex, log).ExecuteAsync(http);
                return;
            }
            // An API error the framework answered with an empty body (bad JSON, body too large, no such route) gets the shape too.
            if (!http.Response.HasStarted && http.Response.ContentLength is null or 0 && http.Request.Path.StartsWithSegments("/api")
                && http.Response.StatusCode is >= 400 and < 500)
            {
                ApiErrorResult error = http.Response.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => ApiError.TooLarge("The request body is too large."),
                    StatusCodes.Status404NotFound => ApiError.NotFound("No such API endpoint."),
                    StatusCodes.Status401Unauthorized => ApiError.Unauthorized(),
                    StatusCodes.Status403Forbidden => ApiError.Forbidden("Not allowed."),
                    _ => ApiError.BadRequest("The request is malformed."),
                };
                await error.ExecuteAsync(http);
            }
        });
    }

    static IResult ErrorFor(HttpContext http, Exception ex, ILogger log)
    {
        if (ex is BadHttpRequestException bad)
            return bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ApiError.TooLarge("The request body is too large.")
                : ApiError.BadRequest("The request is malformed or incomplete.");
        if (IsClientGone(http, ex))
        {
            ClientGone(log, http.Request.Method, http.Request.Path);
            return ApiError.BadRequest("The request ended before its body did.");
        }
        if (IsSerializationConflict(ex))
        {
            SerializationConflict(log, http.Request.Method, http.Request.Path);
            return ApiError.Conflict("Another change to the same data came first; reload and try again.");
        }
        var traceId = TraceId(http);
        Faulted(log, ex, http.Request.Method, http.Request.Path, traceId);
        return TypedResults.Json(new ApiError("internal_error", "Something went wrong on our side; it has been logged.") { TraceId = traceId },
            statusCode: StatusCodes.Status500InternalServerError);
    }

    /// <summary>A read from a client that closed or reset its connection, or whose request was aborted.</summary>
    static bool IsClientGone(HttpContext http, Exception ex) =>
        http.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException
        || ex is Microsoft.AspNetCore.Connections.ConnectionResetException;

    /// <summary>PostgreSQL refused a transaction that raced another (serializable isolation, or a deadlock): nothing was changed.</summary>
    static bool IsSerializationConflict(Exception ex) =>
        ex is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected }
        || ex.InnerException is { } inner && IsSerializationConflict(inner);

    static string TraceId(HttpContext http) => Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed; answered 500 with trace id {TraceId}")]
    static partial void Faulted(ILogger log, Exception ex, string method, string path, string traceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path}: the client went away before its request was read")]
    static partial void ClientGone(ILogger log, string method, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} lost a race with another transaction; answered 409")]
    static partial void SerializationConflict(ILogger log, string method, string path);
}
