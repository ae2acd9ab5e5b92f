using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

public sealed class HeadersAndLimitsTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Theory]
    [InlineData("GET", "/health/live")]
    [InlineData("GET", "/admin/")]
    [InlineData("GET", "/admin/enroll.html")]
    [InlineData("GET", "/api/admin/me")]
    [InlineData("POST", "/api/admin/login")]
    [InlineData("GET", "/no-such-page")]
    public async Task Every_response_carries_the_security_headers(string method, string path)
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var response = await app.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.False(response.Headers.Contains("Strict-Transport-Security")); // plain HTTP
    }

    [Fact]
    public async Task Api_responses_are_never_stored_by_a_cache()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var client = TestAdmins.CreateClient(app, admin);
        // /me carries the CSRF token; an error and the login endpoint are admin API responses too.
        foreach (var path in new[] { "/api/admin/me", "/api/admin/admins", "/api/admin/no-such-thing" })
        {
            var response = await client.GetAsync(path);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }
        var anonymous = await app.CreateClient().GetAsync("/api/admin/me");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("no-store", anonymous.Headers.CacheControl?.ToString());
        // A new visitor session's answer carries the visitor's token.
        var visitor = await app.CreateClient().PostAsJsonAsync("/api/visitor/sessions", new { });
        Assert.Equal(HttpStatusCode.Created, visitor.StatusCode);
        Assert.Equal("no-store", visitor.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task The_admin_page_has_no_inline_script()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        foreach (var page in new[] { "/admin/enroll.html" })
        {
            var html = await app.CreateClient().GetStringAsync(page);
            Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)[^>]*>", html);
            Assert.DoesNotMatch("\\son[a-z]+=", html);
        }
    }

    [Fact]
    public async Task Admin_endpoints_grant_no_cross_origin_access()
    {
        await using var app = new SupportChatApp(db.ConnectionString, new Dictionary<string, string?> { ["Widget:AllowedOrigins:0"] = "https://shop.example" });
        var client = app.CreateClient();
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/admin/login");
        preflight.Headers.Add("Origin", "https://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var response = await client.SendAsync(preflight);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task The_admin_api_is_rate_limited_with_retry_after()
    {
        await using var app = new SupportChatApp(db.ConnectionString, new Dictionary<string, string?> { ["RateLimits:AdminPerMinute"] = "3" });
        var admin = await TestEnrollment.EnrollAsync(app);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 4; i++) { last = await admin.Client.GetAsync("/api/admin/me"); statuses.Add(last.StatusCode); }
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.True(int.Parse(last.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal("rate_limited", (await last.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused_as_too_large()
    {
        // Kestrel enforces the limit, so this runs the shipped service.
        var (app, http) = await AppProcess.StartReadyAsync(new Dictionary<string, string> { ["Database:ConnectionString"] = db.ConnectionString });
        await using var _ = app;
        http.DefaultRequestHeaders.Add("Origin", http.BaseAddress!.GetLeftPart(UriPartial.Authority));
        var huge = new StringContent("{\"username\":\"" + new string('a', 100_000) + "\",\"code\":\"123456\"}", System.Text.Encoding.UTF8, "application/json");
        var response = await http.PostAsync("/api/admin/login", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("too_large", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }
}
