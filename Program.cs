using SupportChat.Data;
using SupportChat.Endpoints;
using SupportChat.Scaleout;
using SupportChat.Setup;
using SupportChat.Sockets;
using SupportChat.Telegram;

var builder = WebApplication.CreateBuilder(args);

// Logging: Serilog, readable text in Development, compact JSON elsewhere.
var log = builder.AddSupportChatLogging();

// Settings: typed and validated before anything starts; a bad one stops start-up naming it.
builder.AddSupportChatOptions();

// PostgreSQL: one pooled data source; DbUp migrations run before the server accepts requests.
builder.Services.AddDatabase();

// The key ring that encrypts TOTP secrets: in PostgreSQL, optionally encrypted by a certificate.
builder.AddKeyRing();

// Security: trusted proxies, CORS for the widget, rate limits, errors in one shape.
builder.AddSecurity();
builder.Services.AddApiErrors();

// Admins: sessions bound to their client, and the first admin's enrollment link.
builder.Services.AddAdmins();

// Realtime conversations: visitor sessions, the conversation service (the one path for messages), attachments, sockets.
builder.Services.AddRealtime();
builder.Services.AddVisitorApi();
builder.Services.AddAttachments();

// Several instances: Redis backplane, shared presence, budgets and list cache (in-process without Redis).
builder.AddScaleout();

// Optional parts: Telegram is off when not configured.
builder.AddTelegram();

// Health checks, Prometheus metrics and the OpenAPI document.
builder.Services.AddHealth();
builder.Services.AddApiDocument();

return StartupFailure.RunOrExit(log, () =>
{
    var app = builder.Build();
    if (AdminCommands.IsCommand(args)) return AdminCommands.Run(app, args);

    app.UseApiErrors();
    app.UseSecurity();
    app.UseAdminAuthentication();
    app.UseSupportChatRequestLogging();
    app.UseSupportChatStaticFiles();
    app.UseWebSockets();
    app.MapHealth();
    app.MapMetricsEndpoint();
    app.MapOpenApi();
    app.MapAdminAuth();
    app.MapTeam();
    app.MapAudit();
    app.MapVisitorApi();
    app.MapConversationsApi();
    app.MapAttachments();
    app.MapCannedReplies();
    app.MapTags();
    app.MapSearchApi();
    app.MapRealtime();
    app.MapTelegram();
    app.Run();
    return 0;
});

public partial class Program;
