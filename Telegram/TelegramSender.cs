using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace SupportChat.Telegram;

/// <summary>
/// Delivers the outbox: one row at a time, each in its own transaction that holds the row's lock while it is sent
/// (FOR UPDATE SKIP LOCKED), so that with several instances each row goes out once. Each chat's rows go in order: a
/// failure postpones the row, and so its chat, with exponential backoff, or by Telegram's retry_after on 429; a 400
/// or 403 gives the row up. A send that got no answer in time may have been delivered: it is tried again once (so
/// delivery is at-least-once, a duplicate at most), then given up. The chat itself never waits for any of this.
/// </summary>
public sealed class TelegramSender(
    NpgsqlDataSource db, ITelegramBotClient bot, IOptions<TelegramOptions> options, IConversationEventBus bus, ILogger<TelegramSender> log)
    : BackgroundService
{
    readonly SemaphoreSlim wake = new(0, 1);

    /// <summary>Rows were just committed: look now rather than at the next poll.</summary>
    public void Wake()
    {
        try { if (wake.CurrentCount == 0) wake.Release(); }
        catch (SemaphoreFullException) { }
    }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        bus.Subscribe(e => { if (e is MessageStoredEvent { Message.Sender: SenderKind.Visitor } or StatusChangedEvent { Status: ConversationStatus.Closed }) Wake(); });
        var o = options.Value;
        var poll = TimeSpan.FromMilliseconds(o.OutboxPollMilliseconds);
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                while (await SendNextAsync(ct)) await RefreshBacklogAsync(force: false);
                await RefreshBacklogAsync(force: true);
                var due = await TelegramStore.NextDueInAsync(db);
                // A head due now but not claimable is being sent by another instance: look again shortly, not in a tight loop.
                wait = due is { } d && d < poll ? TimeSpan.FromMilliseconds(Math.Max(d.TotalMilliseconds, Math.Min(50, poll.TotalMilliseconds))) : poll;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                log.LogWarning(ex, "The Telegram outbox could not be read; trying again in {Delay}", poll);
                wait = poll;
            }
            try { await wake.WaitAsync(wait, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    long backlogRefreshedAt;

    /// <summary>The outbox gauges, on every pass of the loop (at least every OutboxPollMilliseconds) and once a second while it drains.</summary>
    async Task RefreshBacklogAsync(bool force)
    {
        if (!force && Environment.TickCount64 - backlogRefreshedAt < 1000) return;
        backlogRefreshedAt = Environment.TickCount64;
        var (depth, oldestAge) = await TelegramStore.BacklogAsync(db);
        TelegramMetrics.OutboxDepth.Set(depth);
        TelegramMetrics.OutboxOldestAge.Set(oldestAge);
    }

    /// <summary>Sends the oldest due row; false when none is due.</summary>
    async Task<bool> SendNextAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var row = await TelegramStore.ClaimNextAsync(c, tx);
        if (row is null) return false;
        try
        {
            var sent = await bot.SendMessage(row.ChatId, row.Text, ParseMode.Html,
                replyParameters: row.ReplyToMessageId is { } replyTo ? new ReplyParameters { MessageId = (int)replyTo, AllowSendingWithoutReply = true } : null,
                linkPreviewOptions: new LinkPreviewOptions { IsDisabled = true },
                cancellationToken: ct);
            await TelegramStore.MarkSentAsync(c, tx, row, sent.MessageId);
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 429)
        {
            var wait = TimeSpan.FromSeconds(Math.Max(1, ex.Parameters?.RetryAfter ?? 1));
            log.LogWarning("Telegram asked to wait {RetryAfter} before sending to chat {ChatId} again", wait, row.ChatId);
            await TelegramStore.PostponeAsync(c, tx, row, wait, ex.Message);
        }
        catch (ApiRequestException ex) when (ex.ErrorCode is 400 or 403)
        {
            log.LogError("Telegram refused outbox row {OutboxId} for chat {ChatId} for good: {Error}", row.Id, row.ChatId, ex.Message);
            await TelegramStore.MarkFailedAsync(c, tx, row, ex.Message);
        }
        catch (Exception ex) when (IsTimeout(ex) && !ct.IsCancellationRequested)
        {
            if (row.Timeouts >= MaxTimeouts - 1)
            {
                log.LogError("Telegram did not answer outbox row {OutboxId} for chat {ChatId} in time, {Timeouts} times; given up, as it may have arrived",
                    row.Id, row.ChatId, MaxTimeouts);
                await TelegramStore.MarkFailedAsync(c, tx, row, ex.Message, timedOut: true);
            }
            else
            {
                var wait = Backoff(row.Attempts);
                log.LogWarning("Telegram did not answer in time (attempt {Attempt}); chat {ChatId} tries once more in {Delay}", row.Attempts + 1, row.ChatId, wait);
                await TelegramStore.PostponeAsync(c, tx, row, wait, ex.Message, timedOut: true);
            }
        }
        catch (Exception ex) when (ex is RequestException or HttpRequestException && !ct.IsCancellationRequested)
        {
            var wait = Backoff(row.Attempts);
            log.LogWarning("Sending to Telegram failed (attempt {Attempt}): {Error}; chat {ChatId} waits {Delay}", row.Attempts + 1, ex.Message, row.ChatId, wait);
            await TelegramStore.PostponeAsync(c, tx, row, wait, ex.Message);
        }
        await tx.CommitAsync(CancellationToken.None);
        return true;
    }

    // Each unanswered attempt may have been a delivery: the first and one retry, no more.
    const int MaxTimeouts = 2;

    /// <summary>No answer within Telegram:RequestTimeoutSeconds (HttpClient's timeout, maybe wrapped by the bot client).</summary>
    static bool IsTimeout(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
            if (e is TaskCanceledException or TimeoutException) return true;
        return false;
    }

    TimeSpan Backoff(int attempts)
    {
        var o = options.Value;
        var ms = o.RetryBaseMilliseconds * Math.Pow(2, Math.Min(attempts, 30)) * (0.8 + 0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Min(ms, o.RetryMaxSeconds * 1000.0));
    }
}
