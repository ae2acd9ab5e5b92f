using System.Text;

namespace SupportChat.Conversations;

/// <summary>How message bodies are cleaned before they are stored.</summary>
public static class MessageText
{
    /// <summary>Line endings become \n; control characters other than \n and \t are removed; surrounding blank space is trimmed.</summary>
    public static string Normalize(string body)
    {
        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var ch = body[i];
            if (ch == '\r')
            {
                sb.Append('\n');
                if (i + 1 < body.Length && body[i + 1] == '\n') i++;
            }
            else if (ch is '\n' or '\t' || !char.IsControl(ch))
                sb.Append(ch);
        }
        return sb.ToString().Trim();
    }

    /// <summary>Length in Unicode code points, which is what a person counts as characters (an emoji is one, not two).</summary>
    public static int Length(string text)
    {
        var n = 0;
        foreach (var _ in text.EnumerateRunes()) n++;
        return n;
    }
}
