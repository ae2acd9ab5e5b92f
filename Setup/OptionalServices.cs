
namespace SupportChat.Setup;

/// <summary>Optional parts say at start-up whether they are on (Redis: ScaleoutSetup; Telegram: TelegramSetup).</summary>
public static class OptionalServices
{
    /// <summary>One line logged at start-up, e.g. that an optional part is off.</summary>
    public static void AddStartupNote(this IServiceCollection services, string note)
    {
        services.AddSingleton(new StartupNote(note));
        services.AddHostedService<StartupNotes>();
    }

    sealed record StartupNote(string Text);

    sealed class StartupNotes(IEnumerable<StartupNote> notes, ILogger<StartupNotes> log) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken ct)
        {
            foreach (var note in notes) log.LogInformation("{StartupNote:l}", note.Text);
            return Task.CompletedTask;
        }
    }
}
