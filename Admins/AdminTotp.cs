using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using OtpNet;
using QRCoder;

namespace SupportChat.Admins;

/// <summary>TOTP secrets (6 digits, 30 s, ±1 step), encrypted at rest with Data Protection.</summary>
public sealed class AdminTotp(IDataProtectionProvider dataProtection)
{
    public const string Issuer = "SupportChat";
    readonly IDataProtector protector = dataProtection.CreateProtector("SupportChat.Admin.TotpSecret.v1");
    static readonly VerificationWindow Window = new(previous: 1, future: 1);
    // Checked when the username is unknown, so that a miss costs what a hit costs.
    static readonly byte[] DecoySecret = RandomNumberGenerator.GetBytes(20);

    public string NewProtectedSecret() => protector.Protect(Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20)));

    public string Reveal(string protectedSecret) => protector.Unprotect(protectedSecret);

    /// <summary>The matched time step when the code is right for the secret, else null.</summary>
    public long? Verify(string? protectedSecret, string code)
    {
        var secret = protectedSecret is null ? DecoySecret : Base32Encoding.ToBytes(Reveal(protectedSecret));
        var ok = new Totp(secret).VerifyTotp(code, out var step, Window);
        return ok && protectedSecret is not null ? step : null;
    }

    public static string OtpAuthUri(string username, string base32Secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(username)}?secret={base32Secret}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits=6&period=30";

    public static string QrSvg(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4);
    }

    public static bool LooksLikeCode(string? code) => code is { Length: 6 } && code.All(char.IsAsciiDigit);
}
