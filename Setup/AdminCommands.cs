using Npgsql;
using SupportChat.Admins;
using SupportChat.Data;
using SupportChat.Endpoints;

namespace SupportChat.Setup;

/// <summary>How the first admin, and an admin who lost their authenticator, get an enrollment link.</summary>
public static class AdminCommands
{
    /// <summary>Admin identity: sessions (and their HTTP side), login, enrollment, the team, and the first admin's enrollment link.</summary>
    public static void AddAdmins(this IServiceCollection services)
    {
        services.AddSingleton<AdminSessions>();
        services.AddAdminHttp();
        services.AddSingleton<AdminLogin>();
        services.AddSingleton<Enrollment>();
        services.AddSingleton<Team>();
        services.AddHostedService<FirstAdminEnrollment>();
    }

    public static bool IsCommand(string[] args) => args is ["admin", ..];

    /// <summary>
    /// <c>admin enroll NAME [DISPLAY NAME]</c>: prints a fresh enrollment link for NAME (a new admin, or an existing one
    /// whose authenticator is lost; their old sessions end when the link is used). It revokes NAME's earlier links.
    /// </summary>
    public static int Run(WebApplication app, string[] args)
    {
        if (args is not ["admin", "enroll", var username, ..] || string.IsNullOrWhiteSpace(username))
        {
            Console.Error.WriteLine("usage: SupportChat admin enroll USERNAME [DISPLAY NAME]");
            return 2;
        }
        var displayName = args.Length > 3 ? string.Join(' ', args[3..]) : username;
        var services = app.Services;
        services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var link = services.GetRequiredService<Enrollment>().CreateLinkAsync(username.Trim().ToLowerInvariant(), displayName.Trim(),
            createdBy: null, new AuditEntry("admin.enrollment_link.command_line"), EnrollmentLinkKind.Recovery).GetAwaiter().GetResult()!;
        Console.WriteLine($"Enrollment link for '{link.Admin.Username}', valid until {link.ExpiresAt:u}:");
        Console.WriteLine(link.Url);
        return 0;
    }

    /// <summary>At start-up, while no admin is active, prints a new one-time enrollment link for 'admin' (the previous one stops working).</summary>
    sealed class FirstAdminEnrollment(NpgsqlDataSource db, Enrollment enrollment, ILogger<FirstAdminEnrollment> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            if (await AdminStore.AnyActiveAsync(db)) return;
            var link = await enrollment.CreateLinkAsync("admin", "Administrator", createdBy: null, new AuditEntry("admin.enrollment_link.first_start"), EnrollmentLinkKind.FirstAdmin);
            if (link is not null)
                log.LogWarning("No admin exists yet. Enroll the first admin ('admin') before {ExpiresAt:u} at {EnrollmentUrl:l}", link.ExpiresAt, link.Url);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
