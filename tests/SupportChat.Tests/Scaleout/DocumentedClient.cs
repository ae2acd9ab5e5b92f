using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Scaleout;

/// <summary>
/// A socket client that behaves as docs/protocol.md tells clients to: it keeps every message it is sent (message
/// frames, history pages), resumes from the highest seq below which it has everything (acks do not count: an ack can
/// overtake the messages before it), reconnects after any close but a final one, and re-sends an unacknowledged send
/// with its clientMsgId.
/// </summary>
public sealed class DocumentedClient : IAsyncDisposable
{
    // Visitor: connect and auth with lastSeq; admin: connect, then resume the conversation from lastSeq.
    readonly Func<long, Task<TestSocket>> connect;
    readonly ConcurrentDictionary<string, TaskCompletionSource<long>> acks = new();
    readonly ConcurrentDictionary<string, object> unacked = new();
    readonly CancellationTokenSource stop = new();
    readonly Task loop;
    TestSocket? socket;
    readonly TaskCompletionSource connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HashSet<long> Have { get; } = [];
    public long ResumeFrom { get; private set; }
    public List<WebSocketCloseStatus?> Closes { get; } = [];

    public DocumentedClient(Func<long, Task<TestSocket>> connect)
    {
        this.connect = connect;
        loop = Task.Run(RunAsync);
    }

    public Task Connected => connected.Task;

    async Task RunAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            long from;
            lock (Have) from = ResumeFrom;
            TestSocket current;
            try { current = await connect(from); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or Xunit.Sdk.XunitException or JsonException)
            {
                await Task.Delay(500);
                continue;
            }
            socket = current;
            connected.TrySetResult();
            foreach (var frame in unacked.Values) await current.SendAsync(frame);
            var buffer = new byte[64 * 1024];
            var stream = new MemoryStream();
            try
            {
                while (true)
                {
                    var r = await current.Client.ReceiveAsync(buffer, stop.Token);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        lock (Have) Closes.Add(r.CloseStatus);
                        break;
                    }
                    stream.Write(buffer, 0, r.Count);
                    if (!r.EndOfMessage) continue;
                    Handle(JsonDocument.Parse(stream.ToArray()).RootElement);
                    stream.SetLength(0);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
            socket = null;
            await current.DisposeAsync();
        }
    }

    void Handle(JsonElement f)
    {
        switch (f.GetProperty("type").GetString())
        {
            case "message":
                Keep(f.GetProperty("seq").GetInt64());
                break;
            case "history":
                foreach (var m in f.GetProperty("messages").EnumerateArray()) Keep(m.GetProperty("seq").GetInt64());
                break;
            case "ack":
                var id = f.GetProperty("clientMsgId").GetString()!;
                unacked.TryRemove(id, out _);
                if (acks.TryGetValue(id, out var done)) done.TrySetResult(f.GetProperty("seq").GetInt64());
                break;
        }
    }

    void Keep(long seq)
    {
        lock (Have)
        {
            Have.Add(seq);
            ResumeFrom = Math.Max(ResumeFrom, seq);
        }
    }

    /// <summary>Sends and waits for the ack (re-sent after a reconnect); returns the seq.</summary>
    public async Task<long> SendAsync(object frame, string clientMsgId)
    {
        var done = acks.GetOrAdd(clientMsgId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        unacked[clientMsgId] = frame;
        if (socket is { } s)
        {
            try { await s.SendAsync(frame); }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException) { }
        }
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits until this client has every one of these seqs.</summary>
    public async Task WaitForAsync(IEnumerable<long> seqs, TimeSpan guard)
    {
        var wanted = seqs.ToList();
        var until = DateTime.UtcNow + guard;
        while (DateTime.UtcNow < until)
        {
            lock (Have) if (wanted.All(Have.Contains)) return;
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try { await loop; } catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
        stop.Dispose();
    }
}
