using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;
using SupportChat.Admins;
using SupportChat.Endpoints;

namespace SupportChat.Setup;

public sealed class KeyRingOptions
{
    public const string Section = "DataProtection";
    /// <summary>A PKCS#12 (.pfx) file whose RSA key encrypts the key ring at rest; none: the keys are stored unencrypted.</summary>
    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }

    public IEnumerable<string> Errors()
    {
        if (string.IsNullOrWhiteSpace(CertificatePath))
        {
            if (!string.IsNullOrEmpty(CertificatePassword))
                yield return "DataProtection:CertificatePassword is set but DataProtection:CertificatePath is not: set the path of the .pfx file too";
            yield break;
        }
        LoadCertificate(out var error)?.Dispose();
        if (error is not null) yield return error;
    }

    /// <summary>The certificate with its private key, or null and the one-line reason.</summary>
    public X509Certificate2? LoadCertificate(out string? error)
    {
        error = null;
        if (!File.Exists(CertificatePath))
        {
            error = $"DataProtection:CertificatePath is '{CertificatePath}': no such file; expected a PKCS#12 (.pfx) file with a certificate and its RSA private key";
            return null;
        }
        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword);
        }
        catch (CryptographicException ex)
        {
            error = $"DataProtection:CertificatePath '{CertificatePath}' cannot be opened with DataProtection:CertificatePassword (wrong password, or not a PKCS#12 file): {ex.Message}";
            return null;
        }
        if (cert.GetRSAPrivateKey() is not { } key)
        {
            cert.Dispose();
            error = $"DataProtection:CertificatePath '{CertificatePath}' holds no RSA private key; expected a .pfx with an RSA certificate and its private key";
            return null;
        }
        key.Dispose();
        return cert;
    }
}

/// <summary>The Data Protection key ring (it encrypts TOTP secrets): in PostgreSQL, shared by every instance, optionally encrypted by a certificate.</summary>
public static class DataProtectionSetup
{
    public static void AddKeyRing(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<KeyRingOptions>(KeyRingOptions.Section, o => o.Errors());

        // Every instance shares one key ring, so a TOTP secret encrypted by one is readable by all.
        var dataProtection = services.AddDataProtection().SetApplicationName("SupportChat");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new PostgresXmlRepository(sp.GetRequiredService<NpgsqlDataSource>())));

        // Data Protection takes the certificate itself, not options, so it is loaded here; a bad one registers nothing
        // and the validation above stops start-up naming the setting.
        var keyRing = builder.Configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>();
        if (!string.IsNullOrWhiteSpace(keyRing?.CertificatePath) && keyRing.LoadCertificate(out _) is { } cert)
            dataProtection.ProtectKeysWithCertificate(cert);

        services.AddSingleton<AdminTotp>();
    }

    /// <summary>The Data Protection key ring as rows of data_protection_keys.</summary>
    sealed class PostgresXmlRepository(NpgsqlDataSource db) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            using var c = db.OpenConnection();
            return c.Query<string>("SELECT xml FROM data_protection_keys ORDER BY id").Select(XElement.Parse).ToList();
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            using var c = db.OpenConnection();
            c.Execute("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (friendly_name) DO NOTHING",
                new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
        }
    }
}
