using Dapper;
using DotNet.Testcontainers.Builders;
using Npgsql;
using Testcontainers.PostgreSql;

namespace SupportChat.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server every test uses: the one named by SUPPORTCHAT_TEST_PG (scripts/test starts one),
/// otherwise a Testcontainers container. Each test class asks it for a fresh database.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "SUPPORTCHAT_TEST_PG";
    static readonly Lazy<Task<string>> Server = new(StartAsync);

    static async Task<string> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        PostgreSqlContainer container;
        try
        {
            container = new PostgreSqlBuilder("postgres:15-alpine").Build();
        }
        catch (DockerUnavailableException ex)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL for the tests: run them with scripts/test (it starts one), or set {EnvironmentVariable} to a connection string " +
                "of a PostgreSQL server whose user may create databases, or start a Docker engine for Testcontainers.", ex);
        }
        await container.StartAsync();
        return container.GetConnectionString();
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(await Server.Value);
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var c = new NpgsqlConnection(server.ConnectionString))
            await c.ExecuteAsync($"CREATE DATABASE {name}"); // name is ours, not input
        server.Database = name;
        server.Pooling = true;
        return server.ConnectionString;
    }

    /// <summary>Drops a database made by CreateDatabaseAsync, closing whatever still uses it.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var server = new NpgsqlConnectionStringBuilder(await Server.Value);
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(server.ConnectionString);
        await c.ExecuteAsync($"DROP DATABASE IF EXISTS {target.Database} WITH (FORCE)");
    }
}

/// <summary>A fresh database for one test class, dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() => ConnectionString = await TestPostgres.CreateDatabaseAsync();

    public Task DisposeAsync() => TestPostgres.DropDatabaseAsync(ConnectionString);

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        return c;
    }
}

/// <summary>A fresh database and the app on it, shared by the tests of one class.</summary>
public sealed class TestApp : IAsyncLifetime
{
    readonly TestDatabase db = new();
    public SupportChatApp App { get; private set; } = null!;
    public string ConnectionString => db.ConnectionString;

    public async Task InitializeAsync()
    {
        await db.InitializeAsync();
        App = new SupportChatApp(db.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await db.DisposeAsync();
    }
}
