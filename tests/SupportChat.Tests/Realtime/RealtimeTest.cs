using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Realtime;

/// <summary>A test class whose every test gets a fresh app on a real Kestrel port, over the class's database.</summary>
public abstract class RealtimeTest(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    protected readonly TestDatabase db = database;
    protected RealtimeHost host = null!;

    public Task InitializeAsync()
    {
        host = new RealtimeHost(db.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();
}
