using System.Diagnostics;
using Npgsql;

namespace SupportChat.LoadTests;

/// <summary>
/// The machine's own durable-commit latency during the run: one small row committed on its own connection at a steady
/// rate (FloorRate a second) into the service's database, so on the same disk and WAL as the service's messages. Recorded as
/// "commit_floor"; a threshold "metric.p99_above_floor" is that metric's p99 minus this one's, which tells a slow disk (both
/// rise) from a slow service (only the service's rises). The probe adds FloorRate commits a second to the run's load.
/// </summary>
public static class CommitFloor
{
    public const string Metric = "commit_floor";
    const string Table = "load_commit_floor";

    public static async Task RunAsync(string database, double rate, Recorder rec, CancellationToken ct)
    {
        await using var c = new NpgsqlConnection(database);
        await c.OpenAsync(ct);
        await using (var create = new NpgsqlCommand($"CREATE TABLE IF NOT EXISTS {Table} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())", c))
            await create.ExecuteNonQueryAsync(ct);
        await using var insert = new NpgsqlCommand($"INSERT INTO {Table} DEFAULT VALUES", c);
        await insert.PrepareAsync(ct);
        var period = Stopwatch.Frequency / rate;
        var first = Stopwatch.GetTimestamp();
        try
        {
            for (long k = 0; !ct.IsCancellationRequested; k++)
            {
                var due = first + (long)(k * period);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0) await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), ct);
                await insert.ExecuteNonQueryAsync(CancellationToken.None); // autocommit: one durable commit, a few ms; not cut off mid-way
                // Timed from its schedule, as the service's messages are: a disk stall delays every probe due during it as it
                // delays every message queued behind the stalled commit, so the share of slow samples, and the p99s, compare.
                if (rec.MeasureFrom != 0) rec.Record(Metric, due);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {Table}", c);
            try { await drop.ExecuteNonQueryAsync(CancellationToken.None); } catch (NpgsqlException) { } // left for the next run's CREATE IF NOT EXISTS
        }
    }
}
