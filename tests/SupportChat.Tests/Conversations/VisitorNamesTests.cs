using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using SupportChat.Conversations;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using SupportChat.Tests.Telegram;
using static SupportChat.Tests.Telegram.TelegramHost;

namespace SupportChat.Tests.Conversations;

/// <summary>One name per visitor: the list, search, the audit log and Telegram call a visitor the same thing.</summary>
public sealed partial class VisitorNamesTests(TestDatabase database) : TelegramTest(database)
{
    [GeneratedRegex(@"^[A-Z][a-z]+ [1-9][0-9]{2}$")] private static partial Regex MadeName();

    [Fact]
    public void A_made_name_depends_only_on_the_visitor_id_and_a_given_name_wins()
    {
        var id = Guid.Parse("0195f3c2-7a10-7000-8000-000000000001");
        Assert.Equal(VisitorNames.Generated(id), VisitorNames.Generated(Guid.Parse(id.ToString())));
        Assert.Matches(MadeName(), VisitorNames.Generated(id));
        Assert.Matches(MadeName(), VisitorNames.Generated(Guid.Empty));
        // Time-ordered ids that differ only in their last byte still get different names, mostly.
        var neighbours = Enumerable.Range(0, 50).Select(i => VisitorNames.Generated(Guid.Parse($"0195f3c2-7a10-7000-8000-0000000000{i:x2}"))).ToList();
        Assert.True(neighbours.Distinct().Count() >= 45, string.Join(", ", neighbours));

        Assert.Equal("Ayşe", VisitorNames.Display(id, "  Ayşe "));
        Assert.Equal(VisitorNames.Generated(id), VisitorNames.Display(id, null));
        Assert.Equal(VisitorNames.Generated(id), VisitorNames.Display(id, " \t\n"));
        Assert.Equal("<b>x</b>", VisitorNames.Display(id, "<b>x</b>"));
    }

    [Fact]
    public async Task An_anonymous_visitor_has_the_same_made_name_in_the_list_search_the_audit_log_and_Telegram()
    {
        var visitor = await host.StartVisitorAsync(new { pageUrl = "https://shop.example/" });
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "n-1", body = "whereismyparcel please" });
        await socket.ReceiveAsync("ack");
        using var http = host.AdminHttp(await TestAdmins.SignInAsync(db.ConnectionString));

        var row = await ListRowAsync(http, visitor.ConversationId);
        var name = VisitorNames.Generated(row.GetProperty("visitorId").GetGuid());
        Assert.Matches(MadeName(), name);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("visitorName").ValueKind);
        Assert.Equal(name, row.GetProperty("visitorDisplayName").GetString());
        Assert.Equal(name, (await http.GetFromJsonAsync<JsonElement>($"/api/admin/conversations/{visitor.ConversationId}")).GetProperty("visitorDisplayName").GetString());

        // Search names the visitor, not the conversation.
        var hit = Assert.Single((await http.GetFromJsonAsync<JsonElement>("/api/admin/search?q=whereismyparcel")).GetProperty("results").EnumerateArray());
        Assert.Equal(name, hit.GetProperty("visitorDisplayName").GetString());

        var notification = await fake.WaitForSentAsync(AdminChat, "whereismyparcel");
        Assert.Contains($"From: <b>{name}</b>", notification.Text);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status = "closed" })).StatusCode);
        Assert.Contains($"<b>{name}</b>", (await fake.WaitForSentAsync(AdminChat, "was closed")).Text);
        var audit = (await http.GetFromJsonAsync<JsonElement>("/api/admin/audit?action=conversation.closed")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal(visitor.ConversationId.ToString(), audit.GetProperty("targetId").GetString());
        Assert.Equal(name, audit.GetProperty("targetName").GetString());
    }

    [Fact]
    public async Task A_named_visitor_shows_their_own_name_everywhere_and_it_stays_text()
    {
        const string given = "Zoë <i>&amp; co</i>";
        var visitor = await host.StartVisitorAsync(new { name = "  " + given + " " });
        var (socket, _) = await host.ConnectVisitorAsync(visitor.Token);
        await using var _1 = socket;
        await socket.SendAsync(new { type = "send", clientMsgId = "n-2", body = "namedvisitorword" });
        await socket.ReceiveAsync("ack");
        using var http = host.AdminHttp(await TestAdmins.SignInAsync(db.ConnectionString));

        Assert.Equal(given, (await ListRowAsync(http, visitor.ConversationId)).GetProperty("visitorDisplayName").GetString());
        var results = (await http.GetFromJsonAsync<JsonElement>("/api/admin/search?q=namedvisitorword")).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(given, Assert.Single(results).GetProperty("visitorDisplayName").GetString());
        var byName = (await http.GetFromJsonAsync<JsonElement>("/api/admin/search?q=Zo%C3%AB")).GetProperty("results").EnumerateArray()
            .Single(r => r.GetProperty("kind").GetString() == "visitor");
        Assert.Equal(given, byName.GetProperty("visitorDisplayName").GetString());

        var notification = await fake.WaitForSentAsync(AdminChat, "namedvisitorword");
        Assert.Contains("From: <b>Zoë &lt;i&gt;&amp;amp; co&lt;/i&gt;</b>", notification.Text);

        // A conversation that is not there, or a blank status, names nobody and changes nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync($"/api/admin/conversations/{Guid.NewGuid()}/status", new { status = "closed" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync($"/api/admin/conversations/{visitor.ConversationId}/status", new { status = " " })).StatusCode);
        Assert.Equal(0, await CountAsync(db.ConnectionString, "SELECT count(*) FROM audit_log WHERE action = 'conversation.closed' AND target_id = @id",
            new { id = visitor.ConversationId.ToString() }));
    }

    static async Task<JsonElement> ListRowAsync(HttpClient http, Guid conversationId) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/admin/conversations?limit=100")).GetProperty("conversations").EnumerateArray()
            .Single(r => r.GetProperty("id").GetGuid() == conversationId);
}
