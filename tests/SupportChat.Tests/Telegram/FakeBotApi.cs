using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Telegram;

/// <summary>One call the bot made: the method, its JSON arguments, the HTTP status answered and when.</summary>
public sealed record BotCall(string Method, JsonObject Args, int Status, long? MessageId, DateTime At)
{
    public long ChatId => Args["chat_id"]!.GetValue<long>();
    public string Text => Args["text"]!.GetValue<string>();
}

/// <summary>
/// A fake Telegram Bot API on 127.0.0.1: records every call; sendMessage answers with a new message id, or 500 while
/// Down, or 429 with retry_after when told, or late (AnswerDelay); getUpdates hands out the updates a test queues;
/// getFile and /file/ serve the files a test adds.
/// </summary>
public sealed class FakeBotApi : IAsyncDisposable
{
    public const string Token = "123456:TEST-token_abcdefghijklmnopqrstu";
    static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);
    readonly WebApplication app;
    readonly ConcurrentQueue<BotCall> calls = new();
    readonly Channel<JsonObject> updates = Channel.CreateUnbounded<JsonObject>();
    readonly ConcurrentQueue<int> rateLimits = new();
    readonly ConcurrentDictionary<string, byte[]> files = new();
    // Like Telegram's, message ids are unique per chat; each fake starts elsewhere, since test classes share a database.
    long nextMessageId = Random.Shared.Next(1, 1 << 30);

    public string Url { get; }
    /// <summary>While true, sendMessage answers 500.</summary>
    public volatile bool Down;
    long answerDelayTicks;

    /// <summary>sendMessage accepts (records the message as delivered) at once but answers only after this delay.</summary>
    public TimeSpan AnswerDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref answerDelayTicks));
        set => Interlocked.Exchange(ref answerDelayTicks, value.Ticks);
    }

    public FakeBotApi()
    {
        var port = AppProcess.FreePort();
        Url = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Url);
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/bot{token}/{method}", HandleAsync);
        app.MapGet("/file/bot{token}/files/{fileId}", (string token, string fileId) =>
            token == Token && files.TryGetValue(fileId, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        app.StartAsync().GetAwaiter().GetResult();
    }

    public IReadOnlyList<BotCall> Calls => calls.ToList();

    public IReadOnlyList<BotCall> Sent(long? chatId = null) =>
        Calls.Where(c => c.Method == "sendMessage" && c.Status == 200 && (chatId is null || c.ChatId == chatId)).ToList();

    /// <summary>The next sendMessage answers 429 with this retry_after.</summary>
    public void RateLimitNext(int retryAfterSeconds) => rateLimits.Enqueue(retryAfterSeconds);

    /// <summary>A file the bot can fetch with getFile and download, as if someone had sent it in a chat.</summary>
    public void AddFile(string fileId, byte[] bytes) => files[fileId] = bytes;

    /// <summary>Queues an update for getUpdates (polling mode).</summary>
    public void QueueUpdate(JsonObject update) => updates.Writer.TryWrite(update);

    /// <summary>Waits (with a guard) until the calls recorded satisfy the condition; returns them.</summary>
    public async Task<IReadOnlyList<BotCall>> WaitForAsync(Func<IReadOnlyList<BotCall>, bool> condition, string what)
    {
        using var guard = new CancellationTokenSource(Guard);
        while (!condition(Calls))
        {
            if (guard.IsCancellationRequested)
                Assert.Fail($"Timed out waiting for {what}. Calls: {string.Join("; ", Calls.Select(c => $"{c.Method} {c.Status} {c.Args.ToJsonString()}"))}");
            await Task.Delay(20);
        }
        return Calls;
    }

    /// <summary>The one successful sendMessage to the chat whose text contains the fragment.</summary>
    public async Task<BotCall> WaitForSentAsync(long chatId, string fragment)
    {
        await WaitForAsync(calls => Sent(chatId).Any(c => c.Text.Contains(fragment, StringComparison.Ordinal)), $"a message to {chatId} containing '{fragment}'");
        return Assert.Single(Sent(chatId), c => c.Text.Contains(fragment, StringComparison.Ordinal));
    }

    async Task<IResult> HandleAsync(HttpContext http, string token, string method)
    {
        if (token != Token) return Error(401, "Unauthorized", 0);
        var args = http.Request.HasJsonContentType()
            ? (JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync()) as JsonObject ?? [])
            : [];
        switch (method)
        {
            case "sendMessage":
                if (Down) return Record(method, args, Error(500, "Internal Server Error", 0), 500);
                if (rateLimits.TryDequeue(out var retryAfter))
                    return Record(method, args, Error(429, $"Too Many Requests: retry after {retryAfter}", retryAfter), 429);
                var id = Interlocked.Increment(ref nextMessageId);
                calls.Enqueue(new BotCall(method, args, 200, id, DateTime.UtcNow));
                if (AnswerDelay > TimeSpan.Zero)
                {
                    try { await Task.Delay(AnswerDelay, http.RequestAborted); }
                    catch (OperationCanceledException) { } // The bot gave up waiting; the message was delivered all the same.
                }
                return Ok(new JsonObject
                {
                    ["message_id"] = id,
                    ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["chat"] = new JsonObject { ["id"] = args["chat_id"]?.DeepClone(), ["type"] = "group", ["title"] = "Support" },
                    ["text"] = args["text"]?.DeepClone(),
                });
            case "getFile":
                calls.Enqueue(new BotCall(method, args, 200, null, DateTime.UtcNow));
                var fileId = args["file_id"]?.GetValue<string>() ?? "";
                if (!files.TryGetValue(fileId, out var content)) return Error(400, "Bad Request: invalid file_id", 0);
                return Ok(new JsonObject
                {
                    ["file_id"] = fileId, ["file_unique_id"] = "u-" + fileId, ["file_size"] = content.Length, ["file_path"] = $"files/{fileId}",
                });
            case "getUpdates":
                calls.Enqueue(new BotCall(method, args, 200, null, DateTime.UtcNow));
                var list = new JsonArray();
                var timeout = TimeSpan.FromSeconds(Math.Min(args["timeout"]?.GetValue<int>() ?? 0, 2));
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted))
                {
                    wait.CancelAfter(timeout);
                    try
                    {
                        if (await updates.Reader.WaitToReadAsync(wait.Token))
                            while (updates.Reader.TryRead(out var u)) list.Add(u.DeepClone());
                    }
                    catch (OperationCanceledException) { }
                }
                return Ok(list);
            default:
                calls.Enqueue(new BotCall(method, args, 200, null, DateTime.UtcNow));
                return Ok(true);
        }
    }

    IResult Record(string method, JsonObject args, IResult result, int status)
    {
        calls.Enqueue(new BotCall(method, args, status, null, DateTime.UtcNow));
        return result;
    }

    static IResult Ok(JsonNode? result) =>
        Results.Content(new JsonObject { ["ok"] = true, ["result"] = result }.ToJsonString(), "application/json");

    static IResult Error(int code, string description, int retryAfter)
    {
        var body = new JsonObject { ["ok"] = false, ["error_code"] = code, ["description"] = description };
        if (retryAfter > 0) body["parameters"] = new JsonObject { ["retry_after"] = retryAfter };
        return Results.Content(body.ToJsonString(), "application/json", statusCode: code);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
