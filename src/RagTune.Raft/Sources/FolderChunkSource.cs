// Built-in chunk source: a folder of .txt/.md documents split into paragraph chunks of at most N characters.
using System.Text;
using System.Text.RegularExpressions;

namespace RagTune.Raft.Sources;

/// <summary>
/// Reads every .txt/.md/.markdown file under a folder (recursively, ordinal path order), splits it on blank lines and
/// packs consecutive paragraphs into chunks of at most <see cref="MaxChars"/> characters. A paragraph longer than that is
/// cut at sentence ends (. ! ? 。 ！ ？), and a sentence longer than that is cut hard.
/// Document id = path relative to the folder with '/' separators; chunk id = document id + "#" + index.
/// </summary>
public sealed partial class FolderChunkSource : IChunkSource
{
    private static readonly string[] Extensions = [".txt", ".md", ".markdown"];

    public FolderChunkSource(string folder, int maxChars = 1500)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (maxChars < 50)
            throw new RaftException($"chunk size {maxChars} is too small: expected at least 50 characters");
        Folder = folder;
        MaxChars = maxChars;
    }

    public string Folder { get; }

    public int MaxChars { get; }

    public async Task<IReadOnlyList<RaftChunk>> LoadChunksAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Folder))
            throw new RaftException($"documents folder '{Folder}' does not exist: expected a folder of .txt/.md files");
        var files = Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Select(f => (Path: f, Rel: Path.GetRelativePath(Folder, f).Replace('\\', '/')))
            .OrderBy(f => f.Rel, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            throw new RaftException($"documents folder '{Folder}' holds no .txt/.md/.markdown files");
        var chunks = new List<RaftChunk>();
        foreach (var (path, rel) in files)
        {
            var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            var title = TitleOf(text) ?? Path.GetFileNameWithoutExtension(rel);
            var index = 0;
            foreach (var piece in Split(text, MaxChars))
                chunks.Add(new RaftChunk($"{rel}#{index++}", rel, piece, title));
        }
        if (chunks.Count == 0)
            throw new RaftException($"documents folder '{Folder}' holds only empty documents");
        return chunks;
    }

    /// <summary>Splits text into paragraph-packed chunks of at most <paramref name="maxChars"/> characters.</summary>
    internal static IEnumerable<string> Split(string text, int maxChars)
    {
        var paragraphs = BlankLine().Split(text.Replace("\r\n", "\n"))
            .Select(p => p.Trim())
            .Where(p => p.Length > 0)
            .SelectMany(p => p.Length <= maxChars ? [p] : SplitLong(p, maxChars));
        var current = new StringBuilder();
        foreach (var p in paragraphs)
        {
            if (current.Length > 0 && current.Length + 2 + p.Length > maxChars)
            {
                yield return current.ToString();
                current.Clear();
            }
            if (current.Length > 0)
                current.Append("\n\n");
            current.Append(p);
        }
        if (current.Length > 0)
            yield return current.ToString();
    }

    private static IEnumerable<string> SplitLong(string paragraph, int maxChars)
    {
        var current = new StringBuilder();
        foreach (var sentence in SentenceEnd().Split(paragraph).Where(s => s.Length > 0))
        {
            if (current.Length > 0 && current.Length + sentence.Length > maxChars)
            {
                yield return current.ToString().Trim();
                current.Clear();
            }
            if (sentence.Length > maxChars)
            {
                for (var i = 0; i < sentence.Length; i += maxChars)
                    yield return sentence.Substring(i, Math.Min(maxChars, sentence.Length - i)).Trim();
                continue;
            }
            current.Append(sentence);
        }
        if (current.ToString().Trim().Length > 0)
            yield return current.ToString().Trim();
    }

    private static string? TitleOf(string text)
    {
        var m = Heading().Match(text);
        return m.Success ? m.Groups[1].Value.Trim() : null;
    }

    [GeneratedRegex(@"\n[ \t]*\n+")]
    private static partial Regex BlankLine();

    // Split after sentence-ending punctuation, keeping it with its sentence and the following space with the next.
    [GeneratedRegex(@"(?<=[.!?。！？])")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^\s{0,3}#\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
