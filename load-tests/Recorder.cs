using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace SupportChat.LoadTests;

/// <summary>Latencies of one measured path, in microseconds: the whole run and each second of it.</summary>
public sealed class Metric(string name)
{
    const long Highest = 3_600_000_000; // an hour, in µs
    public string Name { get; } = name;
    public LongConcurrentHistogram All { get; } = new(1, Highest, 3);
    public ConcurrentDictionary<int, LongConcurrentHistogram> PerSecond { get; } = new();
    long errors;
    public long Errors => Interlocked.Read(ref errors);

    public void Record(int second, long micros)
    {
        micros = Math.Clamp(micros, 1, Highest);
        All.RecordValue(micros);
        PerSecond.GetOrAdd(second, _ => new LongConcurrentHistogram(1, Highest, 3)).RecordValue(micros);
    }

    public void Error() => Interlocked.Increment(ref errors);

    public double PercentileMs(double p) => All.TotalCount == 0 ? 0 : All.GetValueAtPercentile(p) / 1000.0;
    public double MaxMs => All.TotalCount == 0 ? 0 : All.GetMaxValue() / 1000.0;
}

/// <summary>
/// The clock of a run: latencies are measured from when an action was scheduled, not from when it was sent, so a
/// slow server cannot hide its delays by slowing the sender down (no coordinated omission).
/// </summary>
public sealed class Recorder
{
    readonly ConcurrentDictionary<string, Metric> metrics = new();
    public long Start { get; } = Stopwatch.GetTimestamp();
    /// <summary>Samples before this are warm-up and not recorded.</summary>
    public long MeasureFrom { get; set; }

    public Metric this[string name] => metrics.GetOrAdd(name, n => new Metric(n));
    public IEnumerable<Metric> Metrics => metrics.Values.OrderBy(m => m.Name);

    public void Record(string metric, long scheduledAt)
    {
        if (scheduledAt < MeasureFrom) return;
        var now = Stopwatch.GetTimestamp();
        this[metric].Record(SecondOf(scheduledAt), (now - scheduledAt) * 1_000_000 / Stopwatch.Frequency);
    }

    public int SecondOf(long timestamp) => (int)((timestamp - Start) / Stopwatch.Frequency);

    public long At(double secondsFromStart) => Start + (long)(secondsFromStart * Stopwatch.Frequency);

    /// <summary>Seconds since Start. A schedule begins here after its setup: scheduled from Start, the setup's seconds
    /// (23 s to connect 10,000 visitors) were sent at once when it ended, a backlog the measured run then drained.</summary>
    public double Now => (double)(Stopwatch.GetTimestamp() - Start) / Stopwatch.Frequency;

    /// <summary>Runs action at rate per second from startSeconds for durationSeconds, on schedule, never waiting for an action to finish.</summary>
    /// <param name="rampSeconds">
    /// The rate climbs from a tenth to the full rate over the first rampSeconds (the warm-up): at full rate from the first
    /// second, a cold service (JIT compiling for its first seconds) built a queue that it spent the measured run draining.
    /// </param>
    public async Task OpenLoopAsync(double rate, double startSeconds, double durationSeconds, Action<long, long> action, CancellationToken ct,
        double rampSeconds = 0)
    {
        var first = At(startSeconds);
        for (long k = 0; ScheduledAt(k, rate, rampSeconds) is var t && t < durationSeconds && !ct.IsCancellationRequested; k++)
        {
            var due = first + (long)(t * Stopwatch.Frequency);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000) await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), ct);
            action(k, due);
        }
    }

    /// <summary>
    /// When the k-th event is due, in seconds: the k for which the events so far, the integral of the rate, reach k. The rate
    /// is rate·(0.1 + 0.9·t/ramp) during the ramp (rate·(0.1·t + 0.45·t²/ramp) events by t), then the full rate.
    /// </summary>
    public static double ScheduledAt(long k, double rate, double rampSeconds)
    {
        var inRamp = 0.55 * rate * rampSeconds;
        if (k >= inRamp) return rampSeconds + (k - inRamp) / rate;
        var a = 0.45 * rate / rampSeconds;
        var b = 0.1 * rate;
        return (-b + Math.Sqrt(b * b + 4 * a * k)) / (2 * a);
    }
}

