using SupportChat.Tests.Infrastructure;
using SupportChat.Tests.Realtime;

namespace SupportChat.Tests.Telegram;

/// <summary>Every test gets a fake Bot API on 127.0.0.1 and a fresh app (webhook mode) talking to it.</summary>
public abstract class TelegramTest(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    protected readonly TestDatabase db = database;
    protected FakeBotApi fake = null!;
    protected RealtimeHost host = null!;

    public Task InitializeAsync()
    {
        fake = new FakeBotApi();
        host = new RealtimeHost(db.ConnectionString, TelegramHost.Settings(fake));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await fake.DisposeAsync();
    }
}
