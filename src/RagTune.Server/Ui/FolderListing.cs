// Files of an operator-configured folder, by relative name. Requests name a file only by picking one of these names;
// anything else (a path, "..", a file added outside the listing's pattern) is not found.
namespace RagTune.Server.Ui;

public sealed class FolderListing(string? folder, string pattern, bool recursive)
{
    public bool Configured => folder is not null;

    public IReadOnlyList<string> List()
    {
        if (folder is null || !Directory.Exists(folder)) return [];
        return Directory.EnumerateFiles(folder, pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The full path of a listed name, or null when the name is not in the listing.</summary>
    public string? Resolve(string name) =>
        folder is not null && List().Contains(name, StringComparer.Ordinal) ? Path.Combine(folder, name) : null;
}
