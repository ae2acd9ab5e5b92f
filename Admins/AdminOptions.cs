using System.Net;

namespace SupportChat.Admins;

public enum IpBinding { Exact, Subnet, Off }

public sealed class AdminOptions
{
    public const string Section = "Admin";
    /// <summary>A session unused for this long ends.</summary>
    public int SessionIdleMinutes { get; set; } = 60;
    /// <summary>A session ends this long after login, used or not.</summary>
    public int SessionLifetimeHours { get; set; } = 12;
    /// <summary>How strictly a session is tied to the IP it logged in from: Exact, Subnet (same /24 or /64) or Off.</summary>
    public IpBinding IpBinding { get; set; } = IpBinding.Exact;
    /// <summary>Mark the session cookie Secure even on plain HTTP requests (behind a TLS-terminating proxy).</summary>
    public bool AlwaysSecureCookies { get; set; }
    /// <summary>Failed logins allowed from one IP (whatever the usernames) within LoginFailureWindowMinutes.</summary>
    public int LoginFailureLimit { get; set; } = 5;
    /// <summary>Failed logins allowed for one username (from all IPs together) within LoginFailureWindowMinutes.</summary>
    public int LoginFailureLimitPerUsername { get; set; } = 50;
    public int LoginFailureWindowMinutes { get; set; } = 5;
    public int EnrollmentLinkMinutes { get; set; } = 30;
    /// <summary>Addresses of reverse proxies whose X-Forwarded-For / -Proto are believed.</summary>
    public string[] TrustedProxies { get; set; } = [];

    public IEnumerable<string> Errors()
    {
        if (SessionIdleMinutes is < 1 or > 24 * 60) yield return $"Admin:SessionIdleMinutes is {SessionIdleMinutes}: expected 1 to 1440";
        if (SessionLifetimeHours is < 1 or > 24 * 30) yield return $"Admin:SessionLifetimeHours is {SessionLifetimeHours}: expected 1 to 720";
        if (LoginFailureLimit is < 1 or > 1000) yield return $"Admin:LoginFailureLimit is {LoginFailureLimit}: expected 1 to 1000";
        if (LoginFailureLimitPerUsername is < 1 or > 100_000) yield return $"Admin:LoginFailureLimitPerUsername is {LoginFailureLimitPerUsername}: expected 1 to 100000";
        if (LoginFailureWindowMinutes is < 1 or > 24 * 60) yield return $"Admin:LoginFailureWindowMinutes is {LoginFailureWindowMinutes}: expected 1 to 1440";
        if (EnrollmentLinkMinutes is < 1 or > 7 * 24 * 60) yield return $"Admin:EnrollmentLinkMinutes is {EnrollmentLinkMinutes}: expected 1 to 10080";
        for (var i = 0; i < TrustedProxies.Length; i++)
            if (!IPAddress.TryParse(TrustedProxies[i], out _))
                yield return $"Admin:TrustedProxies:{i} is '{TrustedProxies[i]}': expected an IP address";
    }
}
