using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace SupportChat.Endpoints;

/// <summary>
/// An error answer in the one shape { error, message } with its status. Each concrete type also tells OpenAPI the response it
/// is, so a handler returning Results&lt;Ok&lt;T&gt;, BadRequestError, NotFoundError&gt; documents exactly those. Made by ApiError's factories.
/// </summary>
public abstract class ApiErrorResult(int statusCode, ApiError error) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ApiError>
{
    public int StatusCode => statusCode;
    int? IStatusCodeHttpResult.StatusCode => statusCode;
    public ApiError Value => error;
    object? IValueHttpResult.Value => error;

    public virtual Task ExecuteAsync(HttpContext http) => TypedResults.Json(error, statusCode: statusCode).ExecuteAsync(http);

    protected static void Describe(EndpointBuilder builder, int status) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ApiError), ["application/json"]));
}

public sealed class BadRequestError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status400BadRequest;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

public sealed class UnauthorizedError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status401Unauthorized;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

public sealed class ForbiddenError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status403Forbidden;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

public sealed class NotFoundError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status404NotFound;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

public sealed class ConflictError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status409Conflict;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

public sealed class TooLargeError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status413PayloadTooLarge;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

/// <summary>An attachment whose bytes are not of an allowed type (whatever its name or header claims).</summary>
public sealed class UnsupportedTypeError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status415UnsupportedMediaType;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

/// <summary>429 with Retry-After in whole seconds (at least 1); the document adds the header to every 429 (ApiDocument).</summary>
public sealed class RateLimitedError(TimeSpan retryAfter, ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status429TooManyRequests;
    public TimeSpan RetryAfter => retryAfter;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);

    public override Task ExecuteAsync(HttpContext http)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
        return base.ExecuteAsync(http);
    }
}

public sealed class UnavailableError(ApiError error) : ApiErrorResult(Status, error), IEndpointMetadataProvider
{
    const int Status = StatusCodes.Status503ServiceUnavailable;
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, Status);
}

/// <summary>
/// A domain refusal (ApiError.From) as the one of a handler's declared results it is: problem.As&lt;Ok&lt;T&gt;, NotFoundError&gt;().
/// A refusal the handler does not declare is a fault of that handler, not an answer to send.
/// </summary>
public static class DeclaredResults
{
    public static Results<T1, T2> As<T1, T2>(this ApiErrorResult e)
        where T1 : IResult where T2 : IResult => e switch
        {
            T1 a => a,
            T2 b => b,
            _ => throw Undeclared(e),
        };

    public static Results<T1, T2, T3> As<T1, T2, T3>(this ApiErrorResult e)
        where T1 : IResult where T2 : IResult where T3 : IResult => e switch
        {
            T1 a => a,
            T2 b => b,
            T3 c => c,
            _ => throw Undeclared(e),
        };

    public static Results<T1, T2, T3, T4> As<T1, T2, T3, T4>(this ApiErrorResult e)
        where T1 : IResult where T2 : IResult where T3 : IResult where T4 : IResult => e switch
        {
            T1 a => a,
            T2 b => b,
            T3 c => c,
            T4 d => d,
            _ => throw Undeclared(e),
        };

    public static Results<T1, T2, T3, T4, T5> As<T1, T2, T3, T4, T5>(this ApiErrorResult e)
        where T1 : IResult where T2 : IResult where T3 : IResult where T4 : IResult where T5 : IResult => e switch
        {
            T1 a => a,
            T2 b => b,
            T3 c => c,
            T4 d => d,
            T5 f => f,
            _ => throw Undeclared(e),
        };

    public static Results<T1, T2, T3, T4, T5, T6> As<T1, T2, T3, T4, T5, T6>(this ApiErrorResult e)
        where T1 : IResult where T2 : IResult where T3 : IResult where T4 : IResult where T5 : IResult where T6 : IResult => e switch
        {
            T1 a => a,
            T2 b => b,
            T3 c => c,
            T4 d => d,
            T5 f => f,
            T6 g => g,
            _ => throw Undeclared(e),
        };

    static InvalidOperationException Undeclared(ApiErrorResult e) =>
        new($"The domain answered {e.StatusCode} {e.Value.Error}, which this endpoint does not declare among its results.");
}
