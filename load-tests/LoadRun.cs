using System.Diagnostics;
namespace SupportChat.LoadTests;

public static class LoadRun
{
    /// <summary>Runs the scenario, prints the table, writes the reports; 0 when every threshold holds, 1 otherwise.</summary>
    public static async Task<int> RunAsync(LoadOptions o, TextWriter output)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(o.MaxSeconds));
        var rec = new Recorder();
        var values = new Dictionary<string, double>();
        var server = new ServerSampler(o.ServerPid);
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var sampling = server.RunAsync(rec, stopSampling.Token);
        var postgres = new PostgresSampler(o.PostgresPid);
        var postgresSampling = postgres.RunAsync(rec, stopSampling.Token);
        var gc = new GcSampler(o.Url);
        var gcSampling = o.ServerPid is null ? Task.CompletedTask : gc.RunAsync(rec, stopSampling.Token);
        var floor = o.Database is { } database && o.FloorRate > 0 && o.Scenario != "connect"
            ? CommitFloor.RunAsync(database, o.FloorRate, rec, stopSampling.Token)
            : Task.CompletedTask;
        // The generator shares the machine with the service: its own CPU says how much of the machine the load itself took.
        var generatorCpu = Environment.CpuUsage.TotalTime;
        var generatorClock = Stopwatch.StartNew();
        await (o.Scenario switch
        {
            "api" => Scenarios.ApiAsync(o, rec, values, stop.Token),
            "connect" => Scenarios.ConnectAsync(o, rec, values, stop.Token),
            "search" => Scenarios.SearchAsync(o, rec, values, stop.Token),
            _ => Scenarios.ChatAsync(o, rec, values, stop.Token), // chat, soak
        });
        values["generator.cpu_percent_mean"] = (Environment.CpuUsage.TotalTime - generatorCpu) / generatorClock.Elapsed * 100;
        await stopSampling.CancelAsync();
        await sampling;
        await floor;
        await postgresSampling;
        await gcSampling;
        // From the end of the warm-up; what was stored after it (send_to_ack counts the measured messages).
        var measuredFrom = (double)(rec.MeasureFrom - rec.Start) / Stopwatch.Frequency;
        if (postgres.Since(measuredFrom) is { } pg)
        {
            values["postgres.cpu_percent_mean"] = pg.CpuSeconds / pg.Seconds * 100;
            if (rec.Metrics.FirstOrDefault(m => m.Name == "send_to_ack") is { All.TotalCount: > 0 and var acked })
                values["postgres.cpu_ms_per_message"] = pg.CpuSeconds * 1000 / acked;
        }
        if (gc.Since(measuredFrom) is { } collected)
        {
            values["gc.pause_ms_per_second"] = collected.PauseMsPerSecond;
            values["gc.collections"] = collected.Collections;
            values["gc.gen2_collections"] = collected.Gen2;
            values["gc.mean_pause_ms"] = collected.MeanPauseMs;
        }
        if (o.Scenario == "soak" && rec.Metrics.FirstOrDefault(m => m.Name == "visitor_to_admin") is { PerSecond.Count: > 4 } soak)
        {
            // Drift: the p99 of the last fifth of the run against the first fifth (after warm-up).
            var seconds = soak.PerSecond.Keys.Order().ToList();
            var fifth = seconds.Count / 5;
            double P99(IEnumerable<int> s) => s.Select(k => soak.PerSecond[k].GetValueAtPercentile(99) / 1000.0).DefaultIfEmpty(0).Max();
            values["soak.p99_first_fifth_ms"] = P99(seconds.Take(fifth));
            values["soak.p99_last_fifth_ms"] = P99(seconds.TakeLast(fifth));
        }
        if (server.Samples.Count > 0)
        {
            values["server.rss_mb_max"] = server.Samples.Max(s => s.RssMb);
            values["server.cpu_percent_mean"] = server.Samples.Average(s => s.CpuPercent);
        }
        var thresholds = Report.Check(o, rec, values, server);
        Report.PrintTable(output, o, rec, values, server, thresholds);
        var (json, html) = Report.Write(o, rec, values, server, thresholds);
        output.WriteLine($"reports: {json} {html}");
        return thresholds.All(t => t.Passed) ? 0 : 1;
    }
}