/// <summary>
/// PostgreSQL's CPU: the postmaster's and every child's (backends, WAL writer, checkpointer, autovacuum), summed from /proc
/// once a second, in CPU seconds since the run began. A child that exits takes its seconds with it (pooled connections stay).
/// </summary>
public sealed class PostgresSampler(int? postmasterPid)
{
    public List<(double Second, double CpuSeconds)> Samples { get; } = [];

    public async Task RunAsync(Recorder clock, CancellationToken ct)
    {
        if (postmasterPid is not { } root) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                lock (Samples) Samples.Add((clock.Now, CpuSeconds(root)));
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>CPU seconds PostgreSQL spent from second `from` to the last sample, and over how many seconds; null with fewer than two samples there.</summary>
    public (double CpuSeconds, double Seconds)? Since(double from)
    {
        var window = Samples.Where(s => s.Second >= from).ToList();
        return window.Count < 2 ? null : (window[^1].CpuSeconds - window[0].CpuSeconds, window[^1].Second - window[0].Second);
    }

    static double CpuSeconds(int root)
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var (parent, cpuSeconds) = ServerSampler.Stat(pid);
                if (pid == root || parent == root) total += cpuSeconds;
            }
            catch (IOException) { } // exited meanwhile
        }
        return total;
    }
}

/// <summary>
/// The service's garbage collections, read from its /metrics once a second: how many of each generation and how long
/// they paused it (the same runtime counters dotnet-counters shows).
/// </summary>
public sealed class GcSampler(Uri url)
{
    public List<(double Second, double PauseSeconds, double Collections, double Gen2)> Samples { get; } = [];

    public async Task RunAsync(Recorder clock, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    var text = await http.GetStringAsync("/metrics", ct);
                    lock (Samples) Samples.Add((clock.Now, Value(text, "supportchat_gc_pause_seconds_total"),
                        Value(text, "dotnet_collection_count_total{generation=\"0\"}"), Value(text, "dotnet_collection_count_total{generation=\"2\"}")));
                }
                catch (HttpRequestException) { } // the service went away, or is too busy: a missing second
                catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            }
        }
        catch (OperationCanceledException) { }
    }

    static double Value(string metrics, string name)
    {
        var at = metrics.IndexOf("\n" + name + " ", StringComparison.Ordinal);
        if (at < 0) return 0;
        var start = at + name.Length + 2;
        var end = metrics.IndexOf('\n', start);
        return double.Parse(metrics[start..(end < 0 ? metrics.Length : end)], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Over the samples from second `from`: pause ms per second, collections (every one collects gen0), gen2 collections, mean pause ms.</summary>
    public (double PauseMsPerSecond, double Collections, double Gen2, double MeanPauseMs)? Since(double from)
    {
        var window = Samples.Where(s => s.Second >= from).ToList();
        if (window.Count < 2) return null;
        var (first, last) = (window[0], window[^1]);
        var pauseMs = (last.PauseSeconds - first.PauseSeconds) * 1000;
        var collections = last.Collections - first.Collections;
        return (pauseMs / (last.Second - first.Second), collections, last.Gen2 - first.Gen2, collections > 0 ? pauseMs / collections : 0);
    }
}

/// <summary>The service's CPU and resident memory, sampled once a second from /proc.</summary>
public sealed class ServerSampler(int? pid)
{
    public List<(double Second, double RssMb, double CpuPercent)> Samples { get; } = [];

    public async Task RunAsync(Recorder clock, CancellationToken ct)
    {
        if (pid is null) return;
        double? lastCpu = null;
        long lastAt = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var (rss, cpu) = Read(pid.Value);
                var now = Stopwatch.GetTimestamp();
                var percent = lastCpu is { } c ? (cpu - c) / ((double)(now - lastAt) / Stopwatch.Frequency) * 100 : 0;
                lastCpu = cpu;
                lastAt = now;
                lock (Samples) Samples.Add(((double)(now - clock.Start) / Stopwatch.Frequency, rss, percent));
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { } // the service went away
    }

    public static (double RssMb, double CpuSeconds) Read(int pid)
    {
        var rssKb = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return (long.Parse(rssKb) / 1024.0, Stat(pid).CpuSeconds);
    }

    /// <summary>A process's parent and its CPU seconds (utime + stime) from /proc/PID/stat.</summary>
    public static (int Parent, double CpuSeconds) Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[1]), (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0);
    }
}
