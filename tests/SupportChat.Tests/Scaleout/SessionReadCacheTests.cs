using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Scaleout;

/// <summary>
/// An instance answers an admin's reads (GETs) from memory for a minute after it found the session live, and refuses
/// them once it hears of a revocation. It trusts that memory only while revocation notices can reach it: not while
/// Redis is down, and not for sessions it checked before an outage, whose notices may have been lost.
/// </summary>
public sealed class SessionReadCacheTests(TestDatabase database) : TwoInstancesTest(database)
{
    static async Task RevokeBehindTheServiceAsync(string connectionString, TestAdminSession session)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.ExecuteAsync("UPDATE admin_sessions SET revoked_at = now() WHERE token_hash = @hash", new { hash = Tokens.Hash(session.Cookie) });
    }

    async Task WaitForBackplaneAsync(RealtimeHost host, string status)
    {
        var clock = Stopwatch.StartNew();
        string? seen = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            var ready = await host.Http(origin: null).GetAsync("/health/ready");
            seen = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString();
            if (seen == status) return;
            await Task.Delay(50);
        }
        Assert.Fail($"the instance's health stayed {seen}, expected {status}");
    }

    [Fact]
    public async Task Reads_within_a_minute_are_answered_from_memory_but_anything_that_acts_asks_the_database()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var onB = TestAdmins.CreateClient(b.App, admin);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/admin/me")).StatusCode);

        // Revoked in the database without the service: no notice travels, so only the database knows.
        await RevokeBehindTheServiceAsync(db.ConnectionString, admin);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await onB.PostAsJsonAsync("/api/admin/tags", new { name = "x", color = "#112233" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TestAdmins.CreateClient(a.App, admin).GetAsync("/api/admin/me")).StatusCode);
    }

    [Fact]
    public async Task A_logout_through_one_instance_ends_the_other_instances_remembered_reads()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var onB = TestAdmins.CreateClient(b.App, admin);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/admin/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await TestAdmins.CreateClient(a.App, admin).PostAsync("/api/admin/logout", null)).StatusCode);

        // The notice was handed to B's connection before the logout answered; B acts on it moments later.
        var clock = Stopwatch.StartNew();
        var status = HttpStatusCode.OK;
        while (clock.Elapsed < TimeSpan.FromSeconds(5) && (status = (await onB.GetAsync("/api/admin/me")).StatusCode) == HttpStatusCode.OK)
            await Task.Delay(10);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    /// <summary>An admin whose session B has just found live (and remembers), then Redis stopped and B aware of it.</summary>
    async Task<(TestAdminSession Admin, HttpClient OnB)> RememberedOnBThenRedisDownAsync()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var onB = TestAdmins.CreateClient(b.App, admin);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/admin/me")).StatusCode);
        await redis.StopAsync();
        await WaitForBackplaneAsync(b, "Degraded");
        return (admin, onB);
    }

    [Fact]
    public async Task While_redis_is_down_every_read_asks_the_database()
    {
        var (admin, onB) = await RememberedOnBThenRedisDownAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await TestAdmins.CreateClient(a.App, admin).PostAsync("/api/admin/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await onB.GetAsync("/api/admin/me")).StatusCode);
    }

    [Fact]
    public async Task A_session_remembered_before_an_outage_is_checked_again_after_it()
    {
        var (admin, onB) = await RememberedOnBThenRedisDownAsync();
        // The notice of this logout is lost with Redis down.
        Assert.Equal(HttpStatusCode.NoContent, (await TestAdmins.CreateClient(a.App, admin).PostAsync("/api/admin/logout", null)).StatusCode);
        await redis.StartAgainAsync();
        await WaitForBackplaneAsync(b, "Healthy");

        Assert.Equal(HttpStatusCode.Unauthorized, (await onB.GetAsync("/api/admin/me")).StatusCode);
    }
}
