using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using Xunit.Abstractions;

namespace SupportChat.Tests.Scaleout;

/// <summary>
/// Redis stops while both instances serve: once it is known down nothing waits for it. The Redis client's timeouts are
/// 5 s here, so "waited for the timeout" and "fell back at once" cannot be mistaken for each other.
/// </summary>
public sealed class BackplaneOutageTests(TestDatabase database, ITestOutputHelper output) : TwoInstancesTest(database)
{
    const int RedisTimeout = 5000;
    protected override int RedisTimeoutMilliseconds => RedisTimeout;
    protected override Dictionary<string, string?> Settings => new() { ["Realtime:MessageBurst"] = "100", ["Realtime:MessagesPerSecond"] = "100" };

    static async Task<double> TimedSendAsync(TestSocket socket, string id)
    {
        var clock = Stopwatch.StartNew();
        await socket.SendAsync(new { type = "send", clientMsgId = id, body = id });
        await socket.ReceiveAsync("ack", f => f.GetProperty("clientMsgId").GetString() == id);
        return clock.Elapsed.TotalMilliseconds;
    }

    [Fact]
    public async Task While_redis_is_down_sends_welcomes_and_readiness_do_not_wait_for_it_and_both_instances_resync_together_when_it_returns()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await a.StartVisitorAsync();
        var (adminOnB, _) = await b.ConnectAdminAsync(admin);
        var (tab, _) = await a.ConnectVisitorAsync(visitor.Token);
        await using var _1 = adminOnB;
        await using var _2 = tab;
        output.WriteLine($"send->ack with Redis up: {await TimedSendAsync(tab, "up-1"):0.0} ms");

        await redis.StopAsync();
        var acks = new List<double>();
        for (var i = 0; i < 10; i++) acks.Add(await TimedSendAsync(tab, $"down-{i}"));
        acks.Sort();
        output.WriteLine($"send->ack while Redis is down: p50 {acks[acks.Count / 2]:0.0} ms, max {acks[^1]:0.0} ms (Redis timeout {RedisTimeout} ms)");
        Assert.True(acks[^1] < RedisTimeout / 5, $"an ack took {acks[^1]:0} ms: it waited for Redis");

