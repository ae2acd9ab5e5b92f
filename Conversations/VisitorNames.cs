using System.Security.Cryptography;

namespace SupportChat.Conversations;

/// <summary>
/// The one name a visitor shows under everywhere (list, thread, search, audit log, Telegram): the name they gave, else a
/// friendly name made from their id. The made name is an animal spelt the same in every language the console speaks and a
/// number, so that admins in the English and the Turkish console, and the bot, all call the same visitor the same thing.
/// </summary>
public static class VisitorNames
{
    // Spelt alike in English and Turkish.
    static readonly string[] Animals =
    [
        "Panda", "Koala", "Zebra", "Puma", "Jaguar", "Lemur", "Dingo", "Hamster", "Okapi", "Tapir", "Yak",
        "Manul", "Serval", "Flamingo", "Iguana", "Emu", "Beluga", "Marlin", "Dodo", "Impala", "Bonobo",
    ];

    public const int LowestNumber = 100, Numbers = 900;

    /// <summary>What the visitor is called: their own name (trimmed) when they gave one, else Generated(visitorId).</summary>
    public static string Display(Guid visitorId, string? name) =>
        string.IsNullOrWhiteSpace(name) ? Generated(visitorId) : name.Trim();

    /// <summary>"Okapi 417": the same for the same id on every instance and after every restart (a hash of the id's bytes, not its layout).</summary>
    public static string Generated(Guid visitorId)
    {
        // Hashed: ids that share their first bytes (time-ordered ones) still get names far apart.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(visitorId.ToByteArray(bigEndian: true), hash);
        var n = BitConverter.ToUInt64(hash);
        return $"{Animals[(int)(n % (ulong)Animals.Length)]} {LowestNumber + (int)(n / (ulong)Animals.Length % Numbers)}";
    }
}
