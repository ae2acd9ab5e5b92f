using SupportChat.Admins;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dapper;
using Npgsql;
using SupportChat.Endpoints;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.AdminSecurity;

/// <summary>With DataProtection:CertificatePath set, the key ring in PostgreSQL is encrypted: the database alone decrypts no TOTP secret.</summary>
public sealed class KeyRingTests(TestDatabase db) : IClassFixture<TestDatabase>, IDisposable
{
    const string Password = "key-ring-test-password";
    readonly string dir = Directory.CreateTempSubdirectory("supportchat-keyring-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=SupportChat key ring test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(dir, "keyring.pfx");
        File.WriteAllBytes(path, cert.Export(X509ContentType.Pfx, Password));
        return path;
    }

    [Fact]
    public async Task The_stored_key_ring_is_encrypted_and_an_instance_with_the_certificate_reads_the_secrets()
    {
        var settings = new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = CreateCertificate(), ["DataProtection:CertificatePassword"] = Password };
        await using var first = new SupportChatApp(db.ConnectionString, settings);
        var admin = await TestEnrollment.EnrollAsync(first);

        await using var c = new NpgsqlConnection(db.ConnectionString);
        var keys = (await c.QueryAsync<string>("SELECT xml FROM data_protection_keys")).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.DoesNotContain("<masterKey", xml);
            Assert.Contains("EncryptedData", xml);
        });

        // A second instance with the certificate decrypts the secret: the admin logs in there.
        await using var second = new SupportChatApp(db.ConnectionString, settings);
        var login = await TestEnrollment.Client(second).PostAsJsonAsync("/api/admin/login", new { username = admin.Username, code = TestEnrollment.Code(admin.Secret, 1) });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        // Whoever has the database but not the certificate cannot.
        var stored = await c.ExecuteScalarAsync<string>("SELECT totp_secret FROM admins WHERE id = @AdminId", new { admin.AdminId });
        await using var without = new SupportChatApp(db.ConnectionString);
        Assert.ThrowsAny<CryptographicException>(() => without.Get<AdminTotp>().Reveal(stored!));
    }

    [Fact]
    public async Task A_missing_certificate_file_stops_start_up_naming_the_setting()
    {
        var line = await AppProcess.ExpectStartupFailureAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Server:Port"] = AppProcess.FreePort().ToString(),
            ["DataProtection:CertificatePath"] = Path.Combine(dir, "missing.pfx"),
        });
        Assert.Contains("DataProtection:CertificatePath", line);
    }

    [Fact]
    public async Task A_wrong_certificate_password_stops_start_up_naming_the_setting()
    {
        var line = await AppProcess.ExpectStartupFailureAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Server:Port"] = AppProcess.FreePort().ToString(),
            ["DataProtection:CertificatePath"] = CreateCertificate(),
            ["DataProtection:CertificatePassword"] = "not-the-password",
        });
        Assert.Contains("DataProtection:CertificatePassword", line);
        Assert.DoesNotContain("not-the-password", line);
    }

    [Fact]
    public async Task A_certificate_without_its_private_key_stops_start_up_naming_the_setting()
    {
        using var full = X509CertificateLoader.LoadPkcs12FromFile(CreateCertificate(), Password);
        using var publicOnly = X509CertificateLoader.LoadCertificate(full.RawData);
        var path = Path.Combine(dir, "public-only.pfx");
        File.WriteAllBytes(path, publicOnly.Export(X509ContentType.Pfx, Password));
        var line = await AppProcess.ExpectStartupFailureAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Server:Port"] = AppProcess.FreePort().ToString(),
            ["DataProtection:CertificatePath"] = path,
            ["DataProtection:CertificatePassword"] = Password,
        });
        Assert.Contains("DataProtection:CertificatePath", line);
        Assert.Contains("private key", line);
    }

    [Fact]
    public async Task A_password_without_a_certificate_stops_start_up_naming_the_path_setting()
    {
        var line = await AppProcess.ExpectStartupFailureAsync(new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = db.ConnectionString,
            ["Server:Port"] = AppProcess.FreePort().ToString(),
            ["DataProtection:CertificatePassword"] = Password,
        });
        Assert.Contains("DataProtection:CertificatePath", line);
        Assert.DoesNotContain(Password, line);
    }
}
