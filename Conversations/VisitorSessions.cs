using Npgsql;
using SupportChat.Data;

namespace SupportChat.Conversations;

/// <summary>A visitor session just started and its token (256 random bits), returned once and stored only as its SHA-256.</summary>
public sealed record StartedVisitor(string Token, VisitorSession Session);

/// <summary>
/// The one path for visitor sign-in, whatever the transport: start, resume by token (the widget's /sessions call and the
/// socket's auth frame) and authenticate a bearer token (HTTP calls besides /sessions).
/// </summary>
public sealed class VisitorSessions(NpgsqlDataSource db, TimeSpan tokenIdle)
{
    static bool Plausible(string? token) => token is { Length: > 0 and <= 200 };

    public async Task<StartedVisitor> StartAsync(VisitorDetails details)
    {
        var token = Tokens.Random();
        return new StartedVisitor(token, await VisitorStore.CreateAsync(db, Tokens.Hash(token), details));
    }

    /// <summary>The visitor of a live token, marked seen (and their details updated when given); null for an unknown or expired one.</summary>
    public async Task<VisitorSession?> ResumeAsync(string? token, VisitorDetails? details = null) =>
        Plausible(token) ? await VisitorStore.ResumeAsync(db, Tokens.Hash(token!), tokenIdle, details) : null;

    /// <summary>
    /// Read only: resuming would mark the visitor seen and move the admins' list version on every thumbnail fetched.
    /// </summary>
    public async Task<VisitorSession?> AuthenticateAsync(string? token) =>
        Plausible(token) ? await VisitorStore.FindAsync(db, Tokens.Hash(token!), tokenIdle) : null;

    /// <summary>Marks the visitor seen, e.g. when their socket closes.</summary>
    public Task TouchAsync(VisitorSession visitor) => VisitorStore.TouchAsync(db, visitor.VisitorId);
}
