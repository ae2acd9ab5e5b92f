namespace SupportChat.Endpoints;

public sealed class WidgetOptions
{
    public const string Section = "Widget";
    /// <summary>Origins of the customer sites allowed to embed the widget, e.g. https://shop.example.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    public IEnumerable<string> Errors()
    {
        for (var i = 0; i < AllowedOrigins.Length; i++)
            if (NormalizeOrigin(AllowedOrigins[i]) is null)
                yield return $"Widget:AllowedOrigins:{i} is '{AllowedOrigins[i]}': expected an origin such as https://shop.example or http://localhost:8080 (scheme, host and optional port; no path)";
    }

    /// <summary>"https://Shop.example/" becomes "https://shop.example"; anything but a bare http(s) origin is null.</summary>
    public static string? NormalizeOrigin(string? value)
    {
        if (!Uri.TryCreate(value?.Trim(), UriKind.Absolute, out var uri)) return null;
        if (uri.Scheme is not ("http" or "https")) return null;
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0) return null;
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}
