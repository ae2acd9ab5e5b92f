using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OtpNet;
using SupportChat.Data;
using SupportChat.Endpoints;
using SupportChat.Admins;
using SupportChat.Conversations;

namespace SupportChat.Tests.Infrastructure;

/// <summary>An admin enrolled the way a person does it: link → secret shown on the page → code from an authenticator.</summary>
public sealed record EnrolledAdmin(string Username, string Secret, HttpClient Client, string CsrfToken, long AdminId, string Cookie);

public static class TestEnrollment
{
    /// <summary>What an authenticator app shows for the secret at the given offset from now.</summary>
    public static string Code(string base32Secret, int stepsFromNow = 0) =>
        new Totp(Base32Encoding.ToBytes(base32Secret)).ComputeTotp(DateTime.UtcNow.AddSeconds(30 * stepsFromNow));

    public static string TokenOf(string enrollmentUrl) =>
        System.Web.HttpUtility.ParseQueryString(new Uri(enrollmentUrl).Fragment.TrimStart('#'))["token"]!;

    /// <summary>A fresh enrollment link for username, made the way the maintainer's command makes it (it works for an active admin too).</summary>
    public static async Task<IssuedEnrollmentLink> LinkAsync(SupportChatApp app, string username)
    {
        var link = await app.Get<Enrollment>().CreateLinkAsync(username, username, null, new AuditEntry("admin.enrollment_link.test"), EnrollmentLinkKind.Recovery);
        return link!;
    }

    /// <summary>A client of the app carrying the test User-Agent and the app's own Origin.</summary>
    public static HttpClient Client(SupportChatApp app, string userAgent = TestAdmins.UserAgent, string? ip = null)
    {
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        client.DefaultRequestHeaders.Add("Origin", client.BaseAddress!.GetLeftPart(UriPartial.Authority));
        if (ip is not null) client.DefaultRequestHeaders.Add(SupportChatApp.ClientIpHeader, ip);
        return client;
    }

    /// <summary>Takes the session cookie a login or enrollment response set, and sends it from now on; returns "sc_admin=...".</summary>
    public static string UseSessionFrom(HttpClient client, HttpResponseMessage response)
    {
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(AdminHttp.CookieName + "=")).Split(';')[0];
        client.DefaultRequestHeaders.Remove("Cookie");
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return cookie;
    }

    /// <summary>Starts and completes an enrollment over HTTP; the returned client is logged in.</summary>
    public static async Task<EnrolledAdmin> EnrollAsync(SupportChatApp app, string? username = null, string? ip = null)
    {
        username ??= "admin_" + Guid.NewGuid().ToString("N")[..8];
        var link = await LinkAsync(app, username);
        var client = Client(app, ip: ip);
        var token = TokenOf(link.Url);
        var offer = await (await client.PostAsJsonAsync("/api/admin/enrollment/start", new { token })).Content.ReadFromJsonAsync<JsonElement>();
        var secret = offer.GetProperty("secret").GetString()!;
        var done = await client.PostAsJsonAsync("/api/admin/enrollment/complete", new { token, code = Code(secret) });
        done.EnsureSuccessStatusCode();
        var cookie = UseSessionFrom(client, done);
        var signedIn = await done.Content.ReadFromJsonAsync<JsonElement>();
        var csrf = signedIn.GetProperty("csrfToken").GetString()!;
        client.DefaultRequestHeaders.Add(AdminHttp.CsrfHeader, csrf);
        return new EnrolledAdmin(username, secret, client, csrf, signedIn.GetProperty("admin").GetProperty("id").GetInt64(), cookie);
    }

    public static async Task<List<(string Action, long? AdminId, string? TargetId, JsonElement Details)>> AuditAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        var rows = await Dapper.SqlMapper.QueryAsync<(string, long?, string?, string)>(c,
            "SELECT action, admin_id, target_id, details::text FROM audit_log ORDER BY id");
        return rows.Select(r => (r.Item1, r.Item2, r.Item3, JsonDocument.Parse(r.Item4).RootElement.Clone())).ToList();
    }
}
