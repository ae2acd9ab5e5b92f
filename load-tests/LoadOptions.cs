using System.Globalization;

namespace SupportChat.LoadTests;

/// <summary>What to run, how hard, for how long, and the thresholds that decide pass or fail.</summary>
public sealed class LoadOptions
{
    public Uri Url { get; set; } = new("http://127.0.0.1:8080");
    public string Scenario { get; set; } = "chat";
    public double WarmupSeconds { get; set; } = 2;
    public double DurationSeconds { get; set; } = 10;
    public int Visitors { get; set; } = 100;
    public int Admins { get; set; } = 2;
    /// <summary>chat: visitor messages per second in total; api and search: requests per second; soak: as chat.</summary>
    public double Rate { get; set; } = 50;
    /// <summary>chat: admin replies per second in total.</summary>
    public double AdminRate { get; set; } = 5;
    /// <summary>connect: visitors that connect (session + socket + history) within ConnectSeconds.</summary>
    public int ConnectCount { get; set; } = 200;
    public double ConnectSeconds { get; set; } = 5;
    /// <summary>connect: how long the connected visitors stay connected and idle before the server's RSS is read (connect.rss_mb_idle).</summary>
    public double HoldSeconds { get; set; }
    /// <summary>search: the generated data set (made once in the service's database, skipped when already there).</summary>
    public long SearchMessages { get; set; } = 1_000_000;
    public int SearchConversations { get; set; } = 20_000;
    /// <summary>search: visitor messages a second written while searching (0: search an idle database), by WriteVisitors visitors.</summary>
    public double WriteRate { get; set; }
    public int WriteVisitors { get; set; } = 1000;
    /// <summary>PostgreSQL connection string of the service's database: the run creates its admin sessions there.</summary>
    public string? Database { get; set; }
    /// <summary>The service's process id, to report its CPU and memory beside the latencies.</summary>
    public int? ServerPid { get; set; }
    /// <summary>PostgreSQL's postmaster process id, to report its CPU per stored message (postgres.cpu_ms_per_message).</summary>
    public int? PostgresPid { get; set; }
    public string ReportDirectory { get; set; } = "load-tests/reports";
    /// <summary>metric.statistic → limit, e.g. "visitor_to_admin.p99" → 20 (milliseconds; rss_mb in MB; connect.seconds in s).</summary>
    public Dictionary<string, double> Thresholds { get; } = [];
    /// <summary>Commits a second of the side probe that measures the disk's own commit latency (CommitFloor); 0 turns it off. Needs --database.</summary>
    public double FloorRate { get; set; } = 20;
    /// <summary>Hard stop for the whole run, whatever the settings say.</summary>
    public double MaxSeconds { get; set; } = 3600;

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Number() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--url": o.Url = new Uri(Next()); break;
                case "--scenario": o.Scenario = Next(); break;
                case "--warmup": o.WarmupSeconds = Number(); break;
                case "--duration": o.DurationSeconds = Number(); break;
                case "--visitors": o.Visitors = (int)Number(); break;
                case "--admins": o.Admins = (int)Number(); break;
                case "--rate": o.Rate = Number(); break;
                case "--admin-rate": o.AdminRate = Number(); break;
                case "--connect-count": o.ConnectCount = (int)Number(); break;
                case "--connect-seconds": o.ConnectSeconds = Number(); break;
                case "--hold": o.HoldSeconds = Number(); break;
                case "--search-messages": o.SearchMessages = (long)Number(); break;
                case "--search-conversations": o.SearchConversations = (int)Number(); break;
                case "--database": o.Database = Next(); break;
                case "--write-rate": o.WriteRate = Number(); break;
                case "--write-visitors": o.WriteVisitors = (int)Number(); break;
                case "--server-pid": o.ServerPid = (int)Number(); break;
                case "--postgres-pid": o.PostgresPid = (int)Number(); break;
                case "--report-dir": o.ReportDirectory = Next(); break;
                case "--max-seconds": o.MaxSeconds = Number(); break;
                case "--floor-rate": o.FloorRate = Number(); break;
                case "--threshold":
                    var (key, value) = Next().Split('=') is [var k, var v] ? (k, double.Parse(v, CultureInfo.InvariantCulture))
                        : throw new ArgumentException("--threshold takes metric.statistic=limit, e.g. visitor_to_admin.p99=20");
                    o.Thresholds[key] = value;
                    break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (!o.Url.IsLoopback) throw new ArgumentException("--url must be a loopback address: load runs only target this machine");
        if (o.Scenario is not ("chat" or "api" or "connect" or "soak" or "search")) throw new ArgumentException("--scenario is chat, api, connect, soak or search");
        if (o.WriteRate < 0 || o.WriteVisitors < 1) throw new ArgumentException("--write-rate must not be negative and --write-visitors must be positive");
        if (o.WriteRate > 0 && o.Scenario != "search") throw new ArgumentException("--write-rate is for the search scenario");
        if (o.FloorRate is < 0 or > 200) throw new ArgumentException("--floor-rate is 0 to 200 commits a second");
        if (o.HoldSeconds < 0 || o.HoldSeconds > 600) throw new ArgumentException("--hold is 0 to 600 seconds");
        if (o.Rate <= 0 || o.DurationSeconds <= 0 || o.Visitors < 1) throw new ArgumentException("--rate, --duration and --visitors must be positive");
        if (o.SearchMessages < 1 || o.SearchConversations < 1) throw new ArgumentException("--search-messages and --search-conversations must be positive");
        return o;
    }
}
