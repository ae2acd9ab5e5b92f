using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

public sealed class LoginTests(TestApp fixture) : IClassFixture<TestApp>
{
    readonly SupportChatApp app = fixture.App;

    static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> LoginAsync(HttpClient client, string username, string code)
    {
        var response = await client.PostAsJsonAsync("/api/admin/login", new { username, code });
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(), response);
    }

    [Fact]
    public async Task Enrollment_shows_a_qr_code_and_uri_and_a_code_from_that_secret_logs_in()
    {
        var link = await TestEnrollment.LinkAsync(app, "alice");
        var client = TestEnrollment.Client(app);
        var token = TestEnrollment.TokenOf(link.Url);
        var offer = await (await client.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).Content.ReadFromJsonAsync<JsonElement>();
        var uri = offer.GetProperty("otpAuthUri").GetString()!;
        var secret = offer.GetProperty("secret").GetString()!;
        Assert.StartsWith("otpauth://totp/SupportChat:alice?secret=" + secret, uri);
        Assert.StartsWith("<svg", offer.GetProperty("qrSvg").GetString()!.TrimStart().Split('\n').Last(l => l.Contains("<svg")).TrimStart());

        // Reloading the page shows the same secret until a code proves it.
        var again = await (await client.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(secret, again.GetProperty("secret").GetString());

        var wrong = await client.PostAsJsonAsync("/api/admin/enrollment/complete", new { token, code = "000000" == TestEnrollment.Code(secret) ? "111111" : "000000" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var done = await client.PostAsJsonAsync("/api/admin/enrollment/complete", new { token, code = TestEnrollment.Code(secret) });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        TestEnrollment.UseSessionFrom(client, done);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/me")).StatusCode);

        // The link is spent.
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).StatusCode);

        // A fresh client logs in with the next code from the same secret.
        var other = TestEnrollment.Client(app);
        var (status, body, response) = await LoginAsync(other, "alice", TestEnrollment.Code(secret, 1));
        Assert.Equal(HttpStatusCode.OK, status);
        TestEnrollment.UseSessionFrom(other, response);
        Assert.Equal("alice", body.GetProperty("admin").GetProperty("username").GetString());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/admin/me")).StatusCode);

        // The secret is stored encrypted, not as the key the app showed.
        await using var c = new NpgsqlConnection(fixture.ConnectionString);
        var stored = await c.ExecuteScalarAsync<string>("SELECT totp_secret FROM admins WHERE username = 'alice'");
        Assert.DoesNotContain(secret, stored);
        Assert.True(await c.ExecuteScalarAsync<int>("SELECT count(*) FROM data_protection_keys") >= 1);
    }

    [Fact]
    public async Task A_code_is_accepted_once()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        var code = TestEnrollment.Code(admin.Secret, 1);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(TestEnrollment.Client(app), admin.Username, code)).Status);
        var (status, body, _) = await LoginAsync(TestEnrollment.Client(app), admin.Username, code);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("unauthorized", body.GetProperty("error").GetString());
        Assert.Contains(await TestEnrollment.AuditAsync(fixture.ConnectionString),
            a => a.Action == "login.failed" && a.Details.GetProperty("reason").GetString() == "code_reused");
    }

    [Fact]
    public async Task Unknown_user_and_wrong_code_look_the_same()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        var wrongCode = TestEnrollment.Code(admin.Secret, 5);
        var (s1, b1, _) = await LoginAsync(TestEnrollment.Client(app, ip: "10.1.0.1"), admin.Username, wrongCode);
        var (s2, b2, _) = await LoginAsync(TestEnrollment.Client(app, ip: "10.1.0.2"), "nobody_" + admin.Username, wrongCode);
        Assert.Equal(HttpStatusCode.Unauthorized, s1);
        Assert.Equal(s1, s2);
        Assert.Equal(b1.GetRawText(), b2.GetRawText());
    }

    [Fact]
    public async Task Brute_force_from_one_ip_is_throttled_across_usernames()
    {
        var client = TestEnrollment.Client(app, ip: "10.3.0.1");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, $"guess{i}", "123456")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(client, "guess9", "123456")).Status);
        // Another network is not punished for it.
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(TestEnrollment.Client(app, ip: "10.4.0.1"), "guess9", "123456")).Status);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"username\": 5}")]
    [InlineData("{\"username\": \"a\"}")]
    public async Task Malformed_logins_get_bad_request_and_store_nothing(string json)
    {
        var before = (await TestEnrollment.AuditAsync(fixture.ConnectionString)).Count;
        var response = await TestEnrollment.Client(app).PostAsync("/api/admin/login", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(before, (await TestEnrollment.AuditAsync(fixture.ConnectionString)).Count);
    }

    [Fact]
    public async Task A_login_from_a_foreign_origin_is_refused()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("Origin", "https://evil.example");
        var response = await client.PostAsJsonAsync("/api/admin/login", new { username = admin.Username, code = TestEnrollment.Code(admin.Secret, 1) });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task The_session_cookie_is_http_only_strict_and_secure_on_https()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        var http = await LoginAsync(TestEnrollment.Client(app), admin.Username, TestEnrollment.Code(admin.Secret, 1));
        var cookie = http.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sc_admin="));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie.Replace("samesite", ""), StringComparison.OrdinalIgnoreCase);

        var second = await TestEnrollment.EnrollAsync(app);
        var https = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost") });
        https.DefaultRequestHeaders.Add("Origin", "https://localhost");
        var response = await https.PostAsJsonAsync("/api/admin/login", new { username = second.Username, code = TestEnrollment.Code(second.Secret, 1) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("secure", response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sc_admin=")), StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single());
    }
}
