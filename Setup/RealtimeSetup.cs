using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Sockets;

namespace SupportChat.Setup;

public static class RealtimeSetup
{
    /// <summary>The realtime subsystem: conversation service, event bus, connection manager, and where accepted sockets run.</summary>
    public static void AddRealtime(this IServiceCollection services)
    {
        services.AddSingleton<IConversationEventBus, InProcessEventBus>();
        services.AddSingleton<ConversationService>();
        services.AddSingleton<Tags>();
        services.AddSingleton<ConnectionManager>();
        services.AddSingleton<IPresence>(sp => sp.GetRequiredService<ConnectionManager>());
        services.AddSingleton<RealtimeSockets>();
        services.AddSingleton(sp => new VisitorSessions(sp.GetRequiredService<NpgsqlDataSource>(),
            TimeSpan.FromDays(sp.GetRequiredService<IOptions<RealtimeOptions>>().Value.VisitorTokenIdleDays)));
    }
}
