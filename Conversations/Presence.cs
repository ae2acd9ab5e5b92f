namespace SupportChat.Conversations;

/// <summary>Who is online, on this instance or another: what Telegram asks in a message's transaction, and what lists and welcomes show.</summary>
public interface IPresence
{
    Task<bool> AdminsOnlineAsync();

    /// <summary>Which of these conversations have their visitor online.</summary>
    Task<HashSet<Guid>> OnlineVisitorsAsync(IReadOnlyCollection<Guid> conversationIds);
}

/// <summary>
/// A presence record every instance shares (Scaleout: Redis), and this instance's entries in it. Its answers are false
/// and empty while the record cannot be read; the sockets' own presence adds what this instance knows.
/// </summary>
public interface ISharedPresence : IPresence
{
    Task SetVisitorAsync(Guid conversationId, bool online);
    Task SetAdminsAsync(bool any);
}
