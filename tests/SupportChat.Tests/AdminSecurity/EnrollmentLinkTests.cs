using SupportChat.Conversations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Endpoints;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

/// <summary>An enrollment link enrolls one pending admin once; it can never take over an account.</summary>
public sealed class EnrollmentLinkTests(TestApp fixture) : IClassFixture<TestApp>
{
    readonly SupportChatApp app = fixture.App;

    async Task<string> InviteAsync(EnrolledAdmin lead, string username)
    {
        var invite = await lead.Client.PostAsJsonAsync("/api/admin/admins", new { username, displayName = username });
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        return TestEnrollment.TokenOf((await invite.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!);
    }

    static Task<HttpResponseMessage> StartAsync(HttpClient client, string token) =>
        client.PostAsJsonAsync("/api/admin/enrollment/start", new { token });

    static async Task<HttpResponseMessage> CompleteAsync(HttpClient client, string token)
    {
        var offer = await (await StartAsync(client, token)).Content.ReadFromJsonAsync<JsonElement>();
        return await client.PostAsJsonAsync("/api/admin/enrollment/complete", new { token, code = TestEnrollment.Code(offer.GetProperty("secret").GetString()!) });
    }

    [Fact]
    public async Task A_new_invitation_revokes_the_earlier_link_which_then_cannot_re_enroll_the_admin()
    {
        var lead = await TestEnrollment.EnrollAsync(app);
        var first = await InviteAsync(lead, "carol");
        var client = TestEnrollment.Client(app, userAgent: "Carol/1.0");
        Assert.Equal(HttpStatusCode.OK, (await StartAsync(client, first)).StatusCode); // its secret is now stored on the link
        var second = await InviteAsync(lead, "carol");

        var stale = await StartAsync(TestEnrollment.Client(app), first);
        Assert.Equal(HttpStatusCode.NotFound, stale.StatusCode);
        Assert.Equal("not_found", (await stale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        var done = await CompleteAsync(client, second);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        TestEnrollment.UseSessionFrom(client, done);

        // The first link cannot replace Carol's secret or end her sessions now either.
        Assert.Equal(HttpStatusCode.NotFound, (await StartAsync(TestEnrollment.Client(app), first)).StatusCode);
        var takeover = await TestEnrollment.Client(app).PostAsJsonAsync("/api/admin/enrollment/complete", new { token = first, code = "123456" });
        Assert.Equal(HttpStatusCode.NotFound, takeover.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/me")).StatusCode);

        // Links are kept as hashes only, and no used or revoked link keeps a TOTP secret.
        await using var c = new NpgsqlConnection(fixture.ConnectionString);
        var rows = (await c.QueryAsync<(byte[] Hash, string? Secret)>("""
            SELECT e.token_hash, e.totp_secret FROM admin_enrollments e JOIN admins a ON a.id = e.admin_id WHERE a.username = 'carol' ORDER BY e.id
            """)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal([Tokens.Hash(first), Tokens.Hash(second)], rows.Select(r => r.Hash));
        Assert.All(rows, r => Assert.Null(r.Secret));
        Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT count(*) FROM admin_enrollments WHERE used_at IS NOT NULL AND totp_secret IS NOT NULL"));
    }

    [Fact]
    public async Task A_removed_admins_old_link_stays_dead_after_a_new_invitation()
    {
        var lead = await TestEnrollment.EnrollAsync(app);
        var old = await InviteAsync(lead, "dave");
        var daveId = (await lead.Client.GetFromJsonAsync<JsonElement>("/api/admin/admins")).EnumerateArray()
            .Single(a => a.GetProperty("username").GetString() == "dave").GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await lead.Client.DeleteAsync($"/api/admin/admins/{daveId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await StartAsync(TestEnrollment.Client(app), old)).StatusCode);

        var fresh = await InviteAsync(lead, "dave");
        Assert.Equal(HttpStatusCode.NotFound, (await StartAsync(TestEnrollment.Client(app), old)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CompleteAsync(TestEnrollment.Client(app), fresh)).StatusCode);
    }

    [Fact]
    public async Task An_invitation_link_does_not_enroll_an_admin_who_is_already_active()
    {
        // A link left from before this rule: an invitation row for an admin who has since become active.
        var admin = await TestEnrollment.EnrollAsync(app);
        var token = Tokens.Random();
        await using (var c = new NpgsqlConnection(fixture.ConnectionString))
            await c.ExecuteAsync("""
                INSERT INTO admin_enrollments (admin_id, token_hash, expires_at) VALUES (@AdminId, @hash, now() + interval '10 minutes')
                """, new { admin.AdminId, hash = Tokens.Hash(token) });
        Assert.Equal(HttpStatusCode.NotFound, (await StartAsync(TestEnrollment.Client(app), token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.GetAsync("/api/admin/me")).StatusCode);
    }

    [Fact]
    public async Task Of_invitations_sent_at_once_only_one_link_works()
    {
        var lead = await TestEnrollment.EnrollAsync(app);
        var tokens = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => InviteAsync(lead, "frank")));
        var statuses = await Task.WhenAll(tokens.Select(async t => (await StartAsync(TestEnrollment.Client(app), t)).StatusCode));
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.NotFound));
    }
}
