using Dapper;
using Npgsql;

namespace SupportChat.Data;

/// <summary>
/// A budget of failed logins: at most Limit per window for Key (an IP, a username). Waived, asked only once the budget is
/// spent and inside the claim's transaction, may let this attempt go on without it (its other budgets still hold).
/// </summary>
public sealed record LoginBudget(string Key, int Limit, Func<NpgsqlConnection, NpgsqlTransaction, Task<bool>>? Waived = null);

/// <summary>A slot taken from every budget of one login attempt; given back when the code was right.</summary>
public sealed record LoginClaim(IReadOnlyList<string> Keys, DateTime WindowStart);

/// <summary>
/// Failed-login budgets in PostgreSQL, one counter row per key and fixed window. A login claims a slot before its code is
/// checked, so the row lock, not a count read earlier, decides: concurrent attempts on any number of instances check at
/// most the limit.
/// </summary>
public static class LoginThrottle
{
    // The window is aligned to the Unix epoch, so every instance agrees on where it starts.
    const string Claim = """
        INSERT INTO login_throttle AS t (key, window_start, attempts)
        VALUES (@Key, to_timestamp(floor(extract(epoch FROM now()) / @seconds) * @seconds), 1)
        ON CONFLICT (key, window_start) DO UPDATE SET attempts = t.attempts + 1 WHERE t.attempts < @Limit
        RETURNING window_start, attempts
        """;

    /// <summary>
    /// Takes one slot from each budget, all or none, in the order given (callers keep one order, so claims never deadlock).
    /// Returns the claim (the keys whose slots it took), or null when a budget that is not waived is spent for this window.
    /// </summary>
    public static async Task<LoginClaim?> TryClaimAsync(NpgsqlDataSource db, TimeSpan window, IReadOnlyList<LoginBudget> budgets)
    {
        var seconds = (int)window.TotalSeconds;
        await using var c = await db.OpenConnectionAsync();
        await using var tx = await c.BeginTransactionAsync();
        var windowStart = default(DateTime);
        var newWindow = false;
        var claimed = new List<string>();
        foreach (var budget in budgets)
        {
            var slot = await c.QuerySingleOrDefaultAsync<Slot>(Claim, new { budget.Key, budget.Limit, seconds }, tx);
            if (slot is null)
            {
                if (budget.Waived is not null && await budget.Waived(c, tx)) continue;
                await tx.RollbackAsync();
                return null;
            }
            claimed.Add(budget.Key);
            windowStart = slot.WindowStart;
            newWindow |= slot.Attempts == 1;
        }
        await tx.CommitAsync();
        // A key's first attempt in a window is a good moment to forget the windows that have passed; rows another
        // instance is deleting are left to it.
        if (newWindow)
            await c.ExecuteAsync("""
                DELETE FROM login_throttle WHERE ctid IN (SELECT ctid FROM login_throttle WHERE window_start < @windowStart FOR UPDATE SKIP LOCKED)
                """, new { windowStart });
        return new LoginClaim(claimed, windowStart);
    }

    sealed record Slot(DateTime WindowStart, int Attempts);

    /// <summary>Gives the claimed slots back (the attempt did not fail).</summary>
    public static async Task RefundAsync(NpgsqlDataSource db, LoginClaim claim)
    {
        await using var c = await db.OpenConnectionAsync();
        await c.ExecuteAsync("""
            UPDATE login_throttle SET attempts = attempts - 1 WHERE key = ANY(@Keys) AND window_start = @WindowStart AND attempts > 0
            """, new { Keys = claim.Keys.ToArray(), claim.WindowStart });
    }

    /// <summary>How long until the current window ends and its budgets are whole again.</summary>
    public static TimeSpan UntilNextWindow(TimeSpan window)
    {
        var seconds = (long)window.TotalSeconds;
        return TimeSpan.FromSeconds(seconds - DateTimeOffset.UtcNow.ToUnixTimeSeconds() % seconds);
    }
}
