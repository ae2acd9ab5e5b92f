using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace SupportChat.Endpoints;

/// <summary>
/// The OpenAPI document (/openapi/v1.json). Handlers list their own results; what the pipeline answers before a handler runs
/// (admin session, CSRF and Origin checks, rate limits) and the auth each operation needs are added here from endpoint metadata.
/// </summary>
public static class ApiDocument
{
    public const string AdminSession = "adminSession", CsrfToken = "csrfToken", VisitorToken = "visitorToken";

    public static void AddApiDocument(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[AdminSession] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Cookie, Name = AdminHttp.CookieName,
                Description = "The admin session, set by POST /api/admin/login (HttpOnly, SameSite=Strict).",
            };
            document.Components.SecuritySchemes[CsrfToken] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = AdminHttp.CsrfHeader,
                Description = "The session's CSRF token (csrfToken of login and /me), on every admin request but GET; the Origin must be the console's own.",
            };
            document.Components.SecuritySchemes[VisitorToken] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer",
                Description = "The visitor token POST /api/visitor/sessions returned, as Authorization: Bearer <token>.",
            };
            return Task.CompletedTask;
        });
        o.AddOperationTransformer(DescribeAccessAsync);
        o.AddSchemaTransformer((schema, context, _) =>
        {
            // Every error carries both; traceId only on a fault.
            if (context.JsonTypeInfo.Type == typeof(ApiError)) schema.Required = new HashSet<string> { "error", "message" };
            return Task.CompletedTask;
        });
    });

    /// <summary>Marks routes whose handlers authenticate the visitor by "Authorization: Bearer" (VisitorApi.AuthenticateAsync).</summary>
    public static TBuilder RequireVisitorToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new VisitorTokenRequired());

    public sealed class VisitorTokenRequired;

    static async Task DescribeAccessAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var method = context.Description.HttpMethod ?? "GET";
        var changesState = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method));
        if (metadata.OfType<AdminHttp.RequiresAdmin>().Any())
        {
            Require(operation, context, changesState ? [AdminSession, CsrfToken] : [AdminSession]);
            await AddErrorAsync(operation, context, StatusCodes.Status401Unauthorized, "No live admin session.", ct);
            if (changesState)
                await AddErrorAsync(operation, context, StatusCodes.Status403Forbidden, "Not from the console's own origin, or a missing or wrong CSRF token.", ct);
        }
        if (metadata.OfType<VisitorTokenRequired>().Any())
        {
            Require(operation, context, [VisitorToken]);
            await AddErrorAsync(operation, context, StatusCodes.Status401Unauthorized, "No visitor token, or an unknown or expired one.", ct);
        }
        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
            await AddErrorAsync(operation, context, StatusCodes.Status429TooManyRequests, "Too many requests; Retry-After says when to try again.", ct);
        await AddErrorAsync(operation, context, StatusCodes.Status500InternalServerError, "A fault on our side; traceId names its log line.", ct);
        if (operation.Responses?.TryGetValue("429", out var limited) == true && limited is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["Retry-After"] = new OpenApiHeader
            {
                Description = "Seconds to wait before trying again (at least 1).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
            };
        }
    }

    /// <summary>One requirement with all the schemes together (cookie and CSRF header are both needed).</summary>
    static void Require(OpenApiOperation operation, OpenApiOperationTransformerContext context, string[] schemes)
    {
        var requirement = new OpenApiSecurityRequirement();
        foreach (var scheme in schemes) requirement[new OpenApiSecuritySchemeReference(scheme, context.Document)] = [];
        operation.Security ??= [];
        operation.Security.Add(requirement);
    }

    /// <summary>An error response in the one shape, unless the handler already declares that status.</summary>
    static async Task AddErrorAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, string description, CancellationToken ct)
    {
        operation.Responses ??= new OpenApiResponses();
        var key = status.ToString();
        if (operation.Responses.ContainsKey(key)) return;
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = await ApiErrorSchemaAsync(context, ct) },
            },
        };
    }

    /// <summary>A reference to the one ApiError component, as the handlers' own error responses have.</summary>
    static async Task<IOpenApiSchema> ApiErrorSchemaAsync(OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var document = context.Document!;
        if (document.Components?.Schemas?.ContainsKey(nameof(ApiError)) != true)
            document.AddComponent(nameof(ApiError), await context.GetOrCreateSchemaAsync(typeof(ApiError), null, ct));
        return new OpenApiSchemaReference(nameof(ApiError), document);
    }
}
