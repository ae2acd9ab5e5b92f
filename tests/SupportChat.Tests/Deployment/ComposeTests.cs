using System.Text.RegularExpressions;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Telegram;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace SupportChat.Tests.Deployment;

/// <summary>
/// The shipped service started with exactly the environment compose.yaml gives an instance (interpolated as Compose
/// does), only the addresses of PostgreSQL and Redis moved to the test's: every Telegram setup an operator can pass
/// through it starts.
/// </summary>
public sealed partial class ComposeTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Without_Telegram_variables_the_instance_starts_with_Telegram_off()
    {
        var (app, http) = await AppProcess.StartReadyAsync(InstanceEnvironment(new() { ["POSTGRES_PASSWORD"] = "unused" }));
        await using var _ = app;
        http.Dispose();
        Assert.Contains(app.Output, l => l.Contains("Telegram is off", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Polling", "getUpdates")]
    [InlineData("Webhook", "setWebhook")]
    public async Task With_the_Telegram_variables_set_the_instance_starts_with_Telegram_on(string mode, string firstCall)
    {
        await using var fake = new FakeBotApi();
        var environment = InstanceEnvironment(new()
        {
            ["POSTGRES_PASSWORD"] = "unused",
            ["TELEGRAM_BOT_TOKEN"] = FakeBotApi.Token,
            ["TELEGRAM_BOT_USERNAME"] = TelegramHost.BotUsername,
            ["TELEGRAM_ADMIN_CHAT_ID"] = TelegramHost.AdminChat.ToString(),
            ["TELEGRAM_MODE"] = mode,
            ["TELEGRAM_WEBHOOK_SECRET"] = "compose-webhook-secret_0123456789",
            ["TELEGRAM_API_BASE_URL"] = fake.Url,
        });
        AppProcess app;
        try { (app, var http) = await AppProcess.StartReadyAsync(environment); http.Dispose(); }
        catch (InvalidOperationException ex)
        {
            output.WriteLine(ex.Message);
            throw;
        }
        await using var _ = app;
        Assert.Contains(app.Output, l => l.Contains($"Telegram is on ({mode})", StringComparison.Ordinal));
        await fake.WaitForAsync(calls => calls.Any(c => c.Method == firstCall), firstCall);
    }

    /// <summary>app1's environment from compose.yaml, with ${VAR}, ${VAR:-default} and ${VAR:?error} replaced from variables.</summary>
    Dictionary<string, string> InstanceEnvironment(Dictionary<string, string> variables)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(AppContext.BaseDirectory, "deploy", "compose.yaml"))) yaml.Load(reader);
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        var environment = (YamlMappingNode)((YamlMappingNode)services["app1"])["environment"];
        var result = environment.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => Interpolate(((YamlScalarNode)e.Value).Value ?? "", variables));
        // The deployment's topology, not its settings: this test's PostgreSQL, and no Redis (an instance runs alone without it).
        Assert.True(result.ContainsKey("Database__ConnectionString"));
        result["Database__ConnectionString"] = db.ConnectionString;
        result.Remove("Redis__ConnectionString");
        foreach (var (key, value) in result.Where(e => e.Key.StartsWith("Telegram__", StringComparison.Ordinal)))
            output.WriteLine($"{key}={(key.EndsWith("Token", StringComparison.Ordinal) || key.EndsWith("Secret", StringComparison.Ordinal) ? "(set)" : value)}");
        return result;
    }

    static string Interpolate(string value, Dictionary<string, string> variables) => Variable().Replace(value, m =>
    {
        var set = variables.TryGetValue(m.Groups["name"].Value, out var v) && v.Length > 0 ? v : null;
        return m.Groups["op"].Value switch
        {
            ":-" => set ?? m.Groups["arg"].Value,
            ":?" => set ?? throw new InvalidOperationException($"compose would stop: {m.Groups["arg"].Value}"),
            _ => set ?? "",
        };
    });

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:[-?])(?<arg>[^}]*))?\}")]
    private static partial Regex Variable();
}
