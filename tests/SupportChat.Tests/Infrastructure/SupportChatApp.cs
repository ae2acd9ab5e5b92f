using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace SupportChat.Tests.Infrastructure;

/// <summary>The real app in-process against a real PostgreSQL; settings may be added or overridden per test.</summary>
public sealed class SupportChatApp(string connectionString, IDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Database:ConnectionString", connectionString);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        // The in-memory test server has no client address; tests name one with this header to act from several networks.
        builder.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new ClientIpFromHeader()));
    }

    public const string ClientIpHeader = "X-Test-Client-Ip";

    sealed class ClientIpFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (System.Net.IPAddress.TryParse(http.Request.Headers[ClientIpHeader], out var ip)) http.Connection.RemoteIpAddress = ip;
                return nextMiddleware(http);
            });
            next(app);
        };
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
}
