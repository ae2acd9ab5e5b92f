using SupportChat.Conversations;
using System.Net;
using SupportChat.Endpoints;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupportChat.Tests.AdminSecurity;

/// <summary>The admin budget is per session only for a session that is valid; junk cookies are counted by IP and cost no lookup.</summary>
public sealed class AdminRateLimitTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    const int PerMinute = 5;

    SupportChatApp App() => new(db.ConnectionString, new Dictionary<string, string?>
    {
        ["RateLimits:AdminPerMinute"] = PerMinute.ToString(),
        ["Admin:IpBinding"] = "Off",
    });

    static HttpRequestMessage Me(string ip, string? cookie)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/me");
        request.Headers.Add(SupportChatApp.ClientIpHeader, ip);
        request.Headers.UserAgent.ParseAdd(TestAdmins.UserAgent);
        if (cookie is not null) request.Headers.Add("Cookie", $"{AdminHttp.CookieName}={cookie}");
        return request;
    }

    [Fact]
    public async Task Random_session_cookies_do_not_buy_an_ip_new_requests_after_its_429()
    {
        await using var app = App();
        var client = app.CreateClient();
        const string ip = "203.0.113.7";
        var first = new List<HttpStatusCode>();
        for (var i = 0; i <= PerMinute; i++) first.Add((await client.SendAsync(Me(ip, null))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, first[^1]);

        var junk = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++) junk.Add((await client.SendAsync(Me(ip, Tokens.Random()))).StatusCode);
        output.WriteLine("junk cookies after the 429: " + string.Join(", ", junk.GroupBy(s => s).Select(g => $"{(int)g.Key}×{g.Count()}")));
        Assert.All(junk, s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        // Another network is not affected.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Me("198.51.100.9", Tokens.Random()))).StatusCode);
    }

    [Fact]
    public async Task A_valid_session_keeps_its_own_budget_while_its_network_spends_the_ip_budget()
    {
        await using var app = App();
        app.StartServer();
        var client = app.CreateClient();
        const string ip = "203.0.113.8";
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Me(ip, admin.Cookie))).StatusCode);

        for (var i = 0; i < 3 * PerMinute; i++) await client.SendAsync(Me(ip, Tokens.Random()));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.SendAsync(Me(ip, null))).StatusCode);

        // The admin's session was seen valid, so it is counted by itself: its budget is untouched by the junk (its first
        // request, before this instance knew it, was counted by IP).
        var mine = new List<HttpStatusCode>();
        for (var i = 0; i < PerMinute; i++) mine.Add((await client.SendAsync(Me(ip, admin.Cookie))).StatusCode);
        Assert.All(mine, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.SendAsync(Me(ip, admin.Cookie))).StatusCode);
    }
}
