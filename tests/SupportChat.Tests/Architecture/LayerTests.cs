using System.Text.RegularExpressions;

namespace SupportChat.Tests.Architecture;

/// <summary>
/// The rules of docs/architecture.md, read from the source: which folder may import which. A reference counts when it is a
/// `using SupportChat.X` line, a `SupportChat.X.` name anywhere in the code, or a sibling-relative name such as
/// `Endpoints.ApiError` that names a type declared in that folder.
/// </summary>
public sealed partial class LayerTests
{
    /// <summary>Folder → the folders of ours it may import. Setup (with Program.cs) is the composition root: it may import anything, and nobody imports it.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
    {
        ["Data"] = [],
        ["Conversations"] = ["Data"],
        ["Admins"] = ["Conversations", "Data"],
        ["Scaleout"] = ["Conversations", "Admins", "Data"],
        ["Sockets"] = ["Conversations", "Admins", "Data"],
        ["Telegram"] = ["Conversations", "Admins", "Data"],
        ["Endpoints"] = ["Sockets", "Telegram", "Conversations", "Admins", "Data"],
        ["Setup"] = ["Endpoints", "Sockets", "Telegram", "Scaleout", "Conversations", "Admins", "Data"],
    };

    [Fact]
    public void Every_import_follows_the_layers()
    {
        var sources = SourceTree.Read();
        Assert.NotEmpty(sources);
        var violations = Violations(sources);
        Assert.True(violations.Count == 0, "Imports against docs/architecture.md:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void No_folder_is_outside_the_rules()
    {
        var folders = SourceTree.Read().Select(s => s.Folder).Where(f => f != "").Distinct().Order().ToList();
        Assert.Equal(Allowed.Keys.Order(), folders);
    }

    [Fact]
    public void The_folders_import_each_other_without_a_loop()
    {
        var graph = Imports(SourceTree.Read());
        var state = new Dictionary<string, int>();
        var path = new Stack<string>();
        foreach (var folder in graph.Keys) Visit(folder);

        void Visit(string folder)
        {
            if (state.GetValueOrDefault(folder) == 2) return;
            path.Push(folder);
            Assert.True(state.GetValueOrDefault(folder) != 1, "Import loop: " + string.Join(" → ", path.Reverse()));
            state[folder] = 1;
            foreach (var next in graph.GetValueOrDefault(folder, [])) Visit(next);
            state[folder] = 2;
            path.Pop();
        }
    }

    [Fact]
    public void A_forbidden_import_is_caught_in_each_of_its_forms()
    {
        var sources = SourceTree.Read();
        string[] forms =
        [
            "using SupportChat.Endpoints;\nnamespace SupportChat.Conversations;\nclass X { }",
            "namespace SupportChat.Data;\nclass X { object? e = default(SupportChat.Setup.StartupFailure); }",
            "namespace SupportChat.Sockets;\nclass X { object? e = typeof(Endpoints.ApiError); }",
            "using Alias = SupportChat.Sockets.ConnectionManager;\nnamespace SupportChat.Telegram;\nclass X { }",
        ];
        string[] folders = ["Conversations", "Data", "Sockets", "Telegram"];
        for (var i = 0; i < forms.Length; i++)
        {
            var injected = sources.Append(new SourceFile($"{folders[i]}/Injected.cs", folders[i], forms[i])).ToList();
            var found = Violations(injected);
            Assert.Contains(found, v => v.StartsWith($"{folders[i]}/Injected.cs", StringComparison.Ordinal));
        }
        // Comments and strings are not imports.
        var harmless = sources.Append(new SourceFile("Data/Injected.cs", "Data",
            "namespace SupportChat.Data;\n// see SupportChat.Endpoints.ApiError\nclass X { string s = \"Endpoints.ApiError\"; }")).ToList();
        Assert.DoesNotContain(Violations(harmless), v => v.StartsWith("Data/Injected.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void No_source_file_passes_300_lines_without_saying_why_first()
    {
        var tooLong = SourceTree.ReadAll()
            .Select(f => (f.Path, Lines: f.Text.TrimEnd('\n').Split('\n')))
            .Where(f => f.Lines.Length > 300 && !FirstCommentGivesReason(f.Lines))
            .Select(f => $"{f.Path}: {f.Lines.Length} lines")
            .ToList();
        Assert.True(tooLong.Count == 0, "Split these, or say why not in their first comment (mention 'lines'):\n" + string.Join("\n", tooLong));
    }

    /// <summary>The comment block the file opens with (after its using lines) mentions its length.</summary>
    static bool FirstCommentGivesReason(string[] lines) =>
        lines.SkipWhile(l => l.TrimStart().StartsWith("using ", StringComparison.Ordinal) || l.Trim().Length == 0)
            .TakeWhile(l => l.TrimStart() is var t && (t.StartsWith("//", StringComparison.Ordinal) || t.StartsWith("/*", StringComparison.Ordinal) || t.StartsWith('*')))
            .Any(l => l.Contains("lines", StringComparison.OrdinalIgnoreCase));

    /// <summary>Every reference against the rules, as "path: Folder imports Other".</summary>
    public static List<string> Violations(IReadOnlyList<SourceFile> sources)
    {
        var declared = DeclaredTypes(sources);
        var found = new List<string>();
        foreach (var file in sources.Where(s => s.Folder != ""))
        {
            var allowed = Allowed.GetValueOrDefault(file.Folder, []);
            foreach (var target in References(file, declared).Where(t => t != file.Folder && !allowed.Contains(t)).Distinct())
                found.Add($"{file.Path}: {file.Folder} imports {target}");
        }
        return found;
    }

    static Dictionary<string, HashSet<string>> Imports(IReadOnlyList<SourceFile> sources)
    {
        var declared = DeclaredTypes(sources);
        return sources.Where(s => s.Folder != "").GroupBy(s => s.Folder).ToDictionary(g => g.Key,
            g => g.SelectMany(f => References(f, declared)).Where(t => t != g.Key && Allowed.ContainsKey(t)).ToHashSet());
    }

    static IEnumerable<string> References(SourceFile file, Dictionary<string, HashSet<string>> declared)
    {
        var code = WithoutCommentsAndStrings(file.Text);
        foreach (Match m in QualifiedName().Matches(code)) yield return m.Groups[1].Value;
        foreach (Match m in RelativeName().Matches(code))
        {
            var (folder, type) = (m.Groups[1].Value, m.Groups[2].Value);
            // "Telegram.Bot" and a property called Data are not our folders: only a type declared in that folder counts.
            if (m.Index > 0 && code[m.Index - 1] == '.') continue;
            if (declared.TryGetValue(folder, out var types) && types.Contains(type)) yield return folder;
        }
    }

    static Dictionary<string, HashSet<string>> DeclaredTypes(IReadOnlyList<SourceFile> sources) =>
        sources.Where(s => s.Folder != "").GroupBy(s => s.Folder).ToDictionary(g => g.Key,
            g => g.SelectMany(f => Declaration().Matches(WithoutCommentsAndStrings(f.Text)).Select(m => m.Groups[1].Value)).ToHashSet());

    static string WithoutCommentsAndStrings(string text) => CommentOrString().Replace(text, m => m.Value.StartsWith('/') ? " " : "\"\"");

    [GeneratedRegex(@"\bSupportChat\.([A-Z]\w*)")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"\b([A-Z]\w*)\.([A-Z]\w*)")]
    private static partial Regex RelativeName();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+([A-Z]\w*)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""""""[\s\S]*?""""""|\$?""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])'", RegexOptions.Singleline)]
    private static partial Regex CommentOrString();
}

public sealed record SourceFile(string Path, string Folder, string Text);

/// <summary>The service's own source files (not tests, load tests or build output), found from the test's output folder.</summary>
public static class SourceTree
{
    static readonly string[] Skipped = ["tests", "load-tests", "bin", "obj", "node_modules", ".git"];

    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SupportChat.csproj"))) return dir.FullName;
        throw new InvalidOperationException("SupportChat.csproj not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The C# files; Folder is the top folder ("" for Program.cs).</summary>
    public static List<SourceFile> Read() => Files("*.cs").ToList();

    /// <summary>The C# and JavaScript files (vendored libraries excepted).</summary>
    public static List<SourceFile> ReadAll() => Files("*.cs").Concat(Files("*.js")).Where(f => !f.Path.Contains("/vendor/", StringComparison.Ordinal)).ToList();

    static IEnumerable<SourceFile> Files(string pattern)
    {
        var root = Root();
        foreach (var path in Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            var top = relative.Contains('/') ? relative[..relative.IndexOf('/')] : "";
            if (Skipped.Contains(top)) continue;
            yield return new SourceFile(relative, top == "wwwroot" ? "" : top, File.ReadAllText(path));
        }
    }
}
