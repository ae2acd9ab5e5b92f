using Dapper;
using DbUp;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SupportChat.Data;

public static class Database
{
    public static void AddDatabase(this IServiceCollection services)
    {
        // Columns are snake_case (admin_id), records are PascalCase (AdminId).
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        services.AddSingleton(sp => NpgsqlDataSource.Create(PooledConnectionString(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString)));
        services.AddSingleton<MigrationReport>();
        services.AddSingleton<DatabaseMigrator>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseMigrator>());
    }

    /// <summary>
    /// Npgsql's default pool (100) equals PostgreSQL's default max_connections, so a burst of socket connects could be
    /// refused by the server instead of waiting for a pooled connection. Unless the connection string sets it, the pool
    /// holds at most DefaultMaxPoolSize connections and further callers wait for one.
    /// </summary>
    public const int DefaultMaxPoolSize = 40;

    /// <summary>Prepared statements kept per connection (least recently used go first).</summary>
    public const int MaxAutoPrepare = 64;

    public static string PooledConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
            builder.MaxPoolSize = DefaultMaxPoolSize;
        // Nothing leaves session state on a pooled connection (the two advisory locks are released explicitly), so the
        // DISCARD ALL round trip on every return to the pool is saved; it was the most frequent statement under load.
        if (!connectionString.Contains("Reset", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        // Statements run again and again are prepared on each connection (after AutoPrepareMinUsages runs), so PostgreSQL
        // stops parsing and planning them every time: planning was most of its CPU on the admin API (0.35 ms planning
        // beside 0.05 ms execution for a list page). Their SQL holds no "@x IS NULL OR" conditions, which a generic plan
        // cannot use an index for; each filter combination is its own statement instead.
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
            builder.MaxAutoPrepare = MaxAutoPrepare;
        return builder.ConnectionString;
    }
}

/// <summary>The database cannot be reached or migrated, so start-up stops; the message is the one line an operator reads.</summary>
public sealed class MigrationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What the migrator did at this start; readiness waits for Completed.</summary>
public sealed class MigrationReport
{
    public volatile bool Completed;
    public IReadOnlyList<string> AppliedScripts { get; set; } = [];
}

/// <summary>
/// Applies the embedded Sql/NNNN_*.sql scripts before the server starts listening.
/// A PostgreSQL advisory lock makes instances that start together migrate one after the other.
/// </summary>
public sealed class DatabaseMigrator(NpgsqlDataSource db, IOptions<DatabaseOptions> options, MigrationReport report, ILogger<DatabaseMigrator> log)
    : IHostedLifecycleService
{
    // Any fixed 64-bit key; all SupportChat instances on one database agree on it ("SupportCh").
    const long MigrationLockKey = 0x53_75_70_70_6F_72_74_43;

    // StartingAsync runs before any hosted service's StartAsync, so before Kestrel accepts a request.
    public Task StartingAsync(CancellationToken ct) => MigrateAsync(ct);

    public async Task MigrateAsync(CancellationToken ct)
    {
        NpgsqlConnection c;
        try
        {
            c = await db.OpenConnectionAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new MigrationException($"cannot connect to PostgreSQL named by Database:ConnectionString ({ex.Message})", ex);
        }
        await using (c)
        {
            await c.ExecuteAsync("SELECT pg_advisory_lock(@MigrationLockKey)", new { MigrationLockKey });
            try
            {
                var result = DeployChanges.To
                    // NpgsqlDataSource.ConnectionString hides the password; DbUp opens its own connections.
                    .PostgresqlDatabase(options.Value.ConnectionString)
                    .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, name => name.Contains(".Sql."))
                    .WithTransactionPerScript()
                    .LogTo(new DbUpLog(log))
                    .Build()
                    .PerformUpgrade();
                if (!result.Successful)
                    throw new MigrationException($"database migration {result.ErrorScript?.Name ?? "(unknown script)"} failed: {result.Error?.Message}", result.Error);
                report.AppliedScripts = result.Scripts.Select(s => s.Name).ToList();
                log.LogInformation("Database schema is current; {Count} script(s) applied at this start", report.AppliedScripts.Count);
            }
            finally
            {
                await c.ExecuteAsync("SELECT pg_advisory_unlock(@MigrationLockKey)", new { MigrationLockKey });
            }
        }
        report.Completed = true;
    }

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>DbUp's progress goes to our log; its errors are reported once, as the start-up failure line.</summary>
sealed class DbUpLog(ILogger log) : DbUp.Engine.Output.IUpgradeLog
{
    public void LogTrace(string format, params object[] args) => log.LogTrace(format, args);
    public void LogDebug(string format, params object[] args) => log.LogDebug(format, args);
    public void LogInformation(string format, params object[] args) => log.LogInformation(format, args);
    public void LogWarning(string format, params object[] args) => log.LogWarning(format, args);
    public void LogError(string format, params object[] args) => log.LogDebug(format, args);
    public void LogError(Exception ex, string format, params object[] args) => log.LogDebug(ex, format, args);
}
