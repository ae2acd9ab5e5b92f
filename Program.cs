using SupportChat.Data;
using SupportChat.Endpoints;
using SupportChat.Setup;
using SupportChat.Sockets;

var builder = WebApplication.CreateBuilder(args);

// Logging: Serilog, readable text in Development, compact JSON elsewhere.
var log = builder.AddSupportChatLogging();

// Settings: typed and validated before anything starts; a bad one stops start-up naming it.
builder.AddSupportChatOptions();

// PostgreSQL: one pooled data source; DbUp migrations run before the server accepts requests.
builder.Services.AddDatabase();

// Admin sessions: cookie, binding, CSRF and Origin checks.
builder.Services.AddSingleton<AdminAuthentication>();

// Realtime conversations: visitor sessions, the conversation service (the one path for messages), sockets.
builder.Services.AddRealtime();
builder.Services.AddVisitorApi();

// Optional parts: Redis and Telegram are off when not configured.
builder.AddRedis();
builder.AddTelegram();

// Health checks, Prometheus metrics and the OpenAPI document.
builder.Services.AddHealth();
builder.Services.AddOpenApi();

return StartupFailure.RunOrExit(log, () =>
{
    var app = builder.Build();
    app.UseSupportChatRequestLogging();
    app.UseStaticFiles();
    app.UseCors();
    app.UseWebSockets();
    app.MapHealth();
    app.MapMetricsEndpoint();
    app.MapOpenApi();
    app.MapVisitorApi();
    app.MapConversationsApi();
    app.MapRealtime();
    app.Run();
});

public partial class Program;
