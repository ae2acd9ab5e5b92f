namespace SupportChat.Tests.Infrastructure;

/// <summary>The Redis server tests use: SUPPORTCHAT_TEST_REDIS (scripts/test starts one). A test that needs it fails without it.</summary>
public static class TestRedis
{
    public const string EnvironmentVariable = "SUPPORTCHAT_TEST_REDIS";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"No Redis for the tests: run them with scripts/test (it starts one), or set {EnvironmentVariable} to host:port of a Redis server.");
}
