using System.Net.WebSockets;
using Npgsql;
using SupportChat.Conversations;
using SupportChat.Admins;

namespace SupportChat.Sockets;

/// <summary>An admin socket's session: opened by the session cookie, closed when that session ends.</summary>
sealed partial class SocketSession
{
    /// <summary>Admin: already authenticated by the session cookie; the socket closes when the session ends.</summary>
    public async Task RunAdminAsync(AdminPrincipal admin, Sender adminSender, AdminSessions auth)
    {
        sender = adminSender;
        this.admin = admin;
        adminAuth = auth;
        connection.ReadMissed = ReadMissedAsync;
        var sendLoop = connection.SendLoopAsync();
        using var ended = auth.SessionEnded(admin).Register(() => connection.RequestClose(CloseCodes.SessionEnded, "session ended"));
        using var stopChecks = new CancellationTokenSource();
        var checks = CheckSessionAsync(admin, auth, stopChecks.Token);
        SocketLog.Opened(log, "admin", connection.Id, admin.AdminId.ToString());
        try
        {
            await connection.BeginReplayAsync();
            manager.AddAdmin(connection);
            if (manager.Stopping) connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
            connection.Reply(Frames.Of(new AdminWelcomeFrame(admin.AdminId, admin.DisplayName, manager.VisitorsOnline, LimitsOf(options))));
            connection.EndReplay(null, 0, 0);
            await ReceiveLoopAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { SocketLog.Aborted(log, connection.Id, ex.Message); }
        catch (Exception ex) { SocketLog.Failed(log, ex, connection.Id); connection.RequestClose(CloseCodes.ServerError, "server error"); }
        finally
        {
            connection.RequestClose(CloseCodes.Normal, "");
            await stopChecks.CancelAsync();
            await sendLoop;
            await checks;
            manager.RemoveAdmin(connection);
            SocketLog.Closed(log, "admin", connection.Id, (int)connection.CloseStatus, connection.CloseReason);
        }
    }

    // The bus tells this instance of a revocation a moment after the revoking request has answered, or not at all while
    // Redis is down: a frame that acts or reads (all but typing) asks the database, so none is served after the answer.
    // A read-only primary-key lookup; the periodic check is what counts the socket as use.
    async Task<bool> HasEndedAsync(AdminPrincipal admin, string? frameType) =>
        adminAuth!.HasEnded(admin) || frameType != "typing" && !await adminAuth.IsUnrevokedAsync(admin.SessionId);

    async Task CheckSessionAsync(AdminPrincipal admin, AdminSessions auth, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.AdminSessionCheckSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                if (!await auth.IsLiveAsync(admin.SessionId))
                {
                    connection.RequestClose(CloseCodes.SessionEnded, "session ended");
                    return;
                }
        }
        catch (OperationCanceledException) { }
        catch (NpgsqlException) { } // the database is away; the next open will check again
    }
}
