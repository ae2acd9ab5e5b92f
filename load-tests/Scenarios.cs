using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SupportChat.LoadTests;

/// <summary>The scenarios. Each records latencies in the recorder and may add single values (seconds, rates) to values.</summary>
public static partial class Scenarios
{
    /// <summary>
    /// chat (and soak): visitors connected, each sending on a fixed schedule, admins connected to every conversation and
    /// replying on their own schedule. Measures send→ack, visitor→admin (at every admin) and admin→visitor.
    /// </summary>
    /// <param name="loadBegins">Called when setup is done and the schedule starts (search runs its writers through this).</param>
    public static async Task ChatAsync(LoadOptions o, Recorder rec, Dictionary<string, double> values, CancellationToken ct, Action? loadBegins = null)
    {
        using var http = Clients.Http(o.Url);
        var admins = o.Admins == 0 ? [] : await Clients.CreateAdminSessionsAsync(
            o.Database ?? throw new ArgumentException("--database is needed to create admin sessions (or --admins 0)"), o.Admins);
        var visitors = new (Visitor Visitor, LoadSocket Socket)[o.Visitors];
        var connectWatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, o.Visitors), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct },
            async (i, token) =>
            {
                var v = await Clients.StartVisitorAsync(http, i, token);
                visitors[i] = (v, await Clients.ConnectVisitorAsync(o.Url, v, token));
            });
        values["setup.visitors_connected_seconds"] = connectWatch.Elapsed.TotalSeconds;

        var scheduled = new ConcurrentDictionary<string, long>();
        long stored = 0, refused = 0;
        foreach (var (_, socket) in visitors)
            socket.Start(frame =>
            {
                var (type, id) = (frame.Type, frame.ClientMsgId);
                if (id is null || !scheduled.TryGetValue(id, out var due)) return;
                if (type == "ack") { rec.Record("send_to_ack", due); Interlocked.Increment(ref stored); }
                else if (type == "error") { rec["send_to_ack"].Error(); Interlocked.Increment(ref refused); }
                else if (type == "message" && id[0] == 'a') rec.Record("admin_to_visitor", due);
            }, ct);
        var adminSockets = new List<LoadSocket>();
        foreach (var a in admins)
        {
            var socket = await Clients.ConnectAdminAsync(o.Url, a, ct);
            socket.Start(frame =>
            {
                if (frame.Type == "message" && frame.ClientMsgId is { } id && id[0] == 'v' && scheduled.TryGetValue(id, out var due))
                    rec.Record("visitor_to_admin", due);
            }, ct);
            adminSockets.Add(socket);
        }

        var begin = rec.Now;
        rec.MeasureFrom = rec.At(begin + o.WarmupSeconds);
        var total = o.WarmupSeconds + o.DurationSeconds;
        long sent = 0;
        loadBegins?.Invoke();
        var visitorLoad = rec.OpenLoopAsync(o.Rate, begin, total, (k, due) =>
        {
            Interlocked.Increment(ref sent);
            var id = "v" + k;
            scheduled[id] = due;
            visitors[k % visitors.Length].Socket.Send(new { type = "send", clientMsgId = id, body = $"load message {k}" });
        }, ct, rampSeconds: o.WarmupSeconds);
        var adminLoad = adminSockets.Count == 0 || o.AdminRate <= 0 ? Task.CompletedTask : rec.OpenLoopAsync(o.AdminRate, begin, total, (k, due) =>
        {
            var id = "a" + k;
            scheduled[id] = due;
            adminSockets[(int)(k % adminSockets.Count)].Send(new
            {
                type = "send", conversationId = visitors[k % visitors.Length].Visitor.ConversationId, clientMsgId = id, body = $"load reply {k}",
            });
        }, ct, rampSeconds: o.WarmupSeconds);
        await Task.WhenAll(visitorLoad, adminLoad);
        // Let what is in flight arrive (bounded), so that the slowest answers are counted, not dropped.
        for (var i = 0; i < 300 && Interlocked.Read(ref stored) + Interlocked.Read(ref refused) < sent; i++) await Task.Delay(100, ct);
        values["chat.messages_sent"] = sent;
        values["chat.messages_acked"] = stored;
        values["chat.messages_refused"] = refused;
        // A socket the server closed stops counting: say so, or fewer deliveries would look like faster ones.
        values["chat.admin_sockets_lost"] = adminSockets.Count(s => s.LostBecause is not null);
        values["chat.visitor_sockets_lost"] = visitors.Count(v => v.Socket.LostBecause is not null);
        foreach (var reason in adminSockets.Select(s => s.LostBecause).Where(r => r is not null).Distinct().Take(3))
            Console.Error.WriteLine($"an admin socket was lost: {reason}");
        await Task.WhenAll(adminSockets.Select(s => s.DisposeAsync().AsTask()).Concat(visitors.Select(v => v.Socket.DisposeAsync().AsTask())));
    }

    /// <summary>api: the admin HTTP API at a fixed request rate: first list page, a later page, and history pages.</summary>
    public static async Task ApiAsync(LoadOptions o, Recorder rec, Dictionary<string, double> values, CancellationToken ct)
    {
        var admin = (await Clients.CreateAdminSessionsAsync(o.Database ?? throw new ArgumentException("--database is needed for the api scenario"), 1))[0];
        using var http = Clients.Http(o.Url);
        http.DefaultRequestHeaders.Add("Cookie", admin.Cookie);
        http.DefaultRequestHeaders.UserAgent.ParseAdd(admin.UserAgent);
        http.DefaultRequestHeaders.Add("X-CSRF-Token", admin.Csrf);
        // Some conversations with a few messages each, so that pages have something to page.
        var conversations = new List<Guid>();
        for (var i = 0; i < Math.Max(60, o.Visitors); i++)
        {
            var v = await Clients.StartVisitorAsync(http, i, ct);
            conversations.Add(v.ConversationId);
            for (var m = 0; m < 3; m++)
                (await http.PostAsJsonAsync($"/api/admin/conversations/{v.ConversationId}/messages", new { clientMsgId = $"seed{m}", body = $"seed {m}" }, ct))
                    .EnsureSuccessStatusCode();
        }
        var first = await http.GetFromJsonAsync<JsonElement>("/api/admin/conversations?limit=20", ct);
        var cursor = first.GetProperty("nextCursor").GetString();
        var before = await CacheCountsAsync(http, ct);

        var begin = rec.Now;
        rec.MeasureFrom = rec.At(begin + o.WarmupSeconds);
        var pending = new ConcurrentBag<Task>();
        await rec.OpenLoopAsync(o.Rate, begin, o.WarmupSeconds + o.DurationSeconds, (k, due) =>
        {
            var (metric, path) = (k % 3) switch
            {
                0 => ("api_list_first_page", "/api/admin/conversations?limit=20"),
                1 => ("api_list_next_page", $"/api/admin/conversations?limit=20&cursor={Uri.EscapeDataString(cursor ?? "")}"),
                _ => ("api_history_page", $"/api/admin/conversations/{conversations[(int)(k % conversations.Count)]}/messages?limit=50"),
            };
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await http.GetAsync(path, ct);
                    if (response.IsSuccessStatusCode) rec.Record(metric, due);
                    else rec[metric].Error();
                }
                catch (HttpRequestException) { rec[metric].Error(); }
            }, ct));
        }, ct, rampSeconds: o.WarmupSeconds);
        await Task.WhenAll(pending);
        var after = await CacheCountsAsync(http, ct);
        var (hits, misses) = (after.Hits - before.Hits, after.Misses - before.Misses);
        if (hits + misses > 0) values["api.list_cache_hit_rate"] = hits / (hits + misses);
    }

    static async Task<(double Hits, double Misses)> CacheCountsAsync(HttpClient http, CancellationToken ct)
    {
        var text = await http.GetStringAsync("/metrics", ct);
        double Count(string result) => Regex.Match(text, $"supportchat_conversation_list_cache_total\\{{result=\"{result}\"\\}} ([0-9.e+]+)") is { Success: true } m
            ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (Count("hit"), Count("miss"));
    }

    /// <summary>connect: ConnectCount visitors, each creating a session, opening its socket and getting its history, spread over ConnectSeconds.</summary>
    public static async Task ConnectAsync(LoadOptions o, Recorder rec, Dictionary<string, double> values, CancellationToken ct)
    {
        using var http = Clients.Http(o.Url);
        // What the service holds before anyone connects: the idle figure of issue 16 goal 4.
        if (o.ServerPid is { } idlePid) values["connect.rss_mb_before"] = ServerSampler.Read(idlePid).RssMb;
        var sockets = new ConcurrentBag<LoadSocket>();
        var pending = new ConcurrentBag<Task>();
        long failed = 0;
        rec.MeasureFrom = rec.Start;
        await rec.OpenLoopAsync(o.ConnectCount / o.ConnectSeconds, 0, o.ConnectSeconds, (k, due) => pending.Add(Task.Run(async () =>
        {
            try
            {
                var socket = await Clients.ConnectVisitorAsync(o.Url, await Clients.StartVisitorAsync(http, (int)k, ct), ct);
                sockets.Add(socket);
                rec.Record("connect_to_welcome", due);
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Net.WebSockets.WebSocketException or InvalidOperationException)
            {
                Interlocked.Increment(ref failed);
                rec["connect_to_welcome"].Error();
            }
        }, ct)), ct);
        await Task.WhenAll(pending);
        values["connect.seconds"] = (double)(Stopwatch.GetTimestamp() - rec.Start) / Stopwatch.Frequency;
        values["connect.failed"] = failed;
        if (o.HoldSeconds > 0)
        {
            // The storm's garbage is not what idle sockets cost: the RSS is read once they have sat idle for a while.
            await Task.Delay(TimeSpan.FromSeconds(o.HoldSeconds), ct);
            if (o.ServerPid is { } pid) values["connect.rss_mb_idle"] = ServerSampler.Read(pid).RssMb;
        }
        await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));
    }
}
