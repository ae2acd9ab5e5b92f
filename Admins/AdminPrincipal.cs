using SupportChat.Conversations;

namespace SupportChat.Admins;

/// <summary>The logged-in admin behind a request or socket. Handlers of RequireAdmin endpoints take it as a parameter.</summary>
public sealed record AdminPrincipal(long AdminId, long SessionId, string Username, string DisplayName, string CsrfToken, DateTime ExpiresAt)
{
    public Sender AsSender(RequestOrigin from) => Sender.Admin(AdminId, DisplayName, from);
}
