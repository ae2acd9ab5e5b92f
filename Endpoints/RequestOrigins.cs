using SupportChat.Conversations;

namespace SupportChat.Endpoints;

/// <summary>The one place a request's origin (IP, user agent, Origin header) is read from HTTP.</summary>
public static class RequestOrigins
{
    public static RequestOrigin Of(HttpContext http) =>
        new(ClientIp(http), UserAgent(http), http.Request.Headers.Origin.ToString() is { Length: > 0 } o ? o : null);

    static string? ClientIp(HttpContext http) => http.Connection.RemoteIpAddress is { } ip
        ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
        : null;

    static string UserAgent(HttpContext http)
    {
        var ua = http.Request.Headers.UserAgent.ToString();
        return ua.Length > 512 ? ua[..512] : ua;
    }
}
