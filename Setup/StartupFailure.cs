using Microsoft.Extensions.Options;
using SupportChat.Data;

namespace SupportChat.Setup;

public static class StartupFailure
{
    /// <summary>Builds and runs the app; a configuration or start-up failure becomes one log line and exit code 1.</summary>
    public static int RunOrExit(Serilog.ILogger log, Func<int> buildAndRun)
    {
        try
        {
            return buildAndRun();
        }
        catch (Exception ex) when (Describe(ex) is { } reason)
        {
            log.ForContext("SourceContext", "SupportChat").Fatal("Start-up failed: {Reason:l}", reason);
            return 1;
        }
    }

    /// <summary>The one-line reason for a failure an operator can fix, or null for a bug.</summary>
    public static string? Describe(Exception ex) => ex switch
    {
        OptionsValidationException v => string.Join(" ", v.Failures),
        MigrationException m => m.Message,
        // The configuration binder names the setting it could not convert ("... at 'Server:Port' to type 'System.Int32'").
        InvalidOperationException { InnerException: FormatException or OverflowException or ArgumentException } b
            when b.Message.Contains("configuration value", StringComparison.Ordinal) => b.Message,
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerExceptions[0]),
        _ => null,
    };
}
