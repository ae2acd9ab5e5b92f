using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Admins;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;

namespace SupportChat.Telegram;

/// <summary>
/// How updates arrive. Webhook mode: registers the webhook (URL and secret) with Telegram, retrying until it
/// succeeds. Polling mode: one instance at a time (a PostgreSQL advisory lock) removes any webhook and long-polls
/// getUpdates, handing each update to TelegramUpdates in order.
/// </summary>
public sealed class TelegramReceiver(
    NpgsqlDataSource db, ITelegramBotClient bot, TelegramUpdates updates, IOptions<TelegramOptions> options, IOptions<ServerOptions> server,
    ILogger<TelegramReceiver> log) : BackgroundService
{
    // Any fixed 64-bit key, distinct from the migration lock ("TgPoll").
    const long PollingLockKey = 0x54_67_50_6F_6C_6C;
    static readonly UpdateType[] Wanted = [UpdateType.Message];

    TelegramOptions O => options.Value;

    protected override Task ExecuteAsync(CancellationToken ct) => O.UsesWebhook ? RegisterWebhookAsync(ct) : PollAsync(ct);

    async Task RegisterWebhookAsync(CancellationToken ct)
    {
        var url = O.WebhookUrl ?? server.Value.BaseUrl + TelegramLinks.WebhookPath;
        for (var attempt = 0; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                await bot.SetWebhook(url, secretToken: O.WebhookSecret, allowedUpdates: Wanted, cancellationToken: ct);
                log.LogInformation("Telegram webhook registered at {WebhookUrl}", url);
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                log.LogWarning("Registering the Telegram webhook failed: {Error}; trying again", ex.Message);
                await DelayAsync(attempt, ct);
            }
        }
    }

    async Task PollAsync(CancellationToken ct)
    {
        for (var attempt = 0; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                await using var lockConnection = await db.OpenConnectionAsync(ct);
                if (!await lockConnection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@PollingLockKey)", new { PollingLockKey }))
                {
                    // Another instance polls; Telegram allows one getUpdates at a time per bot.
                    await Task.Delay(TimeSpan.FromMilliseconds(O.OutboxPollMilliseconds * 5), ct);
                    attempt = -1;
                    continue;
                }
                try
                {
                    await bot.DeleteWebhook(cancellationToken: ct);
                    log.LogInformation("Telegram: polling for updates");
                    var offset = await TelegramStore.NextUpdateOffsetAsync(db);
                    while (!ct.IsCancellationRequested)
                    {
                        var batch = await bot.GetUpdates(offset, limit: 100, timeout: O.LongPollSeconds, allowedUpdates: Wanted, cancellationToken: ct);
                        foreach (var update in batch)
                        {
                            await updates.HandleAsync(update, ct);
                            offset = update.Id + 1;
                        }
                        attempt = 0;
                    }
                }
                finally
                {
                    // A pooled connection keeps a session lock until it is reset: release it now.
                    try { await lockConnection.ExecuteAsync("SELECT pg_advisory_unlock(@PollingLockKey)", new { PollingLockKey }); }
                    catch (NpgsqlException) { }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                log.LogWarning("Polling Telegram failed: {Error}; trying again", ex.Message);
                await DelayAsync(attempt, ct);
            }
        }
    }

    Task DelayAsync(int attempt, CancellationToken ct)
    {
        var ms = Math.Min(O.RetryBaseMilliseconds * Math.Pow(2, Math.Min(attempt, 30)), O.RetryMaxSeconds * 1000.0);
        return Task.Delay(TimeSpan.FromMilliseconds(ms), ct).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
