using SupportChat.Conversations;
using SupportChat.Data;

namespace SupportChat.Admins;

public static class AdminAudit
{
    /// <summary>The audit fields every admin action records: who, and from where.</summary>
    public static AuditEntry Of(RequestOrigin from, string action, long? adminId, string? targetType = null, string? targetId = null, object? details = null) =>
        new(action, adminId, from.Ip, from.UserAgent, targetType, targetId, details);
}
