
namespace SupportChat.Setup;

/// <summary>Optional parts say at start-up whether they are on (Redis: Scaleout/ScaleoutSetup).</summary>
public static class OptionalServices
{
    public static void AddTelegram(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{TelegramOptions.Section}:BotToken"]))
            builder.Services.AddStartupNote("Telegram is off (Telegram:BotToken is not set): admins are notified in the console only");
    }

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
