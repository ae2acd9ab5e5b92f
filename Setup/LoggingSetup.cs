using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace SupportChat.Setup;

public static class LoggingSetup
{
    /// <summary>The host's logger; returned so that a failure before the host exists is logged the same way.</summary>
    public static Serilog.ILogger AddSupportChatLogging(this WebApplicationBuilder builder)
    {
        var log = new LoggerConfiguration();
        log.MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            // The host logs a failed start with its stack trace; an operator's mistake gets one line instead (StartupFailure).
            .Filter.ByExcluding(e => e.Exception is { } ex && StartupFailure.Describe(ex) is not null)
            .ReadFrom.Configuration(builder.Configuration);
        ITextFormatter format = builder.Environment.IsDevelopment()
            ? new MessageTemplateTextFormatter("[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}")
            : new RenderedCompactJsonFormatter();
        log.WriteTo.Console(new LogRedaction(format, LogRedaction.SecretsOf(builder.Configuration)));
        var logger = log.CreateLogger();
        // Each host (tests start many) owns its logger; the static Log.Logger is not used.
        builder.Services.AddSerilog(logger, dispose: true);
        return logger;
    }

    public static void UseSupportChatRequestLogging(this WebApplication app) =>
        app.UseSerilogRequestLogging(o => o.GetLevel = (http, _, ex) =>
            ex is not null || http.Response.StatusCode >= 500 ? LogEventLevel.Error
            // Probes and scrapes arrive every few seconds; they would drown the log.
            : http.Request.Path.StartsWithSegments("/health") || http.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Verbose
            : LogEventLevel.Information);
}
