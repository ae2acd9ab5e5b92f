namespace SupportChat.Endpoints;

/// <summary>The CORS policy and the rate limits an endpoint group opts into (RequireCors, RequireRateLimiting).</summary>
public static class Security
{
    public const string WidgetCors = "widget";
    public const string VisitorLimit = "visitor";
    public const string AdminLimit = "admin";
}