        var other = await a.StartVisitorAsync();
        var clock = Stopwatch.StartNew();
        var (newTab, welcome) = await a.ConnectVisitorAsync(other.Token);
        output.WriteLine($"new visitor socket to welcome while Redis is down: {clock.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.True(clock.ElapsedMilliseconds < RedisTimeout / 5, $"welcome took {clock.ElapsedMilliseconds} ms");
        Assert.True(welcome.GetProperty("adminsOnline").ValueKind is JsonValueKind.True or JsonValueKind.False);
        await newTab.DisposeAsync();

        foreach (var (name, host) in new[] { ("a", a), ("b", b) })
        {
            clock.Restart();
            var ready = await host.Http(origin: null).GetAsync("/health/ready");
            var status = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString();
            output.WriteLine($"/health/ready on {name} while Redis is down: {status} in {clock.Elapsed.TotalMilliseconds:0.0} ms");
            Assert.Equal("Degraded", status);
            Assert.True(clock.ElapsedMilliseconds < 500, $"readiness took {clock.ElapsedMilliseconds} ms");
        }

        await redis.StartAgainAsync();
        clock.Restart();
        // Each side's socket is asked to resync once, and the two instances do so at most a second apart.
        var closes = await Task.WhenAll(ClosedAtAsync(adminOnB, clock), ClosedAtAsync(tab, clock));
        output.WriteLine($"4002 after Redis restarted: admin on b at {closes[0].At:0} ms, visitor on a at {closes[1].At:0} ms, gap {Math.Abs(closes[0].At - closes[1].At):0} ms");
        Assert.All(closes, c => Assert.Equal((WebSocketCloseStatus)4002, c.Status));
        Assert.True(Math.Abs(closes[0].At - closes[1].At) <= 1000, "the instances resynced more than a second apart");
        Assert.True(closes.Max(c => c.At) < 3000, "the restore was noticed late");

        // Reconnected sockets are not asked again for the same outage, and the backplane carries events once more.
        var (backOnB, _) = await b.ConnectAdminAsync(admin);
        var (backTab, _) = await a.ConnectVisitorAsync(visitor.Token, lastSeq: 11);
        await using var _3 = backOnB;
        await using var _4 = backTab;
        await Task.Delay(1500);
        await backTab.SendAsync(new { type = "send", clientMsgId = "after", body = "after the outage" });
        var (frame, close) = await backOnB.ReceiveOrCloseAsync();
        while (close is null && frame!.Value.GetProperty("type").GetString() != "message") (frame, close) = await backOnB.ReceiveOrCloseAsync();
        Assert.Null(close);
        Assert.Equal("after the outage", frame!.Value.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Metrics_show_the_backplane_connection_its_resyncs_and_deliveries_from_the_other_instance()
    {
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        var visitor = await a.StartVisitorAsync();
        var (adminOnB, _) = await b.ConnectAdminAsync(admin);
        var (tab, _) = await a.ConnectVisitorAsync(visitor.Token);
        await using var _1 = adminOnB;
        await using var _2 = tab;
        var before = await MetricsAsync();
        await TimedSendAsync(tab, "remote-1");
        await adminOnB.ReceiveAsync("message");
        var after = await MetricsAsync();
        Assert.Equal(1, Value(after, "supportchat_backplane_connected"));
        var remote = Value(after, "supportchat_delivery_latency_seconds_count{origin=\"remote\"}") - Value(before, "supportchat_delivery_latency_seconds_count{origin=\"remote\"}");
        output.WriteLine($"remote deliveries observed: {remote}; mean remote latency so far " +
            $"{1000 * Value(after, "supportchat_delivery_latency_seconds_sum{origin=\"remote\"}") / Value(after, "supportchat_delivery_latency_seconds_count{origin=\"remote\"}"):0.0} ms");
        Assert.True(remote >= 1, "the delivery on the other instance is missing from the latency histogram");

        await redis.StopAsync();
        var clock = Stopwatch.StartNew();
        while (Value(await MetricsAsync(), "supportchat_backplane_connected") != 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.Equal(0, Value(await MetricsAsync(), "supportchat_backplane_connected"));
        await redis.StartAgainAsync();
        await adminOnB.ExpectCloseAsync();
        await tab.ExpectCloseAsync();
        var back = await MetricsAsync();
        Assert.Equal(1, Value(back, "supportchat_backplane_connected"));
        output.WriteLine($"resyncs counted: {Value(back, "supportchat_backplane_resyncs_total") - Value(after, "supportchat_backplane_resyncs_total")} (both instances share the test process's registry)");
        Assert.True(Value(back, "supportchat_backplane_resyncs_total") - Value(after, "supportchat_backplane_resyncs_total") >= 2);
    }

    [Fact]
    public async Task A_redis_that_hangs_costs_one_timeout_then_nothing_and_its_return_resyncs()
    {
        var visitor = await a.StartVisitorAsync();
        var (tab, _) = await a.ConnectVisitorAsync(visitor.Token);
        await using var _1 = tab;
        await TimedSendAsync(tab, "up");

        redis.Pause();
        var acks = new List<double>();
        var sinceResume = new Stopwatch();
        try
        {
            for (var i = 0; i < 6; i++) acks.Add(await TimedSendAsync(tab, $"hung-{i}"));
        }
        finally
        {
            redis.Resume();
            sinceResume.Start();
        }
        output.WriteLine($"send->ack while Redis hangs: first {acks[0]:0} ms (pays the {RedisTimeout} ms timeout), then max {acks.Skip(1).Max():0.0} ms");
        // The first call finds out; every later one falls back at once.
        Assert.True(acks.Skip(1).Max() < RedisTimeout / 5, $"later sends waited: {string.Join(", ", acks.Select(x => x.ToString("0")))} ms");

        Assert.Equal((WebSocketCloseStatus)4002, await tab.ExpectCloseAsync());
        output.WriteLine($"4002 {sinceResume.Elapsed.TotalMilliseconds:0} ms after Redis was resumed");
    }

    Task<string> MetricsAsync() => b.Http(origin: null).GetStringAsync("/metrics");

    /// <summary>One series' value in the Prometheus text; 0 when it is not there.</summary>
    static double Value(string metrics, string series) =>
        Regex.Match(metrics, "^" + Regex.Escape(series) + " (\\S+)$", RegexOptions.Multiline) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : 0;

    static async Task<(WebSocketCloseStatus? Status, double At)> ClosedAtAsync(TestSocket socket, Stopwatch clock)
    {
        var status = await socket.ExpectCloseAsync();
        return (status, clock.Elapsed.TotalMilliseconds);
    }
}
