using System.Net;
using System.Net.Http.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupportChat.Tests.AdminSecurity;

/// <summary>Failed logins are capped per IP and per username, atomically in PostgreSQL, without locking the admin out.</summary>
public sealed class LoginThrottleTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    static Task<HttpResponseMessage> LoginAsync(SupportChatApp app, string ip, string username, string code) =>
        TestEnrollment.Client(app, ip: ip).PostAsJsonAsync("/api/admin/login", new { username, code });

    /// <summary>A code the admin's authenticator will not show for the next hours, so always wrong now.</summary>
    static string WrongCode(EnrolledAdmin admin) => TestEnrollment.Code(admin.Secret, 500);

    async Task<int> FailuresAsync(string username)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        return await c.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND details->>'username' = @username", new { username });
    }

    [Fact]
    public async Task Sixty_wrong_codes_at_once_from_one_ip_over_two_instances_check_at_most_the_limit()
    {
        await using var one = new SupportChatApp(db.ConnectionString);
        await using var two = new SupportChatApp(db.ConnectionString);
        var admin = await TestEnrollment.EnrollAsync(one);
        _ = two.Services; // both instances are up before the burst

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burst = Enumerable.Range(0, 60).Select(async i =>
        {
            await start.Task;
            return (await LoginAsync(i % 2 == 0 ? one : two, "10.60.0.1", admin.Username, WrongCode(admin))).StatusCode;
        }).ToList();
        start.SetResult();
        var statuses = await Task.WhenAll(burst);

        var checkedCodes = statuses.Count(s => s == HttpStatusCode.Unauthorized);
        var refused = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
        output.WriteLine($"60 wrong codes at once from one IP over two instances: {checkedCodes} checked (401), {refused} refused (429), limit 5");
        Assert.Equal(60, checkedCodes + refused);
        Assert.InRange(checkedCodes, 1, 5);
        Assert.Equal(checkedCodes, await FailuresAsync(admin.Username));
    }

    [Fact]
    public async Task Others_hammering_a_username_do_not_lock_out_its_admin_on_a_clean_ip()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var admin = await TestEnrollment.EnrollAsync(app);
        for (var ip = 1; ip <= 5; ip++)
        {
            for (var i = 0; i < 5; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(app, $"10.61.{ip}.1", admin.Username, WrongCode(admin))).StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(app, $"10.61.{ip}.1", admin.Username, WrongCode(admin))).StatusCode);
        }
        // A failing IP stays capped even with the right code; the admin's own network is not.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(app, "10.61.1.1", admin.Username, TestEnrollment.Code(admin.Secret, 1))).StatusCode);
        var own = await LoginAsync(app, "10.61.99.1", admin.Username, TestEnrollment.Code(admin.Secret, 1));
        output.WriteLine($"after {await FailuresAsync(admin.Username)} failures from 5 IPs, the admin's code from a clean IP: {(int)own.StatusCode}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task The_per_username_budget_caps_guesses_across_all_ips()
    {
        await using var app = new SupportChatApp(db.ConnectionString, new Dictionary<string, string?> { ["Admin:LoginFailureLimitPerUsername"] = "10" });
        var admin = await TestEnrollment.EnrollAsync(app);
        for (var ip = 1; ip <= 2; ip++)
            for (var i = 0; i < 5; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(app, $"10.62.{ip}.1", admin.Username, WrongCode(admin))).StatusCode);

        var fresh = await LoginAsync(app, "10.62.3.1", admin.Username, TestEnrollment.Code(admin.Secret, 1));
        Assert.Equal(HttpStatusCode.TooManyRequests, fresh.StatusCode);
        Assert.InRange(int.Parse(fresh.Headers.GetValues("Retry-After").Single()), 1, 300);
        Assert.Equal(10, await FailuresAsync(admin.Username));
        // Another username from that IP is unaffected.
        var other = await TestEnrollment.EnrollAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(app, "10.62.3.1", other.Username, TestEnrollment.Code(other.Secret, 1))).StatusCode);
    }

    /// <summary>A session of the admin from ip, started daysAgo: a login from there that succeeded.</summary>
    async Task LoggedInBeforeAsync(EnrolledAdmin admin, string ip, int daysAgo)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        await c.ExecuteAsync("""
            INSERT INTO admin_sessions (admin_id, token_hash, csrf_token, user_agent, ip, created_at, last_seen_at, expires_at)
            VALUES (@AdminId, decode(md5(random()::text), 'hex'), 'x', 'test', @ip::inet, now() - make_interval(days => @daysAgo),
                    now() - make_interval(days => @daysAgo), now() - make_interval(days => @daysAgo) + interval '12 hours')
            """, new { admin.AdminId, ip, daysAgo });
    }

    [Fact]
    public async Task Once_the_username_budget_is_spent_only_ips_the_admin_logged_in_from_get_in()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var admin = await TestEnrollment.EnrollAsync(app, ip: "10.63.100.1"); // enrolling started a session from there
        await LoggedInBeforeAsync(admin, "10.63.101.1", daysAgo: 30);
        await LoggedInBeforeAsync(admin, "10.63.102.1", daysAgo: 91);
        await LoggedInBeforeAsync(admin, "10.63.104.1", daysAgo: 1);
        await TestEnrollment.EnrollAsync(app, ip: "10.63.103.1"); // another admin's network
        for (var ip = 1; ip <= 10; ip++)
            for (var i = 0; i < 5; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(app, $"10.63.{ip}.1", admin.Username, WrongCode(admin))).StatusCode);

        // The username's 50 are spent: unknown IPs are refused before their code is checked, right code included.
        var right = TestEnrollment.Code(admin.Secret, 1);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(app, "10.63.11.1", admin.Username, WrongCode(admin))).StatusCode);
        var fresh = await LoginAsync(app, "10.63.99.1", admin.Username, right);
        Assert.Equal(HttpStatusCode.TooManyRequests, fresh.StatusCode);
        Assert.InRange(int.Parse(fresh.Headers.GetValues("Retry-After").Single()), 1, 300);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(app, "10.63.102.1", admin.Username, right)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(app, "10.63.103.1", admin.Username, right)).StatusCode);

        // An IP the admin logged in from keeps its own budget of 5, and no more.
        var known = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) known.Add((await LoginAsync(app, "10.63.101.1", admin.Username, WrongCode(admin))).StatusCode);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), HttpStatusCode.TooManyRequests], known);
        // Also when its attempts arrive at once.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burst = Enumerable.Range(0, 30).Select(async _ =>
        {
            await start.Task;
            return (await LoginAsync(app, "10.63.104.1", admin.Username, WrongCode(admin))).StatusCode;
        }).ToList();
        start.SetResult();
        var burstChecked = (await Task.WhenAll(burst)).Count(s => s == HttpStatusCode.Unauthorized);
        Assert.InRange(burstChecked, 1, 5);

        var own = await LoginAsync(app, "10.63.100.1", admin.Username, right);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        // Logging in gave back only the slots it took: the username stays spent for everyone else.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(app, "10.63.99.1", admin.Username, WrongCode(admin))).StatusCode);
        Assert.Equal(55 + burstChecked, await FailuresAsync(admin.Username));
        await using var c = new NpgsqlConnection(db.ConnectionString);
        var spent = await c.ExecuteScalarAsync<int>("SELECT attempts FROM login_throttle WHERE key = @key", new { key = "user:" + admin.Username });
        output.WriteLine($"{await FailuresAsync(admin.Username)} failures checked (50 from 10 IPs, 5 from a known IP one by one, " +
            $"{burstChecked} of 30 sent at once from another known IP), username counter {spent}/50; " +
            $"right code from a fresh IP: {(int)fresh.StatusCode}, from the admin's own IP: {(int)own.StatusCode}");
        Assert.Equal(50, spent);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1000000")]
    public async Task A_bad_per_username_limit_stops_start_up_naming_it(string value)
    {
        var line = await AppProcess.ExpectStartupFailureAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Server:Port"] = AppProcess.FreePort().ToString(),
            ["Admin:LoginFailureLimitPerUsername"] = value,
        });
        Assert.Contains("Admin:LoginFailureLimitPerUsername", line);
    }
}
