using Microsoft.Extensions.Options;

namespace SupportChat.Conversations;

/// <summary>
/// How many messages a visitor may send: Realtime:MessagesPerSecond with a burst of Realtime:MessageBurst, one budget
/// per visitor across all its sockets. With Redis the budget is one token bucket for every instance; while Redis is
/// unreachable each instance falls back to its own bucket, so the chat keeps working.
/// </summary>
public sealed class VisitorMessageBudget(IOptions<ConversationOptions> options, IRateBudgets budgets)
{
    readonly RateBudget budget = Of(options.Value);

    static RateBudget Of(ConversationOptions o) => o.MessagesPerSecond >= 1
        ? new("visitor_message", o.MessageBurst, (int)Math.Round(o.MessagesPerSecond), TimeSpan.FromSeconds(1))
        : new("visitor_message", o.MessageBurst, 1, TimeSpan.FromSeconds(1 / o.MessagesPerSecond));

    /// <summary>Takes one message from the visitor's budget; false when it is spent.</summary>
    public async ValueTask<bool> TryTakeAsync(Guid visitorId) => await budgets.TryTakeAsync(budget, visitorId.ToString("N")) is null;
}
