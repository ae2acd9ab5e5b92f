using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace SupportChat.LoadTests;

public sealed record ThresholdResult(string Key, double Limit, double? Actual, bool Passed);

/// <summary>The run's results: a console table, a JSON file and a self-contained HTML page with plots.</summary>
public static class Report
{
    static readonly double[] Percentiles = [50, 90, 95, 99, 99.9];
    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    public static List<ThresholdResult> Check(LoadOptions o, Recorder rec, Dictionary<string, double> values, ServerSampler server)
    {
        var results = new List<ThresholdResult>();
        foreach (var (key, limit) in o.Thresholds)
        {
            double? actual = values.TryGetValue(key, out var v) ? v : null;
            if (actual is null && key == "rss_mb.max" && server.Samples.Count > 0) actual = server.Samples.Max(s => s.RssMb);
            if (actual is null && key.LastIndexOf('.') is var dot and > 0 && rec.Metrics.FirstOrDefault(m => m.Name == key[..dot]) is { } metric)
            {
                var stat = key[(dot + 1)..];
                actual = stat == "max" ? metric.MaxMs
                    : stat == "p99_above_floor" ? AboveFloor(rec, metric)
                    : stat == "errors" ? metric.Errors
                    : stat.StartsWith('p') && double.TryParse(stat[1..].Replace('_', '.'), CultureInfo.InvariantCulture, out var p) ? metric.PercentileMs(p)
                    : null;
            }
            results.Add(new ThresholdResult(key, limit, actual, actual is { } a && a <= limit));
        }
        return results;
    }

    /// <summary>The metric's p99 minus the disk's own commit p99 measured beside it (CommitFloor); null without a floor.</summary>
    static double? AboveFloor(Recorder rec, Metric metric) =>
        rec.Metrics.FirstOrDefault(m => m.Name == CommitFloor.Metric) is { All.TotalCount: > 0 } floor ? metric.PercentileMs(99) - floor.PercentileMs(99) : null;

    public static void PrintTable(TextWriter w, LoadOptions o, Recorder rec, Dictionary<string, double> values, ServerSampler server, List<ThresholdResult> thresholds)
    {
        w.WriteLine($"scenario {o.Scenario}: {F(o.DurationSeconds)} s after {F(o.WarmupSeconds)} s warm-up, rate {F(o.Rate)}/s, {o.Visitors} visitors, {o.Admins} admins");
        w.WriteLine($"{"metric",-24}{"count",10}{"errors",8}{"p50 ms",10}{"p90 ms",10}{"p95 ms",10}{"p99 ms",10}{"p99.9 ms",10}{"max ms",10}");
        foreach (var m in rec.Metrics)
            w.WriteLine($"{m.Name,-24}{m.All.TotalCount,10}{m.Errors,8}" + string.Concat(Percentiles.Select(p => $"{F(m.PercentileMs(p)),10}")) + $"{F(m.MaxMs),10}");
        foreach (var (k, v) in values.OrderBy(p => p.Key)) w.WriteLine($"{k,-40}{F(v)}");
        if (rec.Metrics.FirstOrDefault(m => m.Name == CommitFloor.Metric) is { All.TotalCount: > 0 } floor)
            w.WriteLine($"commit floor (this disk's own durable commit, beside the run): p50 {F(floor.PercentileMs(50))} ms, p99 {F(floor.PercentileMs(99))} ms; "
                + string.Join(", ", rec.Metrics.Where(m => m != floor && m.All.TotalCount > 0).Select(m => $"{m.Name} p99 {F(AboveFloor(rec, m)!.Value)} ms above it")));
        if (server.Samples.Count > 0)
            w.WriteLine($"server: RSS {F(server.Samples.Min(s => s.RssMb))}–{F(server.Samples.Max(s => s.RssMb))} MB, CPU mean {F(server.Samples.Average(s => s.CpuPercent))} % (of one core)");
        foreach (var t in thresholds)
            w.WriteLine($"{(t.Passed ? "PASS" : "FAIL")} {t.Key} = {(t.Actual is { } a ? F(a) : "n/a")} (limit {F(t.Limit)})");
    }

