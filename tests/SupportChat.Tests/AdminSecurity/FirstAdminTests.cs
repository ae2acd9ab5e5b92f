using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

/// <summary>The shipped service on a fresh database: the first admin enrolls from the link printed at start-up.</summary>
public sealed class FirstAdminTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static readonly Regex Link = new(@"https?://[^\s""]+/admin/enroll\.html#token=[A-Za-z0-9_-]+");

    [Fact]
    public async Task The_first_start_prints_an_enrollment_link_that_activates_the_first_admin_and_a_lost_admin_gets_a_new_link()
    {
        var (app, http) = await AppProcess.StartReadyAsync(new Dictionary<string, string> { ["Database:ConnectionString"] = db.ConnectionString });
        await using (app)
        {
            var line = Assert.Single(app.Output, l => l.Contains("No admin exists yet"));
            var token = TestEnrollment.TokenOf(Link.Match(line).Value);
            var own = http.BaseAddress!.GetLeftPart(UriPartial.Authority);
            http.DefaultRequestHeaders.Add("Origin", own);
            http.DefaultRequestHeaders.UserAgent.ParseAdd(TestAdmins.UserAgent);

            var offer = await (await http.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("admin", offer.GetProperty("username").GetString());
            var secret = offer.GetProperty("secret").GetString()!;
            var done = await http.PostAsJsonAsync("/api/admin/enrollment/complete", new { token, code = TestEnrollment.Code(secret) });
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
            var oldCookie = TestEnrollment.UseSessionFrom(http, done);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/admin/me")).StatusCode);

            // The maintainer's way back in: a fresh link from the command line; using it ends the old sessions.
            var command = await RunCommandAsync(db.ConnectionString, "admin", "enroll", "admin");
            Assert.Equal(0, command.ExitCode);
            var newToken = TestEnrollment.TokenOf(Link.Match(command.Output).Value);
            var fresh = new HttpClient { BaseAddress = http.BaseAddress };
            fresh.DefaultRequestHeaders.Add("Origin", own);
            fresh.DefaultRequestHeaders.UserAgent.ParseAdd(TestAdmins.UserAgent);
            var newOffer = await (await fresh.PostAsJsonAsync("/api/admin/enrollment/start", new { token = newToken })).Content.ReadFromJsonAsync<JsonElement>();
            var newSecret = newOffer.GetProperty("secret").GetString()!;
            Assert.NotEqual(secret, newSecret);
            var reDone = await fresh.PostAsJsonAsync("/api/admin/enrollment/complete", new { token = newToken, code = TestEnrollment.Code(newSecret, 1) });
            Assert.Equal(HttpStatusCode.OK, reDone.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/admin/me")).StatusCode);
            Assert.NotEqual(oldCookie, TestEnrollment.UseSessionFrom(fresh, reDone));
            Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/admin/me")).StatusCode);
        }

        // With an admin active, a restart prints no link.
        var (second, _) = await AppProcess.StartReadyAsync(new Dictionary<string, string> { ["Database:ConnectionString"] = db.ConnectionString });
        await using (second)
            Assert.DoesNotContain(second.Output, l => l.Contains("No admin exists yet"));
    }

    [Fact]
    public async Task Only_the_newest_first_admin_link_works_and_none_after_an_admin_is_active()
    {
        await using var scope = new TestDatabaseScope();
        var settings = new Dictionary<string, string> { ["Database:ConnectionString"] = await scope.CreateAsync() };
        var (initial, _) = await AppProcess.StartReadyAsync(settings);
        string first;
        await using (initial)
            first = TokenIn(initial);
        var (second, http) = await AppProcess.StartReadyAsync(settings);
        await using (second)
        {
            var latest = TokenIn(second);
            Assert.NotEqual(first, latest);
            http.DefaultRequestHeaders.Add("Origin", http.BaseAddress!.GetLeftPart(UriPartial.Authority));
            http.DefaultRequestHeaders.UserAgent.ParseAdd(TestAdmins.UserAgent);
            Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("/api/admin/enrollment/start", new { token = first })).StatusCode);

            // The maintainer enrolls someone else from the command line: the first-admin link is dead from then on.
            var command = await RunCommandAsync(settings["Database:ConnectionString"], "admin", "enroll", "erin");
            Assert.Equal(0, command.ExitCode);
            var erin = TestEnrollment.TokenOf(Link.Match(command.Output).Value);
            var offer = await (await http.PostAsJsonAsync("/api/admin/enrollment/start", new { token = erin })).Content.ReadFromJsonAsync<JsonElement>();
            var done = await http.PostAsJsonAsync("/api/admin/enrollment/complete",
                new { token = erin, code = TestEnrollment.Code(offer.GetProperty("secret").GetString()!) });
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("/api/admin/enrollment/start", new { token = latest })).StatusCode);
        }
    }

    static string TokenIn(AppProcess app) =>
        TestEnrollment.TokenOf(Link.Match(Assert.Single(app.Output, l => l.Contains("No admin exists yet"))).Value);

    static async Task<(int ExitCode, string Output)> RunCommandAsync(string connectionString, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "SupportChat.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["Database__ConnectionString"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(guard.Token);
        return (process.ExitCode, await output + await error);
    }
}
