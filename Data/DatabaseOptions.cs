using Npgsql;

namespace SupportChat.Data;

public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public string ConnectionString { get; set; } = "";

    public IEnumerable<string> Errors()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return "Database:ConnectionString is missing: set it (environment variable Database__ConnectionString) to a PostgreSQL connection string such as Host=localhost;Database=supportchat;Username=supportchat;Password=...";
            yield break;
        }
        string? error = null;
        try
        {
            if (string.IsNullOrWhiteSpace(new NpgsqlConnectionStringBuilder(ConnectionString).Host))
                error = "it names no Host";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            error = ex.Message;
        }
        if (error is not null)
            yield return $"Database:ConnectionString is not a valid PostgreSQL connection string ({error}); expected Host=...;Database=...;Username=...;Password=...";
    }
}
