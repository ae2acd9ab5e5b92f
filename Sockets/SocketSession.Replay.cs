using Npgsql;

namespace SupportChat.Sockets;

/// <summary>What a socket missed: the replay after auth or resume, and the reads a gap fill makes.</summary>
sealed partial class SocketSession
{
    const int ReplayPage = 100;
    const int InitialHistory = 50;

    /// <summary>
    /// Sends what the client missed, then releases the live events held back since BeginReplayAsync, without the ones
    /// the replay already sent. lastSeq &gt; 0 (or newestPageFirst false: an admin's resume): every message after it that
    /// this socket has not sent yet, as message frames; otherwise the newest page as a history frame.
    /// </summary>
    async Task ReplayAsync(Guid conversationId, long? lastSeq, long knownLastSeq, bool newestPageFirst)
    {
        var s = sender!;
        var after = 0L;
        var from = 1L;
        try
        {
            if (lastSeq is > 0 || !newestPageFirst)
            {
                // A client claiming more than exists must not hide messages that come later.
                after = Math.Min(lastSeq ?? 0, knownLastSeq);
                from = after + 1;
                var sent = connection.Sent(conversationId);
                while (true)
                {
                    // What this socket sent already is not sent again.
                    if (sent is var (sentFrom, sentUpTo) && after >= sentFrom - 1 && after < sentUpTo) after = sentUpTo;
                    var missed = (await conversations.MissedAsync(s, conversationId, after, ReplayPage)).Value ?? [];
                    foreach (var m in missed)
                    {
                        if (sent is var (f, u) && m.Seq >= f && m.Seq <= u) continue;
                        await connection.ReplayAsync(Frames.Of(MessageView.From(m)), connection.Receiving.Token);
                        after = m.Seq;
                    }
                    if (missed.Count < ReplayPage) break;
                    after = Math.Max(after, missed[^1].Seq);
                }
            }
            else
            {
                var page = (await conversations.HistoryAsync(s, conversationId, null, InitialHistory)).Value!;
                await connection.ReplayAsync(Frames.Of(new HistoryFrame(conversationId,
                    page.Messages.Select(MessageView.From).ToList(), page.HasMore)), connection.Receiving.Token);
                after = page.Messages.Count > 0 ? page.Messages[^1].Seq : 0;
                from = page.Messages.Count > 0 ? page.Messages[0].Seq : knownLastSeq + 1;
            }
        }
        catch (NpgsqlException ex)
        {
            // Releasing the held-back events now would leave a gap; the client reconnects and replays instead.
            SocketLog.Failed(log, ex, connection.Id);
            connection.RequestClose(CloseCodes.ServerError, "replay failed: reconnect with lastSeq");
            return;
        }
        // Every message up to the conversation's last seq when the replay began has been sent now (or is a note a visitor never sees).
        connection.EndReplay(conversationId, from, Math.Max(after, knownLastSeq));
    }

    async Task<IReadOnlyList<(long Seq, byte[] Frame)>> ReadMissedAsync(Guid conversationId, long afterSeq, int limit)
    {
        var missed = (await conversations.MissedAsync(sender!, conversationId, afterSeq, limit)).Value ?? [];
        return missed.Select(m => (m.Seq, Frames.Of(MessageView.From(m)))).ToList();
    }
}
