using System.Net;

namespace SupportChat.Conversations;

/// <summary>Where the service listens and the address people reach it at (links sent by admins, Telegram and enrollment).</summary>
public sealed class ServerOptions
{
    public const string Section = "Server";
    public int Port { get; set; } = 8080;
    public string ListenAddress { get; set; } = "127.0.0.1";
    /// <summary>The address people use to reach the service (links printed and sent); default http://localhost:Port.</summary>
    public string? PublicUrl { get; set; }

    public string BaseUrl => (string.IsNullOrWhiteSpace(PublicUrl) ? $"http://localhost:{Port}" : PublicUrl).TrimEnd('/');

    public IEnumerable<string> Errors()
    {
        if (Port is < 1 or > 65535)
            yield return $"Server:Port is {Port}: expected a TCP port from 1 to 65535";
        if (!IPAddress.TryParse(ListenAddress, out _))
            yield return $"Server:ListenAddress is '{ListenAddress}': expected an IP address such as 127.0.0.1 or 0.0.0.0";
        if (!string.IsNullOrWhiteSpace(PublicUrl) && (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
            yield return $"Server:PublicUrl is '{PublicUrl}': expected an absolute http(s) URL such as https://support.example";
    }
}
