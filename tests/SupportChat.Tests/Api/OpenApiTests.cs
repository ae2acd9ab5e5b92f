using System.Text.Json;
using SupportChat.Tests.Infrastructure;

namespace SupportChat.Tests.Api;

/// <summary>The OpenAPI document tells the whole contract: each operation's success, its errors in the one shape, and the auth it needs.</summary>
public sealed class OpenApiTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    /// <summary>Operations anyone may call: no session, no visitor token.</summary>
    static readonly HashSet<string> Public =
    [
        "POST /api/admin/login",
        "POST /api/admin/enrollment/start",
        "POST /api/admin/enrollment/complete",
        "POST /api/visitor/sessions",
    ];

    static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options"];

    [Fact]
    public async Task Every_operation_lists_its_success_its_errors_in_the_one_shape_and_its_security()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var document = JsonDocument.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        var operations = (
            from path in document.GetProperty("paths").EnumerateObject()
            from operation in path.Value.EnumerateObject()
            where Methods.Contains(operation.Name)
            select (Name: $"{operation.Name.ToUpperInvariant()} {path.Name}", Operation: operation.Value)).ToList();
        Assert.True(operations.Count > 30, $"only {operations.Count} operations in the document");
        Assert.Empty(Public.Except(operations.Select(o => o.Name)));
        var wrong = operations.SelectMany(o => Check(document, o.Name, o.Operation).Select(problem => $"{o.Name}: {problem}")).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} problems:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public async Task The_document_names_the_admin_session_its_csrf_header_and_the_visitor_token()
    {
        await using var app = new SupportChatApp(db.ConnectionString);
        var document = JsonDocument.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        Assert.True(document.GetProperty("components").TryGetProperty("securitySchemes", out var schemes), "no security schemes");
        Assert.Equal("apiKey", schemes.GetProperty("adminSession").GetProperty("type").GetString());
        Assert.Equal("cookie", schemes.GetProperty("adminSession").GetProperty("in").GetString());
        Assert.Equal("sc_admin", schemes.GetProperty("adminSession").GetProperty("name").GetString());
        Assert.Equal("header", schemes.GetProperty("csrfToken").GetProperty("in").GetString());
        Assert.Equal("X-CSRF-Token", schemes.GetProperty("csrfToken").GetProperty("name").GetString());
        Assert.Equal("http", schemes.GetProperty("visitorToken").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("visitorToken").GetProperty("scheme").GetString());
    }

    static IEnumerable<string> Check(JsonElement document, string name, JsonElement operation)
    {
        var responses = operation.GetProperty("responses").EnumerateObject().ToList();
        if (!responses.Any(r => r.Name == "204" || r.Name.StartsWith('2') && HasSchema(r.Value)))
            yield return "no success response with a schema (or 204)";
        var errors = responses.Where(r => r.Name[0] is '4' or '5').ToList();
        if (!errors.Any(r => IsApiError(document, r.Value)))
            yield return "no error response in the { error, message } shape";
        foreach (var e in errors.Where(r => !IsApiError(document, r.Value)))
            yield return $"error response {e.Name} is not in the {{ error, message }} shape";
        // Every API route has a rate limit; the 429 says when to try again.
        if (responses.FirstOrDefault(r => r.Name == "429").Value is not { ValueKind: JsonValueKind.Object } limited)
            yield return "no 429";
        else if (!limited.TryGetProperty("headers", out var headers) || !headers.TryGetProperty("Retry-After", out _))
            yield return "429 without its Retry-After header";

        var security = operation.TryGetProperty("security", out var s)
            ? s.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToHashSet()
            : [];
        if (Public.Contains(name))
        {
            if (security.Count > 0) yield return $"public, yet requires {string.Join(", ", security)}";
            yield break;
        }
        if (security.Count == 0) yield return "no security requirement";
        var changesState = !name.StartsWith("GET ", StringComparison.Ordinal);
        if (name.Contains(" /api/admin/", StringComparison.Ordinal))
        {
            if (!security.Contains("adminSession")) yield return "admin route without the adminSession requirement";
            if (changesState && !security.Contains("csrfToken")) yield return "unsafe admin route without the csrfToken requirement";
            if (!responses.Any(r => r.Name == "401")) yield return "admin route without 401";
            if (changesState && !responses.Any(r => r.Name == "403")) yield return "unsafe admin route without 403";
        }
        else if (!security.Contains("visitorToken")) yield return "visitor route without the visitorToken requirement";
    }

    static bool HasSchema(JsonElement response) =>
        response.TryGetProperty("content", out var content) && content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _));

    static bool IsApiError(JsonElement document, JsonElement response)
    {
        if (!response.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var json)
            || !json.TryGetProperty("schema", out var schema)) return false;
        if (schema.TryGetProperty("$ref", out var reference))
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
        return schema.TryGetProperty("properties", out var properties)
            && properties.TryGetProperty("error", out _) && properties.TryGetProperty("message", out _)
            && schema.TryGetProperty("required", out var required)
            && required.EnumerateArray().Select(r => r.GetString()).ToHashSet() is var names && names.Contains("error") && names.Contains("message");
    }
}
