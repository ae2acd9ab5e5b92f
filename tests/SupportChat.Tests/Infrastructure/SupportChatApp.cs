using Microsoft.AspNetCore.Hosting;
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
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
}
