namespace SupportChat.Scaleout;

public sealed class RedisOptions
{
    public const string Section = "Redis";
    /// <summary>StackExchange.Redis configuration string; empty means single-instance mode without Redis.</summary>
    public string? ConnectionString { get; set; }
    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);

    public IEnumerable<string> Errors()
    {
        if (!Enabled) yield break;
        string? error = null;
        try { StackExchange.Redis.ConfigurationOptions.Parse(ConnectionString!); }
        catch (ArgumentException ex) { error = ex.Message; }
        if (error is not null)
            yield return $"Redis:ConnectionString is not a valid Redis configuration ({error}); expected host:port[,password=...]";
    }
}
