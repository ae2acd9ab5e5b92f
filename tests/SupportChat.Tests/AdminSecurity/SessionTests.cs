using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

public sealed class SessionTests(TestApp fixture) : IClassFixture<TestApp>
{
    readonly SupportChatApp app = fixture.App;

    /// <summary>A client that presents a session cookie from the given User-Agent and IP.</summary>
    HttpClient ClientWith(string cookie, string userAgent, string ip)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        client.DefaultRequestHeaders.Add(SupportChatApp.ClientIpHeader, ip);
        return client;
    }

    [Fact]
    public async Task A_cookie_reused_from_another_user_agent_is_refused_and_the_session_revoked()
    {
        var admin = await TestEnrollment.EnrollAsync(app, ip: "192.168.7.10");
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.GetAsync("/api/admin/me")).StatusCode);
        var thief = ClientWith(admin.Cookie, "Evil/1.0", "192.168.7.10");
        Assert.Equal(HttpStatusCode.Unauthorized, (await thief.GetAsync("/api/admin/me")).StatusCode);

        // The owner's own client is now refused too: the session is gone.
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.Client.GetAsync("/api/admin/me")).StatusCode);
        Assert.Contains(await TestEnrollment.AuditAsync(fixture.ConnectionString),
            a => a.Action == "session.revoked" && a.AdminId == admin.AdminId && a.Details.GetProperty("reason").GetString() == "binding_mismatch");
    }

    [Fact]
    public async Task A_cookie_reused_from_another_ip_is_refused_under_exact_binding()
    {
        var admin = await TestEnrollment.EnrollAsync(app, ip: "192.168.7.10");
        var thief = ClientWith(admin.Cookie, TestAdmins.UserAgent, "192.168.7.11");
        Assert.Equal(HttpStatusCode.Unauthorized, (await thief.GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.Client.GetAsync("/api/admin/me")).StatusCode);
    }

    [Fact]
    public async Task Subnet_binding_accepts_the_same_network_and_refuses_another()
    {
        await using var subnetApp = new SupportChatApp(fixture.ConnectionString, new Dictionary<string, string?> { ["Admin:IpBinding"] = "Subnet" });
        var admin = await TestEnrollment.EnrollAsync(subnetApp, ip: "192.168.7.10");
        Assert.Equal(HttpStatusCode.OK, (await WithIp(admin.Client, "192.168.7.99").GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithIp(admin.Client, "192.168.8.10").GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithIp(admin.Client, "192.168.7.10").GetAsync("/api/admin/me")).StatusCode);
    }

    static HttpClient WithIp(HttpClient client, string ip)
    {
        client.DefaultRequestHeaders.Remove(SupportChatApp.ClientIpHeader);
        client.DefaultRequestHeaders.Add(SupportChatApp.ClientIpHeader, ip);
        return client;
    }

    [Fact]
    public async Task State_changes_need_the_csrf_token_and_the_own_origin()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        async Task<HttpStatusCode> PostAsync(string? csrf, string? origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/admins") { Content = JsonContent.Create(new { username = "x" + Guid.NewGuid().ToString("N")[..6], displayName = "X" }) };
            request.Headers.Remove("Origin");
            if (origin is not null) request.Headers.Add("Origin", origin);
            var client = TestEnrollment.Client(app);
            client.DefaultRequestHeaders.Remove("Origin");
            client.DefaultRequestHeaders.Add("Cookie", admin.Cookie);
            if (csrf is not null) client.DefaultRequestHeaders.Add("X-CSRF-Token", csrf);
            return (await client.SendAsync(request)).StatusCode;
        }
        var own = admin.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(null, own));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync("wrong", own));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(admin.CsrfToken, "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(admin.CsrfToken, null));
        Assert.Equal(HttpStatusCode.Created, await PostAsync(admin.CsrfToken, own));
        // Reads need the session, not the token.
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.GetAsync("/api/admin/admins")).StatusCode);
    }

    [Fact]
    public async Task Expired_idle_and_revoked_sessions_are_refused()
    {
        var expired = await TestEnrollment.EnrollAsync(app);
        var idle = await TestEnrollment.EnrollAsync(app);
        var revoked = await TestEnrollment.EnrollAsync(app);
        await using var c = new NpgsqlConnection(fixture.ConnectionString);
        await c.ExecuteAsync("UPDATE admin_sessions SET expires_at = now() - interval '1 second' WHERE admin_id = @AdminId", new { expired.AdminId });
        await c.ExecuteAsync("UPDATE admin_sessions SET last_seen_at = now() - interval '2 hours' WHERE admin_id = @AdminId", new { idle.AdminId });
        await c.ExecuteAsync("UPDATE admin_sessions SET revoked_at = now() WHERE admin_id = @AdminId", new { revoked.AdminId });
        foreach (var a in new[] { expired, idle, revoked })
            Assert.Equal(HttpStatusCode.Unauthorized, (await a.Client.GetAsync("/api/admin/me")).StatusCode);
    }

    [Fact]
    public async Task Using_a_session_keeps_it_from_idling_out()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        await using var c = new NpgsqlConnection(fixture.ConnectionString);
        await c.ExecuteAsync("UPDATE admin_sessions SET last_seen_at = now() - interval '50 minutes' WHERE admin_id = @AdminId", new { admin.AdminId });
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.GetAsync("/api/admin/me")).StatusCode);
        Assert.True(await c.ExecuteScalarAsync<bool>(
            "SELECT bool_and(last_seen_at > now() - interval '1 minute') FROM admin_sessions WHERE admin_id = @AdminId", new { admin.AdminId }));
    }

    [Fact]
    public async Task Logout_ends_the_session_and_logout_everywhere_ends_all()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        var second = TestEnrollment.Client(app, userAgent: "Phone/2.0");
        var login = await second.PostAsJsonAsync("/api/admin/login", new { username = admin.Username, code = TestEnrollment.Code(admin.Secret, 1) });
        TestEnrollment.UseSessionFrom(second, login);
        second.DefaultRequestHeaders.Add("X-CSRF-Token", (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrfToken").GetString());

        var sessions = await admin.Client.GetFromJsonAsync<JsonElement>("/api/admin/sessions");
        Assert.Equal(2, sessions.GetArrayLength());
        Assert.Single(sessions.EnumerateArray(), s => s.GetProperty("current").GetBoolean());
        Assert.Contains(sessions.EnumerateArray(), s => s.GetProperty("userAgent").GetString() == "Phone/2.0");

        Assert.Equal(HttpStatusCode.OK, (await second.PostAsync("/api/admin/logout-everywhere", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.Client.GetAsync("/api/admin/me")).StatusCode);

        var other = await TestEnrollment.EnrollAsync(app);
        Assert.Equal(HttpStatusCode.NoContent, (await other.Client.PostAsync("/api/admin/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.Client.GetAsync("/api/admin/me")).StatusCode);

        var audit = await TestEnrollment.AuditAsync(fixture.ConnectionString);
        Assert.Contains(audit, a => a.Action == "logout.everywhere" && a.AdminId == admin.AdminId);
        Assert.Contains(audit, a => a.Action == "logout" && a.AdminId == other.AdminId);
    }

    [Fact]
    public async Task An_admin_can_revoke_one_of_their_sessions_but_not_someone_elses()
    {
        var admin = await TestEnrollment.EnrollAsync(app);
        var stranger = await TestEnrollment.EnrollAsync(app);
        var strangerSession = (await stranger.Client.GetFromJsonAsync<JsonElement>("/api/admin/sessions"))[0].GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.Client.DeleteAsync($"/api/admin/sessions/{strangerSession}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await stranger.Client.GetAsync("/api/admin/me")).StatusCode);

        var own = (await admin.Client.GetFromJsonAsync<JsonElement>("/api/admin/sessions"))[0].GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Client.DeleteAsync($"/api/admin/sessions/{own}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.Client.GetAsync("/api/admin/me")).StatusCode);
    }
}
