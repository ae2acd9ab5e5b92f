using System.Net.Http.Json;
using System.Text.Json;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

public sealed class ForwardedHeadersTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    async Task<string?> SessionIpAsync(SupportChatApp app)
    {
        var admin = await TestEnrollment.EnrollAsync(app, ip: "10.0.0.5");
        admin.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");
        var login = await admin.Client.PostAsJsonAsync("/api/admin/login", new { username = admin.Username, code = TestEnrollment.Code(admin.Secret, 1) });
        login.EnsureSuccessStatusCode();
        TestEnrollment.UseSessionFrom(admin.Client, login);
        var sessions = await admin.Client.GetFromJsonAsync<JsonElement>("/api/admin/sessions");
        return sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean()).GetProperty("ip").GetString();
    }

    [Fact]
    public async Task X_Forwarded_For_is_ignored_unless_the_proxy_is_trusted()
    {
        await using (var app = new SupportChatApp(db.ConnectionString))
            Assert.Equal("10.0.0.5", await SessionIpAsync(app));

        await using (var behindProxy = new SupportChatApp(db.ConnectionString, new Dictionary<string, string?> { ["Admin:TrustedProxies:0"] = "10.0.0.5" }))
            Assert.Equal("203.0.113.9", await SessionIpAsync(behindProxy));
    }
}
