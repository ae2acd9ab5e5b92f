using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SupportChat.Data;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

/// <summary>
/// The single writer stores a whole batch with one statement: seqs per conversation must still follow arrival order,
/// retried and repeated client ids must be stored once, and one bad message must not take the others with it.
/// </summary>
public sealed class ConversationWriterTests(TestApp app) : IClassFixture<TestApp>
{
    async Task<Guid> NewConversationAsync(NpgsqlDataSource db) =>
        (await VisitorStore.CreateAsync(db, Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray(),
            new VisitorDetails("V", null, null, null, null))).ConversationId;

    static NewMessage Visitor(Guid conversation, string clientMsgId, string body = "hi") =>
        new(conversation, SenderKind.Visitor, null, null, body, clientMsgId, null, 0);

    sealed class Committed
    {
        public readonly List<MessageRow> Rows = [];
        public void Add(MessageRow row, long _) { lock (Rows) Rows.Add(row); }
    }

    [Fact]
    public async Task Messages_written_together_take_consecutive_seqs_in_arrival_order_per_conversation()
    {
        var db = app.App.Get<NpgsqlDataSource>();
        var conversations = new[] { await NewConversationAsync(db), await NewConversationAsync(db), await NewConversationAsync(db) };
        var committed = new Committed();
        await using var writer = new ConversationWriter(db, committed.Add, NullLogger.Instance);

        // Queued without waiting, so that they are stored in as few batches as the writer takes them.
        var writes = Enumerable.Range(0, 60).Select(i => writer.WriteAsync(Visitor(conversations[i % 3], $"m{i}", $"body {i}"))).ToList();
        var stored = await Task.WhenAll(writes);

        for (var k = 0; k < 3; k++)
        {
            var mine = Enumerable.Range(0, 60).Where(i => i % 3 == k).Select(i => stored[i]!).ToList();
            Assert.All(mine, s => Assert.False(s.Duplicate));
            Assert.Equal(Enumerable.Range(1, 20).Select(n => (long)n), mine.Select(s => s.Message.Seq));
            Assert.Equal(Enumerable.Range(0, 60).Where(i => i % 3 == k).Select(i => $"body {i}"), mine.Select(s => s.Message.Body));
            // Published in seq order, once each.
            Assert.Equal(Enumerable.Range(1, 20).Select(n => (long)n),
                committed.Rows.Where(r => r.ConversationId == conversations[k]).Select(r => r.Seq));
        }
        await using var c = await db.OpenConnectionAsync();
        foreach (var (conversation, k) in conversations.Select((id, k) => (id, k)))
        {
            Assert.Equal(20, await c.ExecuteScalarAsync<long>("SELECT last_seq FROM conversations WHERE id = @conversation", new { conversation }));
            var rows = (await c.QueryAsync<(long Seq, string Body)>(
                "SELECT seq, body FROM messages WHERE conversation_id = @conversation ORDER BY seq", new { conversation })).ToList();
            Assert.Equal(Enumerable.Range(1, 20).Select(n => (long)n), rows.Select(r => r.Seq));
            Assert.Equal(Enumerable.Range(0, 60).Where(i => i % 3 == k).Select(i => $"body {i}"), rows.Select(r => r.Body));
        }
    }

    [Fact]
    public async Task A_client_id_repeated_in_a_batch_or_retried_later_is_stored_once()
    {
        var db = app.App.Get<NpgsqlDataSource>();
        var conversation = await NewConversationAsync(db);
        var committed = new Committed();
        await using var writer = new ConversationWriter(db, committed.Add, NullLogger.Instance);

        var first = writer.WriteAsync(Visitor(conversation, "same", "first"));
        var repeat = writer.WriteAsync(Visitor(conversation, "same", "first"));
        var other = writer.WriteAsync(Visitor(conversation, "other", "second"));
        var (a, b, o) = (await first, await repeat, await other);
        var retried = await writer.WriteAsync(Visitor(conversation, "same", "first"));

        Assert.False(a!.Duplicate);
        Assert.True(b!.Duplicate);
        Assert.True(retried!.Duplicate);
        Assert.Equal(a.Message.Id, b.Message.Id);
        Assert.Equal(a.Message.Id, retried.Message.Id);
        Assert.Equal(a.Message.Seq, retried.Message.Seq);
        Assert.True(o!.Message.Seq > a.Message.Seq);
        Assert.Equal(2, committed.Rows.Count);
        await using var c = await db.OpenConnectionAsync();
        Assert.Equal(2, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM messages WHERE conversation_id = @conversation", new { conversation }));
    }

    [Fact]
    public async Task A_message_to_a_missing_conversation_gets_nothing_and_the_rest_of_its_batch_is_stored()
    {
        var db = app.App.Get<NpgsqlDataSource>();
        var conversation = await NewConversationAsync(db);
        await using var writer = new ConversationWriter(db, (_, _) => { }, NullLogger.Instance);

        var before = writer.WriteAsync(Visitor(conversation, "a"));
        var missing = writer.WriteAsync(Visitor(Guid.NewGuid(), "x"));
        var after = writer.WriteAsync(Visitor(conversation, "b"));

        Assert.Null(await missing);
        Assert.Equal(1, (await before)!.Message.Seq);
        Assert.Equal(2, (await after)!.Message.Seq);
    }

    [Fact]
    public async Task A_visitor_message_reopens_a_closed_conversation_and_an_admin_message_does_not()
    {
        var db = app.App.Get<NpgsqlDataSource>();
        var conversation = await NewConversationAsync(db);
        await using var writer = new ConversationWriter(db, (_, _) => { }, NullLogger.Instance);
        await using var c = await db.OpenConnectionAsync();
        const string close = "UPDATE conversations SET status = 'closed', closed_at = now() WHERE id = @conversation";
        const string status = "SELECT status FROM conversations WHERE id = @conversation";

        await c.ExecuteAsync(close, new { conversation });
        await writer.WriteAsync(new NewMessage(conversation, SenderKind.Admin, null, "Ann", "still closed", "a1", null, 0));
        Assert.Equal("closed", await c.ExecuteScalarAsync<string>(status, new { conversation }));

        await writer.WriteAsync(Visitor(conversation, "v1"));
        Assert.Equal("open", await c.ExecuteScalarAsync<string>(status, new { conversation }));
        Assert.Null(await c.ExecuteScalarAsync<DateTime?>("SELECT closed_at FROM conversations WHERE id = @conversation", new { conversation }));
    }
}
