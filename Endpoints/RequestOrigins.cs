using SupportChat.Conversations;

namespace SupportChat.Endpoints;

/// <summary>The one place a request's origin (IP, user agent, Origin header) is read from HTTP.</summary>
public static class RequestOrigins
{
    public static RequestOrigin Of(HttpContext http) =>
        new(AdminAuthentication.ClientIp(http), AdminAuthentication.UserAgent(http), http.Request.Headers.Origin.ToString() is { Length: > 0 } o ? o : null);
}
