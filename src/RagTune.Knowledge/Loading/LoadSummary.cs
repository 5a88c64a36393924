// The end-of-batch account of a folder load: what loaded, what failed and why, what was skipped.
using System.Text;

namespace RagTune.Knowledge.Loading;

/// <param name="Path">Relative path (with "#n" for a JSON record).</param>
/// <param name="Reason">Why it failed or was skipped.</param>
public sealed record FileIssue(string Path, string Reason);

public sealed record LoadSummary
{
    /// <summary>Files that produced at least one document.</summary>
    public int FilesLoaded { get; init; }

    /// <summary>Documents produced (a JSONL file yields one per record).</summary>
    public int DocumentsLoaded { get; init; }

    /// <summary>Files and records that could not be loaded, with the reason.</summary>
    public IReadOnlyList<FileIssue> Failed { get; init; } = [];

    /// <summary>Files not attempted: no loader for the extension, excluded by a glob, or hidden.</summary>
    public IReadOnlyList<FileIssue> Skipped { get; init; } = [];

    /// <summary>Documents loaded per extension (".md" → 12).</summary>
    public IReadOnlyDictionary<string, int> ByExtension { get; init; } = new Dictionary<string, int>();

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"{FilesLoaded} files loaded ({DocumentsLoaded} documents), {Failed.Count} failed, {Skipped.Count} skipped");
        if (ByExtension.Count > 0)
            text.Append("; ").Append(string.Join(", ", ByExtension.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}")));
        foreach (var failure in Failed) text.Append('\n').Append("  failed ").Append(failure.Path).Append(": ").Append(failure.Reason);
        return text.ToString();
    }
}
