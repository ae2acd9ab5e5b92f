using System.Security.Cryptography;
using System.Text;

namespace SupportChat.Conversations;

/// <summary>Bearer secrets (admin sessions, visitor tokens, enrollment links, Telegram link codes): random, stored only as a hash.</summary>
public static class Tokens
{
    public static string Random() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
