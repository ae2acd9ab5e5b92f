using System.Net.Http.Json;
using System.Net.WebSockets;
using Dapper;
using Npgsql;
using SupportChat.Endpoints;
using SupportChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupportChat.Tests.Realtime;

/// <summary>SIGTERM to the shipped service while sends are in flight: it drains instead of dropping acks.</summary>
public sealed class ShutdownDrainTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task On_SIGTERM_every_send_in_flight_is_stored_and_acked_before_its_socket_closes_with_1001()
    {
        var (app, http) = await AppProcess.StartReadyAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Widget:AllowedOrigins:0"] = RealtimeHost.WidgetOrigin,
        });
        await using var _ = app;
        http.DefaultRequestHeaders.Add("Origin", RealtimeHost.WidgetOrigin);
        var visitors = new List<(VisitorSessionResponse Session, TestSocket Socket)>();
        for (var i = 0; i < 10; i++)
        {
            var session = (await (await http.PostAsJsonAsync("/api/visitor/sessions", new { name = $"V{i}" })).EnsureSuccessStatusCode()
                .Content.ReadFromJsonAsync<VisitorSessionResponse>())!;
            var socket = await TestSocket.ConnectAsync(new Uri(http.BaseAddress!, "/ws/visitor"), o => o.SetRequestHeader("Origin", RealtimeHost.WidgetOrigin));
            await socket.SendAsync(new { type = "auth", token = session.Token });
            await socket.ReceiveAsync("welcome");
            visitors.Add((session, socket));
        }

        // The conversations are locked, so the writer holds the sends until the service has been told to stop.
        await using var c = new NpgsqlConnection(db.ConnectionString);
        await c.OpenAsync();
        var hold = await c.BeginTransactionAsync();
        await c.ExecuteAsync("SELECT 1 FROM conversations WHERE id = ANY(@ids) FOR UPDATE",
            new { ids = visitors.Select(v => v.Session.ConversationId).ToArray() }, hold);
        foreach (var (session, socket) in visitors)
            await socket.SendAsync(new { type = "send", clientMsgId = $"in-flight-{session.ConversationId:N}", body = "sent as the service stops" });
        await Task.Delay(500);
        app.Terminate();
        await Task.Delay(500);
        await hold.RollbackAsync();

        var acked = new List<string>();
        var closes = new List<WebSocketCloseStatus?>();
        foreach (var (_, socket) in visitors)
        {
            while (true)
            {
                var (frame, close) = await socket.ReceiveOrCloseAsync();
                if (close is not null) { closes.Add(close); break; }
                if (frame!.Value.GetProperty("type").GetString() == "ack") acked.Add(frame.Value.GetProperty("clientMsgId").GetString()!);
            }
            await socket.DisposeAsync();
        }
        Assert.Equal(0, await app.WaitForExitAsync());

        var stored = (await c.QueryAsync<string>("SELECT client_msg_id FROM messages WHERE conversation_id = ANY(@ids)",
            new { ids = visitors.Select(v => v.Session.ConversationId).ToArray() })).ToList();
        output.WriteLine($"{visitors.Count} sends in flight at SIGTERM: {stored.Count} stored, {acked.Count} acked; closes: {string.Join(", ", closes.Select(x => (int?)x))}");
        Assert.Equal(stored.Order(), acked.Order());
        Assert.All(closes, x => Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, x));
    }
}
