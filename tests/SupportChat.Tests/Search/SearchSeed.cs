using Dapper;
using Npgsql;

namespace SupportChat.Tests.Search;

/// <summary>Conversations written straight into the database, for search tests.</summary>
public static class SearchSeed
{
    /// <summary>A visitor with one conversation holding the given messages (sender kind, body), seq 1, 2, ...; returns the conversation and message ids.</summary>
    public static async Task<(Guid ConversationId, long[] MessageIds)> ConversationAsync(
        string connectionString, string? name, string? email, params (string Sender, string Body)[] messages)
    {
        await using var c = new NpgsqlConnection(connectionString);
        var visitorId = await c.ExecuteScalarAsync<Guid>("""
            INSERT INTO visitors (token_hash, name, email) VALUES (@hash, @name, @email) RETURNING id
            """, new { hash = Guid.NewGuid().ToByteArray(), name, email });
        var conversationId = await c.ExecuteScalarAsync<Guid>(
            "INSERT INTO conversations (visitor_id, last_seq) VALUES (@visitorId, @count) RETURNING id", new { visitorId, count = messages.Length });
        var ids = new long[messages.Length];
        for (var i = 0; i < messages.Length; i++)
            ids[i] = await c.ExecuteScalarAsync<long>("""
                INSERT INTO messages (conversation_id, seq, sender_kind, body) VALUES (@conversationId, @seq, @sender, @body) RETURNING id
                """, new { conversationId, seq = i + 1, sender = messages[i].Sender, body = messages[i].Body });
        return (conversationId, ids);
    }
}
