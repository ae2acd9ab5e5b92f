using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Search;

public sealed class SearchApiTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    SupportChatApp app = null!;
    HttpClient http = null!;

    public async Task InitializeAsync()
    {
        app = new SupportChatApp(db.ConnectionString);
        _ = app.Server; // migrates
        http = TestAdmins.CreateClient(app, await TestAdmins.SignInAsync(db.ConnectionString));
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    async Task<JsonElement> SearchAsync(string query)
    {
        var response = await http.GetAsync("/api/admin/search?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    static List<JsonElement> Results(JsonElement page, string kind = "message") =>
        page.GetProperty("results").EnumerateArray().Where(r => r.GetProperty("kind").GetString() == kind).ToList();

    static string Plain(string snippet) => snippet.Replace("\uE000", "").Replace("\uE001", "");

    [Fact]
    public async Task A_Turkish_word_with_its_diacritics_is_found_and_marked_in_the_snippet()
    {
        var (conversation, ids) = await SearchSeed.ConversationAsync(db.ConnectionString, "Mehmet Öz", null,
            ("visitor", "Merhaba"), ("visitor", "Siparişim gelmedi, kargo nerede?"));

        foreach (var q in new[] { "siparişim", "Siparişim", "kargo", "KARGO nerede" })
        {
            var hit = Assert.Single(Results(await SearchAsync("q=" + Uri.EscapeDataString(q))));
            Assert.Equal(conversation, hit.GetProperty("conversationId").GetGuid());
            Assert.Equal(ids[1], hit.GetProperty("messageId").GetInt64());
            Assert.Equal(2, hit.GetProperty("seq").GetInt64());
            Assert.Equal("visitor", hit.GetProperty("sender").GetString());
            Assert.Equal("Mehmet Öz", hit.GetProperty("visitorName").GetString());
            Assert.Equal("Siparişim gelmedi, kargo nerede?", Plain(hit.GetProperty("snippet").GetString()!));
        }
        var snippet = Results(await SearchAsync("q=sipari%C5%9Fim"))[0].GetProperty("snippet").GetString();
        Assert.Equal("\uE000Siparişim\uE001 gelmedi, kargo nerede?", snippet);
        // Without its diacritics it is another word.
        Assert.Empty(Results(await SearchAsync("q=siparisim")));
    }

    [Fact]
    public async Task Websearch_syntax_phrases_and_exclusions()
    {
        var (_, ids) = await SearchSeed.ConversationAsync(db.ConnectionString, null, null,
            ("visitor", "the invoice arrived late yesterday"), ("admin", "late invoice fixed today"), ("visitor", "invoice and refund please"));

        long[] Found(JsonElement page) => Results(page).Select(r => r.GetProperty("messageId").GetInt64()).Order().ToArray();
        Assert.Equal(ids, Found(await SearchAsync("q=invoice")));
        Assert.Equal([ids[1]], Found(await SearchAsync("q=" + Uri.EscapeDataString("\"late invoice\""))));
        Assert.Equal([ids[0], ids[1]], Found(await SearchAsync("q=" + Uri.EscapeDataString("invoice -refund"))));
        Assert.Equal([ids[1], ids[2]], Found(await SearchAsync("q=" + Uri.EscapeDataString("today or refund"))));
    }

    [Fact]
    public async Task A_partial_visitor_name_finds_the_visitor_and_their_conversation()
    {
        var (conversation, _) = await SearchSeed.ConversationAsync(db.ConnectionString, "Ayşe Yılmaz", "ayse@example.com", ("visitor", "merhaba"));

        var visitor = Assert.Single(Results(await SearchAsync("q=ay%C5%9F"), "visitor"));
        Assert.Equal(conversation, visitor.GetProperty("conversationId").GetGuid());
        Assert.Equal("Ayşe Yılmaz", visitor.GetProperty("visitorName").GetString());
        Assert.Equal("\uE000Ayş\uE001e Yılmaz · ayse@example.com", visitor.GetProperty("snippet").GetString());
        Assert.Equal(JsonValueKind.Null, visitor.GetProperty("messageId").ValueKind);
        Assert.Equal(conversation, Assert.Single(Results(await SearchAsync("q=AYSE%40EXAMPLE"), "visitor")).GetProperty("conversationId").GetGuid());
        // % and _ are text, not patterns.
        Assert.Empty(Results(await SearchAsync("q=a%25e"), "visitor"));
    }

    [Fact]
    public async Task Pages_follow_each_other_newest_first_without_duplicates_or_gaps()
    {
        var bodies = Enumerable.Range(0, 23).Select(i => ("visitor", $"pagingword number {i}")).ToArray();
        var (_, ids) = await SearchSeed.ConversationAsync(db.ConnectionString, null, null, bodies);

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await SearchAsync("q=pagingword&limit=5" + (cursor is null ? "" : "&before=" + cursor));
            seen.AddRange(Results(page).Select(r => r.GetProperty("messageId").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        } while (cursor is not null && pages < 10);
        Assert.Equal(ids.Reverse(), seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public async Task Past_the_recent_window_older_matches_come_from_the_index_in_the_same_order()
    {
        var bodies = Enumerable.Range(0, 30).Select(i => (i % 7 == 0 ? "note" : "visitor", i % 3 == 0 ? $"windowword {i}" : $"filler {i}")).ToArray();
        var (_, ids) = await SearchSeed.ConversationAsync(db.ConnectionString, null, null, bodies);
        var expected = ids.Select((id, i) => (id, i)).Where(x => x.i % 3 == 0 && x.i % 7 != 0).Select(x => x.id).Reverse().ToList();

        var source = app.Get<NpgsqlDataSource>();
        var seen = new List<long>();
        long? before = null;
        for (var pages = 0; pages < 10; pages++)
        {
            // A window of 4 ids: each page is partly walked, partly from the GIN index.
            var page = await SupportChat.Data.SearchStore.MessagesAsync(source, "windowword", before, 3, recentWindow: 4);
            seen.AddRange(page.Select(h => h.MessageId));
            if (page.Count < 3) break;
            before = page[^1].MessageId;
        }
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task A_common_word_the_newest_messages_lack_is_walked_in_older_windows_in_the_same_order()
    {
        // Older matches are many (more than rareMatches), then a burst of other messages fills the recent window: the page
        // comes from walking older windows, not from collecting every older match.
        var bodies = Enumerable.Range(0, 40).Select(i => ("visitor", i < 30 && i % 2 == 0 ? $"burstword {i}" : $"other {i}")).ToArray();
        var (_, ids) = await SearchSeed.ConversationAsync(db.ConnectionString, null, null, bodies);
        var expected = ids.Where((_, i) => i < 30 && i % 2 == 0).Reverse().ToList();

        var source = app.Get<NpgsqlDataSource>();
        var seen = new List<long>();
        long? before = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await SupportChat.Data.SearchStore.MessagesAsync(source, "burstword", before, 4, recentWindow: 5, rareMatches: 3);
            seen.AddRange(page.Select(h => h.MessageId));
            if (page.Count < 4) break;
            before = page[^1].MessageId;
        }
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Deleted_messages_and_private_notes_are_never_found()
    {
        var (_, ids) = await SearchSeed.ConversationAsync(db.ConnectionString, null, null,
            ("visitor", "hiddenword in a visible message"), ("note", "hiddenword in a private note"), ("visitor", "hiddenword deleted later"));
        await using (var c = new NpgsqlConnection(db.ConnectionString))
            await c.ExecuteAsync("UPDATE messages SET deleted_at = now() WHERE id = @id", new { id = ids[2] });

        Assert.Equal(ids[0], Assert.Single(Results(await SearchAsync("q=hiddenword"))).GetProperty("messageId").GetInt64());
    }

    [Fact]
    public async Task Markup_in_a_body_comes_back_as_text_and_marker_characters_cannot_be_injected()
    {
        await SearchSeed.ConversationAsync(db.ConnectionString, null, null, ("visitor", "markupword <b>x</b> \uE000fake\uE001"));
        var snippet = Assert.Single(Results(await SearchAsync("q=markupword"))).GetProperty("snippet").GetString();
        Assert.Equal("\uE000markupword\uE001 <b>x</b> fake", snippet);
    }

    [Theory]
    [InlineData("")]
    [InlineData("q=")]
    [InlineData("q=%20%20")]
    [InlineData("q=ok&limit=0")]
    [InlineData("q=ok&limit=51")]
    [InlineData("q=ok&before=abc")]
    [InlineData("q=ok&before=-1")]
    [InlineData("q=ok&limit=x")]
    public async Task A_bad_request_gets_bad_request_and_nothing_else(string query)
    {
        var response = await http.GetAsync("/api/admin/search?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bad_request", body.GetProperty("error").GetString());
        Assert.False(body.TryGetProperty("results", out _));
    }

    [Fact]
    public async Task A_query_over_200_characters_is_refused_and_200_is_accepted()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/admin/search?q=" + new string('a', 201))).StatusCode);
        Assert.Empty(Results(await SearchAsync("q=" + new string('a', 200))));
        // Syntax that makes an empty query is no error: nothing matches.
        Assert.Empty(Results(await SearchAsync("q=" + Uri.EscapeDataString("\" - & | !"))));
    }

    [Fact]
    public async Task Without_a_session_search_is_unauthorized()
    {
        var response = await app.CreateClient().GetAsync("/api/admin/search?q=kargo");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }
}
