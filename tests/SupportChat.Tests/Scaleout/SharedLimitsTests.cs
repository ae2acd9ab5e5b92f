using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupportChat.Tests.Scaleout;

/// <summary>The HTTP budgets and visitor-session creation are one budget for all instances; with Redis down each instance keeps its own.</summary>
public sealed class SharedLimitsTests(TestDatabase database, ITestOutputHelper output) : TwoInstancesTest(database)
{
    const int VisitorPerMinute = 6;
    protected override Dictionary<string, string?> Settings => new()
    {
        ["RateLimits:VisitorPerMinute"] = VisitorPerMinute.ToString(),
        ["Realtime:VisitorSessionsPerIp"] = "2",
    };

    /// <summary>A visitor API request that costs one unit of the visitor budget and touches nothing (no token: 401).</summary>
    static async Task<HttpStatusCode> VisitorRequestAsync(Realtime.RealtimeHost host)
    {
        using var http = host.Http();
        return (await http.GetAsync($"/api/visitor/attachments/{Guid.NewGuid()}")).StatusCode;
    }

    static async Task<double> RejectionsAsync(Realtime.RealtimeHost host, string limit)
    {
        using var http = host.Http(origin: null);
        var text = await http.GetStringAsync("/metrics");
        var match = Regex.Match(text, $"^supportchat_rate_limit_rejections_total\\{{limit=\"{limit}\"\\}} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task The_visitor_budget_spent_half_on_each_instance_is_refused_on_either()
    {
        var rejectedBefore = await RejectionsAsync(a, "visitor");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < VisitorPerMinute / 2; i++) statuses.Add(await VisitorRequestAsync(a));
        for (var i = 0; i < VisitorPerMinute / 2; i++) statuses.Add(await VisitorRequestAsync(b));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));

        using var http = a.Http();
        var refused = await http.GetAsync($"/api/visitor/attachments/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal("rate_limited", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.TooManyRequests, await VisitorRequestAsync(b));
        // Both rejections are counted by limit (one process holds both instances' metrics).
        Assert.True(await RejectionsAsync(a, "visitor") - rejectedBefore >= 2);
    }

    [Fact]
    public async Task Visitor_sessions_created_on_both_instances_count_against_one_budget_per_ip()
    {
        using var onA = a.Http();
        using var onB = b.Http();
        Assert.Equal(HttpStatusCode.Created, (await onA.PostAsJsonAsync("/api/visitor/sessions", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await onB.PostAsJsonAsync("/api/visitor/sessions", new { })).StatusCode);
        var third = await onB.PostAsJsonAsync("/api/visitor/sessions", new { });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("rate_limited", (await third.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.True(await RejectionsAsync(a, "visitor_session") >= 1);
    }

    [Fact]
    public async Task With_redis_stopped_each_instance_still_limits_at_once_on_its_own()
    {
        await redis.StopAsync();
        var watch = Stopwatch.StartNew();
        var statuses = new List<HttpStatusCode>();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i <= VisitorPerMinute; i++)
        {
            var one = Stopwatch.StartNew();
            statuses.Add(await VisitorRequestAsync(a));
            if (one.Elapsed > slowest) slowest = one.Elapsed;
        }
        output.WriteLine($"Redis down: {statuses.Count} requests on A in {watch.ElapsedMilliseconds} ms, slowest {slowest.TotalMilliseconds:0} ms; " +
                         string.Join(", ", statuses.Select(s => (int)s)));
        Assert.All(statuses.Take(VisitorPerMinute), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        // B keeps its own budget while it cannot share A's.
        Assert.Equal(HttpStatusCode.Unauthorized, await VisitorRequestAsync(b));
        // Falling back waits for no Redis timeout (1 s in this connection string): all seven answer well inside one.
        Assert.True(slowest < TimeSpan.FromMilliseconds(900), $"slowest request took {slowest.TotalMilliseconds:0} ms");
    }
}
