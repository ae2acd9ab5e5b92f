using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dapper;
using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;
using Xunit.Abstractions;

namespace SupportChat.Tests.AdminSecurity;

/// <summary>
/// Whatever goes wrong, a client gets the one error shape and never a stack trace, in Development too (the environment
/// RealtimeHost and scripts/run use): client mistakes are 400, serialization conflicts 409, faults 500 with a trace id.
/// </summary>
public sealed class ErrorResponseTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    /// <summary>Words that only an exception page or a stack trace would put in a body.</summary>
    static void AssertNoInternals(string body)
    {
        Assert.DoesNotContain("Exception", body);
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain(".cs:line", body);
        Assert.DoesNotContain("<html", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_upload_cut_short_of_its_content_length_is_a_client_mistake_not_a_fault()
    {
        // The shipped service in Development, as scripts/run starts it: its console output is the log.
        const string origin = "https://shop.example";
        var (app, http) = await AppProcess.StartReadyAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Widget:AllowedOrigins:0"] = origin,
        }, environment: "Development");
        await using var _ = app;
        http.DefaultRequestHeaders.Add("Origin", origin);
        var visitor = (await (await http.PostAsJsonAsync("/api/visitor/sessions", new { })).Content.ReadFromJsonAsync<JsonElement>())!;
        var token = visitor.GetProperty("token").GetString();
        var before = app.Output.Count;

        const string boundary = "----sc-truncated";
        var partial = $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" + new string('x', 2000);
        var head = $"POST /api/visitor/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {origin}\r\n" +
                   $"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n" +
                   "Content-Length: 100000\r\n\r\n";
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, http.BaseAddress!.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(head + partial));
        socket.Shutdown(SocketShutdown.Send); // promised 100000 bytes, sends no more
        var response = await ReadToEndAsync(socket);
        // The server logs the request once it is over; a normal request after it flushes the order.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        await Task.Delay(500);
        var logged = app.Output.Skip(before).ToList();
        output.WriteLine("response: " + (response.Length == 0 ? "(none: the server saw the client hang up)" : response));
        foreach (var line in logged) output.WriteLine("log: " + line);

        // Kestrel takes the half-close for a client that hung up, so there may be no one to answer; an answer is a 400 in the shape.
        if (response.Length > 0)
        {
            Assert.StartsWith("HTTP/1.1 400", response);
            var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
            AssertNoInternals(body);
            Assert.Equal("bad_request", JsonDocument.Parse(Dechunk(response, body)).RootElement.GetProperty("error").GetString());
        }
        // A client that goes away is not a fault of the server: no error, no stack trace in the log.
        Assert.DoesNotContain(logged, l => l.Contains(" ERR]", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        await using var c = await db.OpenAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM attachments"));
    }

    [Fact]
    public async Task An_upload_whose_body_stops_arriving_is_a_bad_request_in_the_error_shape()
    {
        await using var host = new RealtimeHost(db.ConnectionString);
        var visitor = await host.StartVisitorAsync();
        const string boundary = "----sc-stalled";
        var partial = $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" + new string('x', 2000);
        var head = $"POST /api/visitor/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {RealtimeHost.WidgetOrigin}\r\n" +
                   $"Authorization: Bearer {visitor.Token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n" +
                   "Content-Length: 100000\r\nConnection: close\r\n\r\n";
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, host.BaseUri.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(head + partial));
        // No more bytes and no hang-up: Kestrel's minimum body rate ends the request after its grace period.
        var response = await ReadToEndAsync(socket);
        output.WriteLine(response);
        Assert.StartsWith("HTTP/1.1 400", response);
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        AssertNoInternals(body);
        Assert.Equal("bad_request", JsonDocument.Parse(Dechunk(response, body)).RootElement.GetProperty("error").GetString());
        Assert.Equal(0, await host.CountMessagesAsync(visitor.ConversationId));
    }

    [Fact]
    public async Task Two_admins_removing_each_other_at_once_never_get_a_fault_and_one_of_them_stays()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        app.StartServer(); // migrations first: admins are made in SQL below
        var outcomes = new List<HttpStatusCode>();
        for (var round = 0; round < 8; round++)
        {
            var ann = await TestAdmins.SignInAsync(db.ConnectionString);
            var bob = await TestAdmins.SignInAsync(db.ConnectionString);
            using var annClient = TestAdmins.CreateClient(app, ann);
            using var bobClient = TestAdmins.CreateClient(app, bob);
            var removals = await Task.WhenAll(annClient.DeleteAsync($"/api/admin/admins/{bob.AdminId}"), bobClient.DeleteAsync($"/api/admin/admins/{ann.AdminId}"));
            foreach (var r in removals)
            {
                outcomes.Add(r.StatusCode);
                var body = await r.Content.ReadAsStringAsync();
                AssertNoInternals(body);
                if (r.StatusCode != HttpStatusCode.NoContent)
                    Assert.Contains(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), new[] { "conflict", "unauthorized", "not_found" });
            }
            Assert.DoesNotContain(HttpStatusCode.InternalServerError, outcomes);
            await using var c = await db.OpenAsync();
            var left = await c.ExecuteScalarAsync<long>("SELECT count(*) FROM admins WHERE id = ANY(@ids) AND status = 'active'",
                new { ids = new[] { ann.AdminId, bob.AdminId } });
            Assert.True(left >= 1, $"round {round}: both admins were removed");
        }
        output.WriteLine("outcomes: " + string.Join(", ", outcomes.GroupBy(s => s).Select(g => $"{(int)g.Key}×{g.Count()}")));
    }

    [Fact]
    public async Task A_fault_answers_500_in_the_error_shape_with_a_trace_id_and_no_internals()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        app.StartServer(); // migrations first: admins are made in SQL below
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var client = TestAdmins.CreateClient(app, admin);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/tags")).StatusCode);
        await using var c = await db.OpenAsync();
        // A fault the code cannot expect: the table it reads is gone.
        await c.ExecuteAsync("ALTER TABLE tags RENAME TO tags_away");
        try
        {
            var response = await client.GetAsync("/api/admin/tags");
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine(body);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            AssertNoInternals(body);
            Assert.DoesNotContain("tags_away", body);
            var error = JsonDocument.Parse(body).RootElement;
            Assert.Equal("internal_error", error.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("traceId").GetString()));
        }
        finally
        {
            await c.ExecuteAsync("ALTER TABLE tags_away RENAME TO tags");
        }
    }

    [Fact]
    public async Task Malformed_json_to_an_admin_endpoint_is_a_bad_request_without_internals()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        app.StartServer(); // migrations first: admins are made in SQL below
        var admin = await TestAdmins.SignInAsync(db.ConnectionString);
        using var client = TestAdmins.CreateClient(app, admin);
        var response = await client.PostAsync("/api/admin/admins", new StringContent("{\"username\": ", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertNoInternals(body);
        Assert.Equal("bad_request", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var all = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        try
        {
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token)) > 0) all.Write(buffer, 0, read);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset) { } // after the response, the server may reset
        return Encoding.UTF8.GetString(all.ToArray());
    }

    /// <summary>The body of a raw response, joined from its chunks when it was sent chunked.</summary>
    static string Dechunk(string response, string body)
    {
        if (!response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) return body;
        var joined = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..lineEnd], 16);
            if (size == 0) return joined.ToString();
            joined.Append(body, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
