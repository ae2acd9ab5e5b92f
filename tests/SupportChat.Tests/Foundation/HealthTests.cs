using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Foundation;

public sealed class HealthTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync("/health/ready");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task Live_and_ready_answer_when_postgres_is_migrated()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var (status, body) = await ReadyAsync(client);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("postgresql").GetProperty("status").GetString());
        Assert.False(body.GetProperty("checks").TryGetProperty("redis", out _));
    }

    [Fact]
    public async Task Ready_fails_while_postgres_is_unreachable_and_live_still_answers()
    {
        var own = await TestPostgres.CreateDatabaseAsync();
        await using var app = new SupportChatApp(own);
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(client)).Status);

        await TestPostgres.DropDatabaseAsync(own);

        var (status, body) = await ReadyAsync(client);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("postgresql").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Ready_includes_redis_when_configured()
    {
        await using var app = new SupportChatApp(db.ConnectionString, new Dictionary<string, string?> { ["Redis:ConnectionString"] = TestRedis.ConnectionString });
        var (status, body) = await ReadyAsync(app.CreateClient());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_reports_degraded_when_configured_redis_is_down()
    {
        var nobody = $"127.0.0.1:{AppProcess.FreePort()},connectTimeout=500";
        await using var app = new SupportChatApp(db.ConnectionString, new Dictionary<string, string?> { ["Redis:ConnectionString"] = nobody });
        var (status, body) = await ReadyAsync(app.CreateClient());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.Equal("Degraded", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_and_the_api_description_are_served()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var client = app.CreateClient();
        await client.GetAsync("/health/live");
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("http_request_duration_seconds", metrics);
        var openApi = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        Assert.StartsWith("3.", openApi.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task The_schema_has_the_indexes_the_product_pages_by()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        _ = app.Server;
        await using var c = new NpgsqlConnection(db.ConnectionString);
        var indexes = (await c.QueryAsync<string>("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'")).ToList();
        Assert.Contains(indexes, i => i.Contains("conversations_activity_idx") && i.Contains("(last_activity_at DESC, id DESC)"));
        Assert.Contains(indexes, i => i.Contains("messages_conversation_seq_key") && i.Contains("(conversation_id, seq)"));
        Assert.Contains(indexes, i => i.Contains("messages_client_msg_key") && i.Contains("client_msg_id"));
    }
}

public sealed class PoolSizeTests
{
    [Theory]
    [InlineData("Host=db;Username=u", SupportChat.Data.Database.DefaultMaxPoolSize)]
    [InlineData("Host=db;Username=u;Maximum Pool Size=7", 7)]
    [InlineData("Host=db;Username=u;MaxPoolSize=9", 9)]
    public void The_pool_stays_below_postgres_default_max_connections_unless_configured(string connectionString, int expected) =>
        Assert.Equal(expected, new Npgsql.NpgsqlConnectionStringBuilder(SupportChat.Data.Database.PooledConnectionString(connectionString)).MaxPoolSize);
}
