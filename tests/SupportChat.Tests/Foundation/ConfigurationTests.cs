using SupportChat.Endpoints;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Foundation;

/// <summary>The shipped service, started as a process: a bad setting stops it with one line naming the setting.</summary>
public sealed class ConfigurationTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static async Task AssertStopsNaming(Dictionary<string, string> settings, string setting) =>
        Assert.Contains(setting, await AppProcess.ExpectStartupFailureAsync(settings));

    Dictionary<string, string> Valid() => new() { ["Database:ConnectionString"] = db.ConnectionString, ["Server:Port"] = AppProcess.FreePort().ToString() };

    [Fact]
    public Task Missing_connection_string() => AssertStopsNaming(new() { ["Server:Port"] = AppProcess.FreePort().ToString() }, "Database:ConnectionString");

    [Fact]
    public Task Malformed_connection_string() =>
        AssertStopsNaming(new(Valid()) { ["Database:ConnectionString"] = "Host=localhost;Colour=blue" }, "Database:ConnectionString");

    [Fact]
    public Task Connection_string_without_a_host() =>
        AssertStopsNaming(new(Valid()) { ["Database:ConnectionString"] = "Database=supportchat" }, "Database:ConnectionString");

    [Fact]
    public Task Unreachable_database() =>
        AssertStopsNaming(new(Valid()) { ["Database:ConnectionString"] = $"Host=127.0.0.1;Port={AppProcess.FreePort()};Username=x;Password=y;Timeout=3" }, "Database:ConnectionString");

    [Theory]
    [InlineData("70000")]
    [InlineData("0")]
    [InlineData("eighty")]
    public Task Bad_port(string port) => AssertStopsNaming(new(Valid()) { ["Server:Port"] = port }, "Server:Port");

    [Fact]
    public Task Bad_listen_address() => AssertStopsNaming(new(Valid()) { ["Server:ListenAddress"] = "localhost:80" }, "Server:ListenAddress");

    [Theory]
    [InlineData("ftp://shop.example")]
    [InlineData("https://shop.example/checkout")]
    [InlineData("shop.example")]
    public Task Bad_allowed_origin(string origin) =>
        AssertStopsNaming(new(Valid()) { ["Widget:AllowedOrigins:0"] = "https://ok.example", ["Widget:AllowedOrigins:1"] = origin }, "Widget:AllowedOrigins:1");

    [Fact]
    public Task Malformed_redis_configuration() => AssertStopsNaming(new(Valid()) { ["Redis:ConnectionString"] = "127.0.0.1:6379,colour=blue" }, "Redis:ConnectionString");

    [Theory]
    [InlineData("Attachments:MaxBytes", "0")]
    [InlineData("Attachments:AllowedTypes:0", "image/svg+xml")]
    [InlineData("Attachments:Directory", "relative/files")]
    public Task Bad_Attachments_setting(string setting, string value) => AssertStopsNaming(new(Valid()) { [setting] = value }, setting);

    [Fact]
    public Task Malformed_telegram_token() => AssertStopsNaming(new(Valid()) { ["Telegram:BotToken"] = "not-a-token" }, "Telegram:BotToken");

    [Fact]
    public async Task A_valid_configuration_starts_serves_ready_and_says_what_is_off()
    {
        var (app, _) = await AppProcess.StartReadyAsync(Valid());
        await using (app)
        {
            Assert.Contains(app.Output, l => l.Contains("Redis is off"));
            Assert.Contains(app.Output, l => l.Contains("Telegram is off"));
            // Production logs are compact JSON, one object a line.
            Assert.All(app.Output, l => Assert.StartsWith("{", l));
        }
    }

    [Theory]
    [InlineData("https://Shop.Example/", "https://shop.example")]
    [InlineData("http://localhost:8080", "http://localhost:8080")]
    [InlineData("https://shop.example/path", null)]
    [InlineData("https://shop.example?x=1", null)]
    [InlineData("javascript:alert(1)", null)]
    [InlineData("", null)]
    public void Origins_are_normalised_or_refused(string value, string? expected) =>
        Assert.Equal(expected, WidgetOptions.NormalizeOrigin(value));
}