    public static (string Json, string Html) Write(LoadOptions o, Recorder rec, Dictionary<string, double> values, ServerSampler server, List<ThresholdResult> thresholds)
    {
        Directory.CreateDirectory(o.ReportDirectory);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var baseName = Path.Combine(o.ReportDirectory, $"{o.Scenario}-{stamp}");
        var metrics = rec.Metrics.Select(m => new
        {
            name = m.Name,
            count = m.All.TotalCount,
            errors = m.Errors,
            percentilesMs = Percentiles.ToDictionary(p => "p" + F(p), m.PercentileMs),
            maxMs = m.MaxMs,
            perSecond = m.PerSecond.OrderBy(p => p.Key).Select(p => new
            {
                second = p.Key, count = p.Value.TotalCount, p50Ms = p.Value.GetValueAtPercentile(50) / 1000.0, p99Ms = p.Value.GetValueAtPercentile(99) / 1000.0,
            }),
            distribution = new[] { 0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100 }.Select(p => new { percentile = p, ms = m.PercentileMs(p) }),
        }).ToList();
        var doc = new
        {
            scenario = o.Scenario, url = o.Url.ToString(), startedUtc = DateTime.UtcNow, o.WarmupSeconds, o.DurationSeconds, o.Rate, o.AdminRate, o.Visitors, o.Admins,
            machine = new { Environment.ProcessorCount, os = Environment.OSVersion.ToString(), dotnet = Environment.Version.ToString() },
            metrics, values, server = server.Samples.Select(s => new { s.Second, s.RssMb, s.CpuPercent }), thresholds,
        };
        var json = baseName + ".json";
        File.WriteAllText(json, JsonSerializer.Serialize(doc, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
        var html = baseName + ".html";
        File.WriteAllText(html, Html(o, metrics.Select(m => (m.name, m.perSecond.Select(s => (s.second, s.p50Ms, s.p99Ms)).ToList(),
            m.distribution.Select(d => (d.percentile, d.ms)).ToList())).ToList(), values, server, thresholds));
        return (json, html);
    }

    static string Html(LoadOptions o, List<(string Name, List<(int Second, double P50, double P99)> Series, List<(double Percentile, double Ms)> Distribution)> metrics,
        Dictionary<string, double> values, ServerSampler server, List<ThresholdResult> thresholds)
    {
        var h = new StringBuilder();
        h.Append("<!doctype html><meta charset=utf-8><title>SupportChat load: ").Append(WebUtility.HtmlEncode(o.Scenario)).Append("</title>");
        h.Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}svg{background:#fafafa;border:1px solid #ddd}")
            .Append("td,th{padding:.2rem .6rem;text-align:right}.fail{color:#b91c1c}.pass{color:#15803d}</style>");
        h.Append("<h1>Scenario ").Append(WebUtility.HtmlEncode(o.Scenario)).Append("</h1><p>")
            .Append(WebUtility.HtmlEncode($"{F(o.DurationSeconds)} s after {F(o.WarmupSeconds)} s warm-up at {F(o.Rate)}/s; {o.Visitors} visitors, {o.Admins} admins; {o.Url}"))
            .Append("</p><ul>");
        foreach (var t in thresholds)
            h.Append($"<li class={(t.Passed ? "pass" : "fail")}>{(t.Passed ? "PASS" : "FAIL")} {WebUtility.HtmlEncode(t.Key)} = {(t.Actual is { } a ? F(a) : "n/a")} (limit {F(t.Limit)})</li>");
        foreach (var (k, v) in values) h.Append($"<li>{WebUtility.HtmlEncode(k)} = {F(v)}</li>");
        h.Append("</ul>");
        foreach (var (name, series, distribution) in metrics)
        {
            h.Append("<h2>").Append(WebUtility.HtmlEncode(name)).Append("</h2>");
            h.Append(Chart("latency over time (ms): p50 blue, p99 red; x: second of the run",
                [series.Select(s => ((double)s.Second, s.P50)).ToList(), series.Select(s => ((double)s.Second, s.P99)).ToList()]));
            // Percentiles on a log scale of 1/(1 - p): the tail gets the room it deserves.
            h.Append(Chart("percentile distribution (ms); x: 50, 90, 99, 99.9, 99.99 %",
                [distribution.Where(d => d.Percentile is >= 50 and < 100).Select(d => (Math.Log10(1 / (1 - d.Percentile / 100)), d.Ms)).ToList()]));
        }
        if (server.Samples.Count > 0)
        {
            h.Append("<h2>server</h2>");
            h.Append(Chart("RSS (MB) over time", [server.Samples.Select(s => (s.Second, s.RssMb)).ToList()]));
            h.Append(Chart("CPU (% of one core) over time", [server.Samples.Select(s => (s.Second, s.CpuPercent)).ToList()]));
        }
        return h.ToString();
    }

    static string Chart(string title, List<List<(double X, double Y)>> lines)
    {
        const int W = 640, Hh = 200, Pad = 40;
        var all = lines.SelectMany(l => l).ToList();
        if (all.Count == 0) return "";
        double minX = all.Min(p => p.X), maxX = Math.Max(all.Max(p => p.X), minX + 1e-9), maxY = Math.Max(all.Max(p => p.Y), 1e-9);
        string[] colors = ["#2563eb", "#dc2626"];
        var svg = new StringBuilder($"<p>{WebUtility.HtmlEncode(title)}</p><svg width={W} height={Hh} viewBox='0 0 {W} {Hh}'>");
        svg.Append($"<text x=2 y=12 font-size=10>{F(maxY)}</text><text x=2 y={Hh - Pad + 4} font-size=10>0</text>");
        for (var i = 0; i < lines.Count; i++)
        {
            var points = string.Join(' ', lines[i].Select(p =>
                $"{F(Pad + (p.X - minX) / (maxX - minX) * (W - Pad - 10))},{F(Hh - Pad - p.Y / maxY * (Hh - Pad - 10))}"));
            svg.Append($"<polyline fill=none stroke='{colors[i % colors.Length]}' stroke-width=1.5 points='{points}'/>");
        }
        return svg.Append("</svg>").ToString();
    }
}
