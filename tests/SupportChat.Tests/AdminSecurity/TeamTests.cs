using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

public sealed class TeamTests(TestApp fixture) : IClassFixture<TestApp>
{
    readonly SupportChatApp app = fixture.App;

    [Fact]
    public async Task An_invited_admin_enrolls_through_the_link_and_a_removed_admin_is_locked_out()
    {
        var lead = await TestEnrollment.EnrollAsync(app);
        var invite = await lead.Client.PostAsJsonAsync("/api/admin/admins", new { username = "Bob", displayName = "Bob B." });
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var link = await invite.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bob", link.GetProperty("admin").GetProperty("username").GetString());
        Assert.Equal("pending", link.GetProperty("admin").GetProperty("status").GetString());
        var url = link.GetProperty("url").GetString()!;
        Assert.Contains("/admin/enroll.html#token=", url);

        // Bob opens the link, adds the secret to his app and proves it.
        var bob = TestEnrollment.Client(app, userAgent: "Bob/1.0");
        var token = TestEnrollment.TokenOf(url);
        var offer = await (await bob.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).Content.ReadFromJsonAsync<JsonElement>();
        var done = await bob.PostAsJsonAsync("/api/admin/enrollment/complete", new { token, code = TestEnrollment.Code(offer.GetProperty("secret").GetString()!) });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        TestEnrollment.UseSessionFrom(bob, done);
        var bobId = (await done.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("admin").GetProperty("id").GetInt64();

        var team = await lead.Client.GetFromJsonAsync<JsonElement>("/api/admin/admins");
        Assert.Contains(team.EnumerateArray(), a => a.GetProperty("username").GetString() == "bob" && a.GetProperty("status").GetString() == "active");

        // Inviting an active admin again is refused.
        Assert.Equal(HttpStatusCode.Conflict, (await lead.Client.PostAsJsonAsync("/api/admin/admins", new { username = "bob", displayName = "Bob" })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await lead.Client.DeleteAsync($"/api/admin/admins/{bobId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bob.GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await lead.Client.DeleteAsync($"/api/admin/admins/{bobId}")).StatusCode);

        var audit = await TestEnrollment.AuditAsync(fixture.ConnectionString);
        Assert.Contains(audit, a => a.Action == "admin.invited" && a.AdminId == lead.AdminId && a.TargetId == bobId.ToString());
        Assert.Contains(audit, a => a.Action == "admin.enrolled" && a.AdminId == bobId);
        Assert.Contains(audit, a => a.Action == "admin.removed" && a.AdminId == lead.AdminId && a.TargetId == bobId.ToString());
        Assert.Contains(audit, a => a.Action == "login.succeeded" || a.Action == "admin.enrolled");
    }

    [Theory]
    [InlineData("", "Name")]
    [InlineData("has space", "Name")]
    [InlineData("ok", "")]
    [InlineData("-dash", "Name")]
    public async Task Bad_invitations_are_refused_and_create_nobody(string username, string displayName)
    {
        var lead = await TestEnrollment.EnrollAsync(app);
        var before = (await lead.Client.GetFromJsonAsync<JsonElement>("/api/admin/admins")).GetArrayLength();
        var response = await lead.Client.PostAsJsonAsync("/api/admin/admins", new { username, displayName });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(before, (await lead.Client.GetFromJsonAsync<JsonElement>("/api/admin/admins")).GetArrayLength());
    }

    [Fact]
    public async Task The_audit_trail_filters_and_pages_newest_first()
    {
        var lead = await TestEnrollment.EnrollAsync(app);
        for (var i = 0; i < 3; i++)
            await lead.Client.PostAsJsonAsync("/api/admin/admins", new { username = $"pager{i}", displayName = "P" });

        var first = await lead.Client.GetFromJsonAsync<JsonElement>($"/api/admin/audit?action=admin.invited&adminId={lead.AdminId}&limit=2");
        var items = first.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("admin.invited", i.GetProperty("action").GetString()));
        Assert.True(items[0].GetProperty("id").GetInt64() > items[1].GetProperty("id").GetInt64());
        Assert.Equal("pager2", items[0].GetProperty("details").GetProperty("username").GetString());
        Assert.Equal(TestAdmins.UserAgent, items[0].GetProperty("userAgent").GetString());

        var next = first.GetProperty("nextBefore").GetInt64();
        var second = await lead.Client.GetFromJsonAsync<JsonElement>($"/api/admin/audit?action=admin.invited&adminId={lead.AdminId}&limit=2&before={next}");
        var rest = second.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("pager0", Assert.Single(rest).GetProperty("details").GetProperty("username").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextBefore").ValueKind);

        Assert.Equal(HttpStatusCode.BadRequest, (await lead.Client.GetAsync("/api/admin/audit?limit=500")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/admin/audit")).StatusCode);
    }

    [Fact]
    public async Task The_last_active_admin_cannot_remove_themselves()
    {
        await using var lonelyDb = new TestDatabaseScope();
        await using var lonely = new SupportChatApp(await lonelyDb.CreateAsync());
        var only = await TestEnrollment.EnrollAsync(lonely);
        Assert.Equal(HttpStatusCode.Conflict, (await only.Client.DeleteAsync($"/api/admin/admins/{only.AdminId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await only.Client.GetAsync("/api/admin/me")).StatusCode);
    }
}

/// <summary>A database of a test's own, dropped at the end of it.</summary>
sealed class TestDatabaseScope : IAsyncDisposable
{
    string? connectionString;
    public async Task<string> CreateAsync() => connectionString = await TestPostgres.CreateDatabaseAsync();
    public async ValueTask DisposeAsync() { if (connectionString is not null) await TestPostgres.DropDatabaseAsync(connectionString); }
}
