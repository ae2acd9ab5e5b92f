using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SupportChat.Admins;
using SupportChat.Conversations;

namespace SupportChat.Endpoints;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";
    /// <summary>Requests per minute from one IP to the visitor API.</summary>
    public int VisitorPerMinute { get; set; } = 120;
    /// <summary>Requests per minute from one valid admin session (from one IP for anything else) to the admin API.</summary>
    public int AdminPerMinute { get; set; } = 600;

    public IEnumerable<string> Errors()
    {
        if (VisitorPerMinute < 1) yield return $"RateLimits:VisitorPerMinute is {VisitorPerMinute}: expected a positive number";
        if (AdminPerMinute < 1) yield return $"RateLimits:AdminPerMinute is {AdminPerMinute}: expected a positive number";
    }
}

/// <summary>
/// The HTTP budgets of endpoints marked RequireRateLimiting(Security.VisitorLimit or AdminLimit), shared by every instance
/// (IRateBudgets). Runs before admin authentication, so the admin budget is per session only for a session this
/// instance has already seen valid; any other request, made-up cookies included, is counted by IP and refused before
/// it costs a database lookup.
/// </summary>
public static class RateLimits
{
    public static void UseRateLimits(this WebApplication app)
    {
        var limits = app.Services.GetRequiredService<IRateBudgets>();
        var sessions = app.Services.GetRequiredService<AdminSessions>();
        var options = app.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var visitor = RateBudget.PerMinute(Security.VisitorLimit, options.VisitorPerMinute);
        var admin = RateBudget.PerMinute(Security.AdminLimit, options.AdminPerMinute);
        app.Use(async (http, next) =>
        {
            var (budget, key) = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName switch
            {
                null => (null, ""),
                Security.VisitorLimit => (visitor, IpKey(http)),
                Security.AdminLimit => (admin, AdminHttp.KnownSessionKey(http, sessions) ?? IpKey(http)),
                var other => throw new InvalidOperationException($"No rate limit is named '{other}'"),
            };
            if (budget is not null && await limits.TryTakeAsync(budget, key) is { } retryAfter)
            {
                await ApiError.RateLimited(retryAfter).ExecuteAsync(http);
                return;
            }
            await next(http);
        });
    }

    public static string IpKey(HttpContext http) => "ip:" + (RequestOrigins.Of(http).Ip ?? "unknown");
}
