using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Prometheus;
using SupportChat.Data;

namespace SupportChat.Endpoints;

public static class HealthApi
{
    public static void AddHealth(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgresql", tags: ["ready"]);

    public static void MapHealth(this WebApplication app)
    {
        // Live: the process answers. Ready: PostgreSQL reachable and migrated; Redis reachable when configured.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteReport,
        });
    }

    public static void MapMetricsEndpoint(this WebApplication app)
    {
        // A socket is one request that lasts for hours: its duration says nothing, and its metric state lived as long.
        app.UseWhen(http => !http.Request.Path.StartsWithSegments("/ws"), branch => branch.UseHttpMetrics());
        app.MapMetrics("/metrics");
        // Beside prometheus-net's collection counts: how long collections have paused the process (the load report's gc.* figures).
        var paused = Metrics.CreateCounter("supportchat_gc_pause_seconds_total", "Time the garbage collector has paused this process");
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() => paused.IncTo(GC.GetTotalPauseDuration().TotalSeconds));
    }

    static Task WriteReport(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(http.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }

    sealed class PostgresHealthCheck(NpgsqlDataSource db, MigrationReport migrations) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            if (!migrations.Completed) return HealthCheckResult.Unhealthy("migrations have not finished");
            try
            {
                await using var c = await db.OpenConnectionAsync(ct);
                await c.ExecuteScalarAsync<int>("SELECT 1");
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL unreachable", ex);
            }
        }
    }
}
