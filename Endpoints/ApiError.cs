namespace SupportChat.Endpoints;

/// <summary>
/// The one error shape of the HTTP API and the sockets: { "error": code, "message": text }.
/// Codes are stable: bad_request, too_large, unsupported_type, rate_limited, unauthorized, forbidden, not_found, conflict, unavailable.
/// </summary>
public sealed record ApiError(string Error, string Message)
{

    public static IResult BadRequest(string message) => Result(StatusCodes.Status400BadRequest, "bad_request", message);
    public static IResult Unauthorized(string message = "Log in first.") => Result(StatusCodes.Status401Unauthorized, "unauthorized", message);
    public static IResult Forbidden(string message) => Result(StatusCodes.Status403Forbidden, "forbidden", message);
    public static IResult NotFound(string message) => Result(StatusCodes.Status404NotFound, "not_found", message);
    public static IResult Conflict(string message) => Result(StatusCodes.Status409Conflict, "conflict", message);
    public static IResult Unavailable(string message) => Result(StatusCodes.Status503ServiceUnavailable, "unavailable", message);
    public static IResult TooLarge(string message) => Result(StatusCodes.Status413PayloadTooLarge, "too_large", message);
    /// <summary>An attachment whose bytes are not of an allowed type (whatever its name or header claims).</summary>
    public static IResult UnsupportedType(string message) => Result(StatusCodes.Status415UnsupportedMediaType, "unsupported_type", message);

    public static IResult RateLimited(TimeSpan retryAfter, string message = "Too many requests; try again later.") =>
        new RateLimitedResult(retryAfter, new ApiError("rate_limited", message));

    static IResult Result(int status, string code, string message) => TypedResults.Json(new ApiError(code, message), statusCode: status);

    sealed class RateLimitedResult(TimeSpan retryAfter, ApiError error) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
            return TypedResults.Json(error, statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(http);
        }
    }
}

public static class ApiErrorHandling
{
    public static void AddApiErrors(this IServiceCollection services) =>
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    /// <summary>Malformed JSON, a missing body or one over the size limit get the same error shape as everything else.</summary>
    public static void UseApiErrors(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
            {
                http.Response.StatusCode = ex.StatusCode;
            }
            // An API error the framework answered with an empty body (bad JSON, body too large, no such route) gets the shape too.
            if (!http.Response.HasStarted && http.Response.ContentLength is null or 0 && http.Request.Path.StartsWithSegments("/api")
                && http.Response.StatusCode is >= 400 and < 500)
            {
                var error = http.Response.StatusCode switch
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
}
