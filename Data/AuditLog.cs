using System.Text.Json;
using Dapper;
using Npgsql;

namespace SupportChat.Data;

/// <summary>One admin action: who, from where, on what, and anything else worth keeping.</summary>
public sealed record AuditEntry(
    string Action,
    long? AdminId = null,
    string? Ip = null,
    string? UserAgent = null,
    string? TargetType = null,
    string? TargetId = null,
    object? Details = null);

public static class AuditLog
{
    /// <summary>Writes the entry on the caller's connection and transaction, so it commits or rolls back with the action.</summary>
    public static Task WriteAsync(NpgsqlConnection c, NpgsqlTransaction? tx, AuditEntry e) =>
        c.ExecuteAsync("""
            INSERT INTO audit_log (admin_id, action, ip, user_agent, target_type, target_id, details)
            VALUES (@AdminId, @Action, @Ip::inet, @UserAgent, @TargetType, @TargetId, @Details::jsonb)
            """,
            new { e.AdminId, e.Action, e.Ip, e.UserAgent, e.TargetType, e.TargetId, Details = JsonSerializer.Serialize(e.Details ?? new { }) },
            tx);

    public static async Task WriteAsync(NpgsqlDataSource db, AuditEntry e)
    {
        await using var c = await db.OpenConnectionAsync();
        await WriteAsync(c, null, e);
    }
}
