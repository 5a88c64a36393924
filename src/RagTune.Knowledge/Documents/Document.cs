// A loaded document: its plain text, the heading structure over that text, and what citations and filters need.
namespace RagTune.Knowledge.Documents;

public sealed record Document
{
    /// <summary>Stable id: the path relative to the ingested root with '/' separators ("docs/a.md"),
    /// plus "#n" for the n-th record of a JSON/JSONL file.</summary>
    public required string Id { get; init; }

    /// <summary>Full path of the file the document came from.</summary>
    public required string SourcePath { get; init; }

    /// <summary>Path relative to the ingested root, '/' separators.</summary>
    public required string RelativePath { get; init; }

    public required string Title { get; init; }

    /// <summary>Plain text; every span in <see cref="Sections"/>, <see cref="PageStarts"/> and in chunks indexes into it.</summary>
    public required string Text { get; init; }

    /// <summary>Headings in document order; each section runs from its heading to the next heading of the same or a higher level.</summary>
    public IReadOnlyList<DocumentSection> Sections { get; init; } = [];

    /// <summary>Char offsets at which page 1, 2, … begin (PDF); empty for formats without pages.</summary>
    public IReadOnlyList<int> PageStarts { get; init; } = [];

    /// <summary>Lower-case hex SHA-256 of the source bytes (of the record's bytes for JSON/JSONL records).</summary>
    public required string ContentHash { get; init; }

    /// <summary>"zh", "en", "mixed", or "und" when the text has no letters (see <see cref="RagTune.Knowledge.Text.LanguageGuesser"/>).</summary>
    public string Language { get; init; } = "und";

    /// <summary>Format-specific fields (front matter, JSON fields, page count) usable as filters.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Headings whose sections contain <paramref name="position"/>, outermost first.</summary>
    public IReadOnlyList<string> HeadingPathAt(int position)
    {
        var path = new List<DocumentSection>();
        foreach (var s in Sections)
            if (s.Start <= position && position < s.End) path.Add(s);
        path.Sort((a, b) => a.Level != b.Level ? a.Level.CompareTo(b.Level) : a.Start.CompareTo(b.Start));
        return path.Select(s => s.Title).ToList();
    }

    /// <summary>1-based page containing <paramref name="position"/>, or null when the document has no pages.</summary>
    public int? PageAt(int position)
    {
        if (PageStarts.Count == 0) return null;
        var page = 1;
        for (var i = 1; i < PageStarts.Count && PageStarts[i] <= position; i++) page = i + 1;
        return page;
    }
}
