using System.Net;
using Microsoft.Extensions.Options;
using SupportChat.Admins;
using SupportChat.Conversations;
using SupportChat.Data;
using SupportChat.Endpoints;
using SupportChat.Scaleout;
using SupportChat.Sockets;
using SupportChat.Telegram;

namespace SupportChat.Setup;

/// <summary>Every settings class lives beside its subsystem; here each is bound, validated and checked at start-up.</summary>
public static class SupportChatOptionsSetup
{
    public static void AddSupportChatOptions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section, o => o.Errors());
        services.AddValidatedOptions<ServerOptions>(ServerOptions.Section, o => o.Errors());
        services.AddValidatedOptions<AdminOptions>(AdminOptions.Section, o => o.Errors());
        services.AddValidatedOptions<WidgetOptions>(WidgetOptions.Section, o => o.Errors());
        services.AddValidatedOptions<RedisOptions>(RedisOptions.Section, o => o.Errors());
        services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section, o => o.Errors());
        services.AddValidatedOptions<ConversationOptions>(ConversationOptions.Section, o => o.Errors());
        services.AddValidatedOptions<RealtimeOptions>(RealtimeOptions.Section, o => o.SocketErrors());
        services.AddValidatedOptions<AttachmentOptions>(AttachmentOptions.Section, o => o.Errors());
        services.AddValidatedOptions<TelegramOptions>(TelegramOptions.Section, o => o.Errors());

        // Kestrel reads the validated settings when it starts, which is after validation.
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<ServerOptions>>((kestrel, server) =>
            {
                kestrel.Listen(IPAddress.Parse(server.Value.ListenAddress), server.Value.Port);
                // JSON requests are small; an endpoint that takes files raises its own limit.
                kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            });
    }

    public static void AddValidatedOptions<T>(this IServiceCollection services, string section, Func<T, IEnumerable<string>> errors)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new ErrorListValidator<T>(errors));
    }

    sealed class ErrorListValidator<T>(Func<T, IEnumerable<string>> errors) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var list = errors(options).ToList();
            return list.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(list);
        }
    }
}
